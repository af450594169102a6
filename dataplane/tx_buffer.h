// The tx stage: frames collected for one (port, queue) and sent in bursts.
// What the port does not accept is freed and counted (tx_full), never retried
// in a loop: a full TX ring means the wire is the bottleneck.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/lcore_counters.h"

namespace sbc::dataplane {

class TxBuffer {
 public:
  static constexpr unsigned kSize = 64;

  // `sent` counts what the port accepted, `refused` what it did not.
  void bind(uint16_t port, uint16_t queue, uint64_t* sent, uint64_t* refused) {
    port_ = port;
    queue_ = queue;
    sent_ = sent;
    refused_ = refused;
  }
  void add(rte_mbuf* m) {
    if (n_ == kSize) flush();
    pkts_[n_++] = m;
  }
  // Returns how many the port accepted.
  uint16_t flush() {
    if (n_ == 0) return 0;
    uint16_t sent = rte_eth_tx_burst(port_, queue_, pkts_, n_);
    if (sent < n_) {
      rte_pktmbuf_free_bulk(pkts_ + sent, n_ - sent);
      counter_add(*refused_, n_ - sent);
    }
    counter_add(*sent_, sent);
    n_ = 0;
    return sent;
  }
  uint16_t pending() const { return n_; }

 private:
  rte_mbuf* pkts_[kSize];
  uint16_t n_ = 0;
  uint16_t port_ = 0;
  uint16_t queue_ = 0;
  uint64_t* sent_ = nullptr;
  uint64_t* refused_ = nullptr;
};

}  // namespace sbc::dataplane
