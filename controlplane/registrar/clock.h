// Time for the registrar, injected so tests drive expiry with a fake clock
// and never sleep. Wall-clock seconds (not steady time) because binding
// expiries are persisted and must mean the same thing after a restart.
#pragma once

#include <chrono>

namespace sbc::registrar {

using Time = std::chrono::sys_seconds;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Time now() const override {
    return std::chrono::floor<Seconds>(std::chrono::system_clock::now());
  }
};

// Only moves when told to: tests and benchmarks advance it explicitly.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Time start = Time{Seconds{1'700'000'000}}) : now_(start) {}
  Time now() const override { return now_; }
  void advance(Seconds by) { now_ += by; }
  void set(Time t) { now_ = t; }

 private:
  Time now_;
};

}  // namespace sbc::registrar
