// Fuzzes SDP parsing and the B2BUA's rewrite. Invariant: any body we accept
// and rewrite, we can print, and what we print parses again with the SBC's
// endpoint in every stream (the SBC never emits SDP it cannot read itself).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sip/sdp_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sbc;
  auto s = sip::SdpSession::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!s) return 0;
  const Ipv4Address sbc_addr{0xc6120101};  // 198.18.1.1
  s->set_origin("sbc", 1, 1, sbc_addr);
  for (size_t i = 0; i < s->streams().size(); ++i) {
    if (!s->set_endpoint(i, sbc_addr, static_cast<uint16_t>(20000 + 2 * i),
                         static_cast<uint16_t>(20001 + 2 * i)))
      abort();
    if (!s->streams()[i].codecs.empty())
      (void)s->keep_codecs(i, {s->streams()[i].codecs.back().payload_type});
  }
  s->strip_ice();
  auto text = s->print();
  if (!text) abort();
  auto again = sip::SdpSession::parse(*text);
  if (!again || again->streams().size() != s->streams().size()) abort();
  for (const auto& st : again->streams())
    if (st.address != sbc_addr) abort();
  return 0;
}
