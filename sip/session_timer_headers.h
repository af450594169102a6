// The RFC 4028 session timer headers of a request or response as the B2BUA
// reads them (Session-Expires with its refresher, Min-SE, the "timer" option
// tag), and the values it writes. Sofia implements session timers only in
// nua; this nta B2BUA negotiates its own (controlplane/call_session_timer.h).
#pragma once

#include <sofia-sip/sip.h>

#include <cstdint>
#include <string>

namespace sbc::sip {

// Who refreshes, in the roles of the transaction that carries the header.
enum class Refresher : uint8_t { unspecified, uac, uas };

struct SessionTimerHeaders {
  uint32_t expires = 0;  // Session-Expires delta-seconds; 0: none
  Refresher refresher = Refresher::unspecified;
  uint32_t min_se = 0;     // Min-SE delta-seconds; 0: none
  bool supported = false;  // "timer" in Supported
  bool required = false;   // "timer" in Require
};

SessionTimerHeaders session_timer_headers(const sip_t* sip);

// "1800;refresher=uac" (no parameter for Refresher::unspecified).
std::string session_expires_value(uint32_t seconds, Refresher refresher);

}  // namespace sbc::sip
