// Fuzzes what happens to bytes arriving on a SIP port: Sofia's message
// parser (as the transport uses it) then the SBC's request checks and the
// header helpers the B2BUA applies (session timers, REFER and NOTIFY
// rewriting). Invariants: a request the checks accept has every header the
// B2BUA dereferences; what the REFER rewrite writes is one header value
// naming the SBC; a sipfrag keeps at most one status line.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sip/auth_header_text.h"
#include "sip/refer_rewrite.h"
#include "sip/request_check.h"
#include "sip/session_timer_headers.h"
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
  (void)session_timer_headers(sip);
  // A rewritten Refer-To or Referred-By: one header value whose URI host is
  // the SBC (plain_user keeps '@' out of the user part).
  auto names_sbc = [](const std::string& v) {
    size_t at = v.find('@'), end = v.find_first_of("?>", at);
    return v.size() > 2 && v.front() == '<' && v.back() == '>' &&
           v.find_first_of("\r\n\"") == std::string::npos && at != std::string::npos &&
           end != std::string::npos && v.compare(at + 1, end - at - 1, "198.18.2.1") == 0;
  };
  if (auto r = refer_to_toward(sip->sip_refer_to, "198.18.2.1"); r && !names_sbc(*r)) abort();
  if (auto b = referred_by_toward(sip->sip_referred_by, "198.18.2.1"); b && !names_sbc(*b)) abort();
  if (sip->sip_payload && sip->sip_payload->pl_data) {
    auto frag = sipfrag_status_line({sip->sip_payload->pl_data, sip->sip_payload->pl_len});
    if (!frag.empty() && (frag.rfind("SIP/2.0 ", 0) != 0 || frag.find('\n') != frag.size() - 1))
      abort();
  }
  if (!sip->sip_request) return 0;
  auto v = check_request(sip);
  if (v.ok() &&
      (!sip->sip_via || !sip->sip_from || !sip->sip_to || !sip->sip_call_id || !sip->sip_cseq))
    abort();
  return 0;
}
