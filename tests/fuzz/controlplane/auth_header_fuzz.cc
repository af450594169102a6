// Fuzzes the Authorization / WWW-Authenticate parameter parser and the
// Digest credential validation behind it: untrusted bytes straight from the
// network. Any input must end in a value or an error, and an accepted header
// must keep the parser's own limits.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "controlplane/registrar/auth_params.h"
#include "controlplane/registrar/digest.h"
#include "controlplane/registrar/digest_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sbc::registrar;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  AuthParamLimits limits;
  auto header = parse_auth_header(text, limits);
  if (!header.ok()) return 0;
  if (header->params.size() > limits.max_params || header->scheme.empty()) abort();
  for (const auto& [name, value] : header->params) {
    if (name.empty() || value.size() > limits.max_value) abort();
    // Round trip: a quoted value parses back to itself.
    auto again = parse_auth_header("X v=" + quote(value), limits);
    if (value.find_first_of("\r\n") == std::string_view::npos &&
        (!again.ok() || *again->find("v") != value))
      abort();
  }
  auto creds = digest_credentials(*header);
  if (creds.ok()) {
    if (creds->response.size() != hash_hex_length(creds->algorithm)) abort();
    (void)digest_response_matches(*creds, "00112233445566778899aabbccddeeff", "REGISTER");
  }
  // The same bytes as a carrier's challenge (outbound registration): an
  // accepted one is answered with an Authorization our own verifier reads.
  auto ch = digest_challenge(*header);
  if (ch.ok()) {
    auto answer = parse_auth_header(
        digest_authorization(*ch, "4930555100", "pw", "REGISTER", "sip:198.18.2.10", "c0ffee", 1),
        AuthParamLimits{1 << 16, 32, 1 << 16});
    if (!answer.ok() || !digest_credentials(*answer).ok()) abort();
  }
  return 0;
}
