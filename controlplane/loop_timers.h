// CallTimers over the event loop's one-shot timers: what the B2BUA and the
// trunk resolver run on in sbcd (tests drive a manual queue instead). Ids are
// never reused, so cancelling a timer that has fired is harmless; 0 is "none".
#pragma once

#include "controlplane/call_timers.h"
#include "controlplane/event_loop.h"
#include "controlplane/log.h"

namespace sbc::controlplane {

class LoopTimers final : public CallTimers {
 public:
  explicit LoopTimers(EventLoop& loop) : loop_(loop) {}
  Id after(std::chrono::milliseconds delay, std::function<void()> cb) override {
    auto t = loop_.after(delay, std::move(cb));
    if (!t) {
      log::error("timer_failed", {{"reason", t.error().message}});
      return 0;
    }
    return static_cast<Id>(*t);
  }
  void cancel(Id id) override {
    if (id) loop_.cancel(static_cast<EventLoop::TimerId>(id));
  }

 private:
  EventLoop& loop_;
};

}  // namespace sbc::controlplane
