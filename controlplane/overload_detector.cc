#include "controlplane/overload_detector.h"

namespace sbc::controlplane {

bool OverloadDetector::sample(Clock::time_point now, std::chrono::nanoseconds lag) {
  if (settings_.lag_threshold.count() <= 0) return false;
  if (!overloaded_) {
    if (lag < settings_.lag_threshold) return false;
    overloaded_ = true;
    ++episodes_;
    worst_ = lag;
    last_high_ = now;
    return true;
  }
  // Hysteresis: half the threshold keeps the state, so a loop hovering at
  // the threshold does not flap between shedding and taking calls.
  if (lag >= settings_.lag_threshold / 2) {
    last_high_ = now;
    if (lag > worst_) worst_ = lag;
    return false;
  }
  if (now - last_high_ < settings_.hold) return false;
  overloaded_ = false;
  return true;
}

}  // namespace sbc::controlplane
