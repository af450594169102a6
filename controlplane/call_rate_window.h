// Calls started per peer over a short sliding window: the "calls per second
// now" that `sbcctl peers` shows beside the peer's CPS cap. Prometheus
// computes its own rates from sbc_call_starts_total; this is the figure an
// operator reads at the console, with no Prometheus at hand.
//
// One-second buckets in a ring per peer: memory is bounded by the peer count
// (names from the policy), not by the call rate. The window covers the
// current second and the kWindowSeconds - 1 before it; the rate is the
// calls in it over kWindowSeconds. Event loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "controlplane/monotonic_clock.h"

namespace sbc::controlplane {

class CallRateWindow {
 public:
  static constexpr int kWindowSeconds = 10;

  explicit CallRateWindow(const MonotonicClock& clock) : clock_(clock) {}

  void record(const std::string& peer);
  // Calls recorded for `peer` within the window.
  uint64_t calls_in_window(const std::string& peer) const;
  double per_second(const std::string& peer) const {
    return static_cast<double>(calls_in_window(peer)) / kWindowSeconds;
  }

 private:
  struct Ring {
    std::array<uint32_t, kWindowSeconds> counts{};
    int64_t newest = 0;  // the second counts[newest % kWindowSeconds] holds
  };
  int64_t second_now() const;
  // Moves the ring to `now`, zeroing the seconds it skipped.
  static void advance(Ring& r, int64_t now);

  const MonotonicClock& clock_;
  std::unordered_map<std::string, Ring> rings_;
};

}  // namespace sbc::controlplane
