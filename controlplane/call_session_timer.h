// RFC 4028 session timers for the B2BUA's two legs, as pure functions. Sofia
// keeps session timers only in nua; this nta B2BUA negotiates each leg on its
// own: the caller's leg as a UAS (its INVITE, our 2xx), the callee's leg as
// a UAC (our INVITE, its 2xx or 422). Call arms the timers these decide.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "policy/timers.h"
#include "sip/session_timer_headers.h"

namespace sbc::controlplane {

// One leg's session timer once negotiated. interval 0: none on this leg (its
// peer does not take part, and the SBC does not force it on it).
struct LegSessionTimer {
  uint32_t interval = 0;       // seconds
  bool sbc_refreshes = false;  // else the peer on this leg refreshes
  bool active() const { return interval > 0; }
  friend bool operator==(const LegSessionTimer&, const LegSessionTimer&) = default;
};

// The policy's Session-Expires and Min-SE in whole seconds (at least 1).
uint32_t policy_session_expires(const policy::Timers& t);
uint32_t policy_min_se(const policy::Timers& t);

// A caller's INVITE whose Session-Expires is below the policy's Min-SE: the
// Min-SE for the 422 (RFC 4028 8.1). nullopt: acceptable.
std::optional<uint32_t> too_brief(const sip::SessionTimerHeaders& invite, const policy::Timers& t);

// The caller's leg, from its INVITE: the interval is its Session-Expires
// (shortened to the policy's, never below either Min-SE) or the policy's when
// it sent none; it refreshes when it asks to or when it supports timers and
// did not say. A caller that supports no timer and sent no Session-Expires
// gets none (RFC 4028 9 leaves it to the UAS; a phone that never asked is
// not refreshed with UPDATEs it may not know).
LegSessionTimer caller_leg(const sip::SessionTimerHeaders& invite, const policy::Timers& t);

// The callee's leg, from its 2xx to our INVITE: its Session-Expires, never
// below the Min-SE we sent (RFC 4028 9 forbids less; a peer saying 1 s would
// have the SBC refresh twice a second), and refresher (the SBC, the UAC,
// refreshes when it says uac or says nothing); no Session-Expires, no timer
// (RFC 4028 7.2).
LegSessionTimer callee_leg(const sip::SessionTimerHeaders& ok, uint32_t min_se_sent);

// After a 422 to an INVITE that said `sent` seconds: the interval to retry
// with (its Min-SE), or nullopt when it offers nothing larger.
std::optional<uint32_t> retry_interval(const sip::SessionTimerHeaders& r422, uint32_t sent);

// When the refresher refreshes: half the interval (RFC 4028 10).
std::chrono::milliseconds refresh_after(uint32_t interval);
// When the other side gives up and ends the session with no refresh seen:
// the interval less a third of it, at most 32 s (RFC 4028 10).
std::chrono::milliseconds expiry_after(uint32_t interval);

// The refresher parameter for a message on a leg: in a request the SBC
// sends the UAC is the SBC; in a response it sends the UAC is the peer.
sip::Refresher refresher_param(const LegSessionTimer& leg, bool sbc_is_uac);

}  // namespace sbc::controlplane
