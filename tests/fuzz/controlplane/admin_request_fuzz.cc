// Fuzzes the admin socket's request framing: whatever a local client sends,
// decoding terminates, never reads past the buffer, and a decoded request
// re-encodes to a prefix of the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "controlplane/admin_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto words = sbc::admin::decode_request(in);
  if (words && !words->empty()) {
    std::string again = sbc::admin::encode_request(*words);
    if (in.substr(0, again.size()) != again) abort();
  }
  auto reply = sbc::admin::decode_reply(in);
  if (reply && sbc::admin::encode_reply(*reply) != in) abort();
  return 0;
}
