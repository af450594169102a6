// Monotonic time for rate limits and call timing, injected so tests drive it.
// (The registrar's clock is wall-clock seconds because expiries persist.)
#pragma once

#include <chrono>

namespace sbc::controlplane {

using MonoTime = std::chrono::steady_clock::time_point;

class MonotonicClock {
 public:
  virtual ~MonotonicClock() = default;
  virtual MonoTime now() const = 0;
};

class SteadyClock final : public MonotonicClock {
 public:
  MonoTime now() const override { return std::chrono::steady_clock::now(); }
};

class ManualClock final : public MonotonicClock {
 public:
  MonoTime now() const override { return now_; }
  void advance(std::chrono::nanoseconds d) { now_ += d; }

 private:
  MonoTime now_{std::chrono::seconds(1000)};
};

}  // namespace sbc::controlplane
