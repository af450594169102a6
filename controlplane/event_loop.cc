#include "controlplane/event_loop.h"

#include <sofia-sip/su.h>

#include <algorithm>

namespace sbc::controlplane {

struct EventLoop::Watch {
  EventLoop* loop;
  WatchId id;
  int index = -1;  // su_root registration index
  su_wait_t wait[1];
  FdCallback cb;
};

struct EventLoop::Timer {
  EventLoop* loop;
  TimerId id;
  su_timer_t* timer = nullptr;
  bool repeating;
  std::function<void()> cb;
};

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  if (su_init() != 0) return make_error("su_init failed");
  loop->su_initialised_ = true;
  loop->root_ = su_root_create(nullptr);
  if (!loop->root_) return make_error("su_root_create failed");
  return loop;
}

EventLoop::~EventLoop() {
  for (auto& [id, t] : timers_) su_timer_destroy(t->timer);
  timers_.clear();
  for (auto& [id, w] : watches_) su_root_deregister(root_, w->index);
  watches_.clear();
  if (root_) su_root_destroy(root_);
  if (su_initialised_) {
    su_deinit();
  }
}

int EventLoop::on_wakeup(su_root_magic_t*, su_wait_t*, su_wakeup_arg_t* arg) {
  auto* w = reinterpret_cast<Watch*>(arg);
  // Copy: the callback may unwatch itself, destroying *w.
  FdCallback cb = w->cb;
  cb();
  return 0;
}

Result<EventLoop::WatchId> EventLoop::watch_readable(int fd, FdCallback cb) {
  auto w = std::make_unique<Watch>();
  w->loop = this;
  w->id = next_id_++;
  w->cb = std::move(cb);
  if (su_wait_create(w->wait, fd, SU_WAIT_IN) != 0) return make_error("su_wait_create failed");
  w->index = su_root_register(root_, w->wait, &EventLoop::on_wakeup,
                              reinterpret_cast<su_wakeup_arg_t*>(w.get()), su_pri_normal);
  if (w->index < 0) return make_error("su_root_register failed");
  WatchId id = w->id;
  watches_.emplace(id, std::move(w));
  return id;
}

void EventLoop::unwatch(WatchId id) {
  auto it = watches_.find(id);
  if (it == watches_.end()) return;
  su_root_deregister(root_, it->second->index);
  watches_.erase(it);
}

void EventLoop::on_timer(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
  auto* t = reinterpret_cast<Timer*>(arg);
  EventLoop* loop = t->loop;
  TimerId id = t->id;
  std::function<void()> cb = t->cb;
  if (!t->repeating) {
    su_timer_destroy(t->timer);
    loop->timers_.erase(id);  // t is gone from here on
  }
  cb();
}

namespace {
// Sofia asserts that a timer's duration is positive: "now" means 1 ms.
su_duration_t duration_of(std::chrono::milliseconds d) {
  return static_cast<su_duration_t>(std::max<std::chrono::milliseconds::rep>(1, d.count()));
}
}  // namespace

Result<EventLoop::TimerId> EventLoop::every(std::chrono::milliseconds period,
                                            std::function<void()> cb) {
  auto t = std::make_unique<Timer>();
  t->loop = this;
  t->id = next_id_++;
  t->repeating = true;
  t->cb = std::move(cb);
  t->timer = su_timer_create(su_root_task(root_), duration_of(period));
  if (!t->timer) return make_error("su_timer_create failed");
  // su_timer_set_interval() is one-shot despite its name; set_for_ever
  // repeats every default duration (the one given to su_timer_create).
  if (su_timer_set_for_ever(t->timer, &EventLoop::on_timer,
                            reinterpret_cast<su_timer_arg_t*>(t.get())) != 0)
    return make_error("su_timer_set_for_ever failed");
  TimerId id = t->id;
  timers_.emplace(id, std::move(t));
  return id;
}

Result<EventLoop::TimerId> EventLoop::after(std::chrono::milliseconds delay,
                                            std::function<void()> cb) {
  // su_timer asserts a positive duration: "as soon as possible" is 1 ms.
  delay = std::max(delay, std::chrono::milliseconds(1));
  auto t = std::make_unique<Timer>();
  t->loop = this;
  t->id = next_id_++;
  t->repeating = false;
  t->cb = std::move(cb);
  t->timer = su_timer_create(su_root_task(root_), duration_of(delay));
  if (!t->timer) return make_error("su_timer_create failed");
  if (su_timer_set(t->timer, &EventLoop::on_timer, reinterpret_cast<su_timer_arg_t*>(t.get())) != 0)
    return make_error("su_timer_set failed");
  TimerId id = t->id;
  timers_.emplace(id, std::move(t));
  return id;
}

void EventLoop::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  su_timer_destroy(it->second->timer);
  timers_.erase(it);
}

struct EventLoop::LagProbe {
  std::chrono::milliseconds period;
  std::function<void(std::chrono::nanoseconds)> report;
  std::chrono::steady_clock::time_point due;
};

Status EventLoop::measure_lag(std::chrono::milliseconds period,
                              std::function<void(std::chrono::nanoseconds)> report) {
  if (period.count() <= 0) return make_error("lag probe period must be positive");
  // The first probe is armed once the loop runs, not now: sbcd arms it
  // during its start, and the time the rest of the start takes is not the
  // loop falling behind (it used to read as an overload episode, shedding
  // the first calls after every restart).
  auto p = std::make_shared<LagProbe>(LagProbe{period, std::move(report), {}});
  auto t = after(std::chrono::milliseconds(0), [this, p] { (void)arm_lag_probe(p); });
  if (!t) return t.error();
  return ok_status();
}

// A one-shot timer re-armed from its own callback rather than a repeating
// one: each period starts when the previous probe ran, so one stall is
// reported once, not again by a burst of catch-up firings.
Status EventLoop::arm_lag_probe(std::shared_ptr<LagProbe> p) {
  p->due = std::chrono::steady_clock::now() + p->period;
  auto t = after(p->period, [this, p] {
    auto late = std::chrono::steady_clock::now() - p->due;
    p->report(std::max(std::chrono::nanoseconds(0),
                       std::chrono::duration_cast<std::chrono::nanoseconds>(late)));
    (void)arm_lag_probe(p);  // fails only when su_timer cannot allocate: the probe stops
  });
  if (!t) return t.error();
  return ok_status();
}

void EventLoop::run() {
  su_root_run(root_);
}
void EventLoop::stop() {
  su_root_break(root_);
}

}  // namespace sbc::controlplane
