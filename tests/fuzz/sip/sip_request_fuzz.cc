// Fuzzes what happens to bytes arriving on a SIP port: Sofia's message
// parser (as the transport uses it) then the SBC's request checks. Invariant:
// a request the checks accept has every header the B2BUA dereferences.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sip/auth_header_text.h"
#include "sip/request_check.h"
#include "sip/sip_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sbc::sip;
  auto msg = parse_sip_message(std::string_view(reinterpret_cast<const char*>(data), size));
  const sip_t* sip = sip_of(msg);
  if (!sip) return 0;
  (void)method_label(sip);
  // What the registrar and the B2BUA read credentials from: it must start
  // with the scheme Sofia parsed.
  if (sip->sip_authorization && sip->sip_authorization->au_scheme &&
      auth_header_text(sip->sip_authorization).rfind(sip->sip_authorization->au_scheme, 0) != 0)
    abort();
  if (!sip->sip_request) return 0;
  auto v = check_request(sip);
  if (v.ok() &&
      (!sip->sip_via || !sip->sip_from || !sip->sip_to || !sip->sip_call_id || !sip->sip_cseq))
    abort();
  return 0;
}
