#include "controlplane/call_session_timer.h"

#include <algorithm>

namespace sbc::controlplane {
namespace {

uint32_t whole_seconds(policy::Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return static_cast<uint32_t>(std::clamp<int64_t>(s, 1, 86400));
}

}  // namespace

uint32_t policy_session_expires(const policy::Timers& t) {
  return whole_seconds(t.session_expires);
}

uint32_t policy_min_se(const policy::Timers& t) {
  return whole_seconds(t.min_se);
}

std::optional<uint32_t> too_brief(const sip::SessionTimerHeaders& invite, const policy::Timers& t) {
  if (invite.expires == 0 || invite.expires >= policy_min_se(t)) return std::nullopt;
  return policy_min_se(t);
}

LegSessionTimer caller_leg(const sip::SessionTimerHeaders& invite, const policy::Timers& t) {
  LegSessionTimer leg;
  if (invite.expires == 0 && !invite.supported) return leg;
  uint32_t interval = policy_session_expires(t);
  if (invite.expires != 0) interval = std::min(interval, invite.expires);
  interval = std::max({interval, invite.min_se, policy_min_se(t)});
  leg.interval = interval;
  switch (invite.refresher) {
    case sip::Refresher::uac:
      leg.sbc_refreshes = false;
      break;
    case sip::Refresher::uas:
      leg.sbc_refreshes = true;
      break;
    case sip::Refresher::unspecified:
      // A caller that knows timers refreshes its own leg; one that does not
      // (a proxy added the header) cannot, so the SBC does.
      leg.sbc_refreshes = !invite.supported;
      break;
  }
  return leg;
}

LegSessionTimer callee_leg(const sip::SessionTimerHeaders& ok, uint32_t min_se_sent) {
  LegSessionTimer leg;
  if (ok.expires == 0) return leg;
  leg.interval = std::max(ok.expires, min_se_sent);
  leg.sbc_refreshes = ok.refresher != sip::Refresher::uas;
  return leg;
}

std::optional<uint32_t> retry_interval(const sip::SessionTimerHeaders& r422, uint32_t sent) {
  if (r422.min_se <= sent) return std::nullopt;
  return r422.min_se;
}

std::chrono::milliseconds refresh_after(uint32_t interval) {
  return std::chrono::milliseconds(int64_t{interval} * 500);
}

std::chrono::milliseconds expiry_after(uint32_t interval) {
  const int64_t ms = int64_t{interval} * 1000;
  return std::chrono::milliseconds(ms - std::min<int64_t>(32000, ms / 3));
}

sip::Refresher refresher_param(const LegSessionTimer& leg, bool sbc_is_uac) {
  return leg.sbc_refreshes == sbc_is_uac ? sip::Refresher::uac : sip::Refresher::uas;
}

}  // namespace sbc::controlplane
