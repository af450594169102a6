// The control plane's single event loop: Sofia-SIP's su_root on the main
// thread (DESIGN.md "Control plane"). Everything that is not SIP (signals,
// the admin socket, dataplane events) enters as a file descriptor watched by
// the same loop, because a su_root may only be stepped by the thread that
// created it (FACTS.md).
#pragma once

#include <sofia-sip/su_wait.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

#include "common/result.h"

namespace sbc::controlplane {

class EventLoop {
 public:
  using FdCallback = std::function<void()>;
  using WatchId = int;
  using TimerId = int;

  static Result<std::unique_ptr<EventLoop>> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  su_root_t* root() const { return root_; }

  // Calls cb on the loop thread whenever fd is readable, until unwatch().
  Result<WatchId> watch_readable(int fd, FdCallback cb);
  void unwatch(WatchId id);

  // A repeating timer; the first call comes one period from now.
  Result<TimerId> every(std::chrono::milliseconds period, std::function<void()> cb);
  // A one-shot timer.
  Result<TimerId> after(std::chrono::milliseconds delay, std::function<void()> cb);
  void cancel(TimerId id);

  // How late the loop runs: a timer due every `period` reports, each time it
  // runs, how long after its due time that was (never negative). A handler
  // that blocks the loop (a slow disk, a huge admin reply) shows up here
  // before SIP retransmissions pile up. Runs until the loop is destroyed.
  Status measure_lag(std::chrono::milliseconds period,
                     std::function<void(std::chrono::nanoseconds late)> report);

  void run();   // until stop()
  void stop();  // from a callback on the loop thread

 private:
  EventLoop() = default;
  struct Watch;
  struct Timer;
  struct LagProbe;
  Status arm_lag_probe(std::shared_ptr<LagProbe> p);
  static int on_wakeup(su_root_magic_t*, su_wait_t*, su_wakeup_arg_t* arg);
  static void on_timer(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg);

  su_root_t* root_ = nullptr;
  bool su_initialised_ = false;
  std::map<WatchId, std::unique_ptr<Watch>> watches_;
  std::map<TimerId, std::unique_ptr<Timer>> timers_;
  int next_id_ = 1;
};

}  // namespace sbc::controlplane
