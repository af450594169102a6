// CallTimers driven by a ManualClock: a test advances time and the timers
// due by then fire in order (the B2BUA's and the trunk resolver's tests).
#pragma once

#include <chrono>
#include <functional>
#include <map>

#include "controlplane/call_timers.h"
#include "controlplane/monotonic_clock.h"

namespace sbc::controlplane::testing {

struct ManualTimers : CallTimers {
  ManualClock& clock;
  struct T {
    MonoTime due;
    std::function<void()> cb;
  };
  std::map<Id, T> timers;
  Id next = 1;
  explicit ManualTimers(ManualClock& c) : clock(c) {}
  Id after(std::chrono::milliseconds d, std::function<void()> cb) override {
    timers[next] = {clock.now() + d, std::move(cb)};
    return next++;
  }
  void cancel(Id id) override { timers.erase(id); }
  void advance(std::chrono::milliseconds d) {
    clock.advance(d);
    for (bool fired = true; fired;) {
      fired = false;
      for (auto it = timers.begin(); it != timers.end(); ++it) {
        if (it->second.due <= clock.now()) {
          auto cb = std::move(it->second.cb);
          timers.erase(it);
          cb();
          fired = true;
          break;
        }
      }
    }
  }
};

}  // namespace sbc::controlplane::testing
