#include "dataplane/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <unistd.h>

#include "dataplane/acl_stage.h"
#include "dataplane/burst.h"
#include "dataplane/classify_stage.h"
#include "dataplane/deny_stage.h"
#include "dataplane/exception_stage.h"
#include "dataplane/parse_stage.h"
#include "dataplane/police_stage.h"
#include "dataplane/punt_stage.h"
#include "dataplane/relay_stage.h"

namespace sbc::dataplane {

Worker::Worker(const WorkerParams& params, StageContext* ctx) : params_(params), ctx_(ctx) {
  rte_rcu_qsbr_thread_register(params_.qsbr, params_.rcu_thread_id);
  rte_rcu_qsbr_thread_online(params_.qsbr, params_.rcu_thread_id);
}

Worker::~Worker() {
  rte_rcu_qsbr_thread_offline(params_.qsbr, params_.rcu_thread_id);
  rte_rcu_qsbr_thread_unregister(params_.qsbr, params_.rcu_thread_id);
}

void Worker::process_port_burst(unsigned leg, rte_mbuf** pkts, uint16_t n) {
  StageContext& c = *ctx_;
  Burst in, media, punt;
  for (uint16_t i = 0; i < n; ++i) in.pkts[i] = pkts[i];
  in.n = n;
  parse_stage(c, leg, in);
  deny_stage(c, leg, in);
  acl_stage(c, leg, in);
  classify_stage(c, leg, in, media, punt);
  relay_stage(c, leg, media);
  police_stage(c, leg, punt);
  punt_stage(c, leg, punt);
}

unsigned Worker::poll_once() {
  StageContext& c = *ctx_;
  c.now_tsc = params_.clock ? params_.clock() : rte_rdtsc();
  unsigned total = 0;
  for (unsigned leg = 0; leg < c.n_legs; ++leg) {
    const Leg& l = c.legs[leg];
    if (params_.index < l.rx_queues) {
      rte_mbuf* pkts[kBurstSize];
      uint16_t n =
          rte_eth_rx_burst(l.port_id, static_cast<uint16_t>(params_.index), pkts, kBurstSize);
      if (n) {
        counter_add(c.counters->legs[leg].rx, n);
        // Bytes per leg: pkt_len sits in the mbuf line rx_burst just wrote.
        // Measured with tx bytes: relay 278-287 cycles/packet against 288
        // before (bench_dataplane_relay --sessions 2000), i.e. within noise.
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
        counter_add(c.counters->legs[leg].rx_bytes, bytes);
        process_port_burst(leg, pkts, n);
        total += n;
      }
    }
    if (params_.index < l.tap_queues)
      total += exception_stage(c, leg, static_cast<uint16_t>(params_.index));
  }
  for (unsigned leg = 0; leg < c.n_legs; ++leg) {
    c.port_tx[leg].flush();
    c.punt_tx[leg].flush();
  }
  if (c.events_pending) {
    // The one system call of the project's own on the worker, and only in a
    // poll that latched a stream (once per stream, never per packet): wake
    // the control thread's event loop.
    uint64_t one = 1;
    if (params_.event_fd >= 0) (void)!write(params_.event_fd, &one, sizeof one);
    c.events_pending = false;
  }
  counter_add(c.counters->polls, 1);
  rte_rcu_qsbr_quiescent(params_.qsbr, params_.rcu_thread_id);
  return total;
}

void Worker::run() {
  uint32_t empty = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (poll_once()) {
      empty = 0;
      continue;
    }
    if (++empty < params_.idle_spins) continue;
    // Offline while asleep so the control thread's grace periods do not wait
    // for us.
    rte_rcu_qsbr_thread_offline(params_.qsbr, params_.rcu_thread_id);
    rte_delay_us_sleep(params_.idle_sleep_us);
    rte_rcu_qsbr_thread_online(params_.qsbr, params_.rcu_thread_id);
    counter_add(ctx_->counters->idle_sleeps, 1);
  }
}

int Worker::launch_entry(void* worker) {
  static_cast<Worker*>(worker)->run();
  return 0;
}

}  // namespace sbc::dataplane
