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

  // `sent` counts what the port accepted, `refused` what it did not, and
  // `sent_bytes` (if given) the accepted frames' lengths.
  void bind(uint16_t port, uint16_t queue, uint64_t* sent, uint64_t* refused,
            uint64_t* sent_bytes = nullptr) {
    port_ = port;
    queue_ = queue;
    sent_ = sent;
    refused_ = refused;
    sent_bytes_ = sent_bytes;
  }
  void add(rte_mbuf* m) {
    if (n_ == kSize) flush();
    pkts_[n_++] = m;
  }
  // Returns how many the port accepted.
  uint16_t flush() {
    if (n_ == 0) return 0;
    // Lengths before the burst: a PMD may free what it sent inside it.
    uint32_t len[kSize];
    if (sent_bytes_)
      for (uint16_t i = 0; i < n_; ++i) len[i] = rte_pktmbuf_pkt_len(pkts_[i]);
    uint16_t sent = rte_eth_tx_burst(port_, queue_, pkts_, n_);
    if (sent_bytes_) {
      uint64_t bytes = 0;
      for (uint16_t i = 0; i < sent; ++i) bytes += len[i];
      counter_add(*sent_bytes_, bytes);
    }
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
  uint64_t* sent_bytes_ = nullptr;
};

}  // namespace sbc::dataplane
