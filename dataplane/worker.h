// A worker lcore: polls its RX queue of every leg's port and of every leg's
// exception TAP, runs the stages, sends, and announces quiescence to RCU once
// per poll. The packet path, written on one line:
//
//   rx -> parse -> deny -> acl -> classify -+-> relay -> tx(egress port)
//                                           +-> police -> punt -> tx(leg TAP)
//                                           +-> drop (counted reason)
//   TAP rx -> exception -> tx(leg port)
//
// When polls come back empty it backs off: after `idle_spins` empty polls it
// goes RCU-offline and sleeps `idle_sleep_us`, so sbcd can share a small
// machine (FACTS.md). Not thread-safe: one thread drives one Worker.
//
// Measured cost of one poll_once over 16 net_ring queues, per relayed RTP
// packet (perf/README.md "Dataplane relay", median of polls): 288 cycles with
// 4,000 pinholes (cache-hot), 865 cycles with 200,000 pinholes visited at
// random; the ceiling loop (same rings and header rewrite, no lookup) 61.
#pragma once

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>

#include "dataplane/stage_context.h"

namespace sbc::dataplane {

struct WorkerParams {
  unsigned index = 0;  // queue index on every port and TAP
  unsigned rcu_thread_id = 0;
  rte_rcu_qsbr* qsbr = nullptr;
  int event_fd = -1;  // written once per poll that produced events
  uint32_t idle_spins = 64;
  uint32_t idle_sleep_us = 100;
  // Time source in TSC cycles, read once per poll; null: rte_rdtsc. Tests
  // inject a fake one to drive expiry and policing without sleeping.
  uint64_t (*clock)() = nullptr;
};

class Worker {
 public:
  Worker(const WorkerParams& params, StageContext* ctx);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // One pass over every queue; returns the frames received.
  unsigned poll_once();
  // Until stop(); for rte_eal_remote_launch.
  void run();
  void stop() { stop_.store(true, std::memory_order_relaxed); }
  static int launch_entry(void* worker);

  StageContext& context() { return *ctx_; }
  unsigned index() const { return params_.index; }

 private:
  void process_port_burst(unsigned leg, rte_mbuf** pkts, uint16_t n);

  WorkerParams params_;
  StageContext* ctx_;
  std::atomic<bool> stop_{false};
};

}  // namespace sbc::dataplane
