// A burst of frames with their parse results, as it flows from one stage to
// the next. Stages compact it in place: what continues stays, what leaves
// (dropped, punted, relayed) is handed on or freed.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/packet_meta.h"

namespace sbc::dataplane {

inline constexpr unsigned kBurstSize = 32;

struct Burst {
  rte_mbuf* pkts[kBurstSize];
  PacketMeta meta[kBurstSize];
  uint16_t n = 0;

  void push(rte_mbuf* m, const PacketMeta& pm) {
    pkts[n] = m;
    meta[n] = pm;
    ++n;
  }
};

}  // namespace sbc::dataplane
