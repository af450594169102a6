// SIGTERM/SIGINT (stop) and SIGHUP (reload) delivered through a signalfd
// watched by the event loop, so handlers run on the loop thread and never
// interrupt Sofia or DPDK mid-call. block_control_signals() must run before
// any thread is created (rte_eal_init, prometheus' exposer), so every thread
// inherits the blocked mask and only the signalfd sees them.
#pragma once

#include <functional>

#include "common/result.h"
#include "controlplane/event_loop.h"

namespace sbc::controlplane {

void block_control_signals();

class SignalWatcher {
 public:
  SignalWatcher(std::function<void()> on_stop, std::function<void()> on_reload)
      : on_stop_(std::move(on_stop)), on_reload_(std::move(on_reload)) {}
  ~SignalWatcher();
  Status attach(EventLoop& loop);

 private:
  void drain();
  std::function<void()> on_stop_, on_reload_;
  EventLoop* loop_ = nullptr;
  EventLoop::WatchId watch_ = -1;
  int fd_ = -1;
};

}  // namespace sbc::controlplane
