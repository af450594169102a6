// One-shot timers for calls: the event loop's in sbcd, a manual queue in tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace sbc::controlplane {

class CallTimers {
 public:
  using Id = uint64_t;
  virtual ~CallTimers() = default;
  virtual Id after(std::chrono::milliseconds delay, std::function<void()> cb) = 0;
  virtual void cancel(Id id) = 0;
};

}  // namespace sbc::controlplane
