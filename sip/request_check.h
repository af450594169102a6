// Checks a parsed SIP request for what the B2BUA relies on, beyond what nta
// already enforces, and names the answer for what fails: malformed input is
// answered with the right 4xx, never relayed to the other side.
#pragma once

#include <sofia-sip/sip.h>

#include <cstddef>
#include <string>

namespace sbc::sip {

struct RequestVerdict {
  int status = 0;  // 0: acceptable; else the response to send
  std::string phrase;
  bool ok() const { return status == 0; }
};

// Bodies above this are refused with 413: SDP is small, and a B2BUA has no
// business buffering large bodies for an attacker.
inline constexpr size_t kMaxBodyBytes = 32 * 1024;

RequestVerdict check_request(const sip_t* sip);

// The request's method as a bounded metric label: a method of RFC 3261 or its
// common extensions, else "other".
const char* method_label(const sip_t* sip);

}  // namespace sbc::sip
