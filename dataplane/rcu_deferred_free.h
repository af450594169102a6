// Things unpublished by the control thread that readers may still hold:
// each waits for an RCU QSBR grace period (every registered worker has
// passed a quiescent point, or is offline) before it is really freed.
// Control thread only.
#pragma once

#include <rte_rcu_qsbr.h>

#include <cstdint>
#include <deque>
#include <functional>

namespace sbc::dataplane {

class RcuDeferredFree {
 public:
  explicit RcuDeferredFree(rte_rcu_qsbr* qsbr) : qsbr_(qsbr) {}

  void defer(std::function<void()> free_fn) {
    pending_.push_back({rte_rcu_qsbr_start(qsbr_), std::move(free_fn)});
  }
  // Frees everything whose grace period is over; never waits.
  size_t reclaim() {
    size_t n = 0;
    while (!pending_.empty() && rte_rcu_qsbr_check(qsbr_, pending_.front().token, false) == 1) {
      pending_.front().free_fn();
      pending_.pop_front();
      ++n;
    }
    return n;
  }
  size_t pending() const { return pending_.size(); }

 private:
  struct Item {
    uint64_t token;
    std::function<void()> free_fn;
  };
  rte_rcu_qsbr* qsbr_;
  std::deque<Item> pending_;
};

}  // namespace sbc::dataplane
