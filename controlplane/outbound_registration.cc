#include "controlplane/outbound_registration.h"

#include <algorithm>

namespace sbc::controlplane {

using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {
constexpr seconds kMaxExpiry = std::chrono::hours(24);
}

const char* to_string(OutboundRegistrationState::State s) {
  switch (s) {
    case OutboundRegistrationState::State::registering:
      return "registering";
    case OutboundRegistrationState::State::registered:
      return "registered";
    case OutboundRegistrationState::State::failing:
      return "failing";
  }
  return "?";
}

OutboundRegistrationState::OutboundRegistrationState(seconds requested_expiry,
                                                     OutboundRegistrationTimers timers)
    : expiry_(requested_expiry), timers_(timers) {}

milliseconds OutboundRegistrationState::refresh_delay(seconds granted) {
  return std::max(milliseconds(500), milliseconds(granted) * 4 / 5);
}

OutboundRegistrationState::Decision OutboundRegistrationState::on_answer(const RegisterAnswer& a) {
  last_status_ = a.status;
  const bool was_challenged = challenged_;
  challenged_ = false;
  if (a.status >= 200 && a.status < 300) {
    seconds granted = a.granted.value_or(expiry_);
    if (granted.count() <= 0) return fail(a);  // "registered" for no time at all
    state_ = State::registered;
    failures_ = 0;
    retried_423_ = false;
    granted_ = std::min(granted, kMaxExpiry);
    return {Action::wait, refresh_delay(granted_)};
  }
  if ((a.status == 401 || a.status == 407) && a.challenge_usable &&
      (!was_challenged || a.challenge_stale)) {
    challenged_ = true;
    return {Action::send_with_credentials, milliseconds(0)};
  }
  if (a.status == 423 && a.min_expires && !retried_423_ && *a.min_expires > expiry_ &&
      *a.min_expires <= kMaxExpiry) {
    retried_423_ = true;
    expiry_ = *a.min_expires;
    return {Action::send_now, milliseconds(0)};
  }
  return fail(a);
}

OutboundRegistrationState::Decision OutboundRegistrationState::fail(const RegisterAnswer& a) {
  state_ = State::failing;
  ++failures_;
  if (a.retry_after && a.retry_after->count() > 0)
    return {Action::wait, std::min(milliseconds(*a.retry_after), timers_.retry_max)};
  milliseconds backoff = timers_.retry_min;
  for (uint32_t i = 1; i < failures_ && backoff < timers_.retry_max; ++i) backoff *= 2;
  return {Action::wait, std::min(backoff, timers_.retry_max)};
}

}  // namespace sbc::controlplane
