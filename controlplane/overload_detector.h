// When the control plane is overloaded: the event loop's lag probe (a timer
// due every 100 ms) runs late by the threshold or more. While overloaded the
// router refuses new non-emergency calls 503 with Retry-After (policy/router,
// "overloaded"), so the calls in progress keep their loop time; the state
// clears once no sample reached half the threshold for `hold`. Pure logic:
// sbcd feeds it the probe's samples.
#pragma once

#include <chrono>
#include <cstdint>

namespace sbc::controlplane {

class OverloadDetector {
 public:
  using Clock = std::chrono::steady_clock;
  struct Settings {
    std::chrono::milliseconds lag_threshold{500};  // 0: never overloaded
    std::chrono::milliseconds hold{5000};
  };

  explicit OverloadDetector(Settings s) : settings_(s) {}

  // One lag sample taken at `now`; true when the state changed.
  bool sample(Clock::time_point now, std::chrono::nanoseconds lag);
  bool overloaded() const { return overloaded_; }
  uint64_t episodes() const { return episodes_; }
  std::chrono::nanoseconds worst_lag() const { return worst_; }  // of the current or last episode

 private:
  Settings settings_;
  bool overloaded_ = false;
  Clock::time_point last_high_{};
  uint64_t episodes_ = 0;
  std::chrono::nanoseconds worst_{0};
};

}  // namespace sbc::controlplane
