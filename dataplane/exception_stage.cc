#include "dataplane/exception_stage.h"

#include <rte_ethdev.h>

#include "dataplane/burst.h"

namespace sbc::dataplane {

uint16_t exception_stage(StageContext& c, unsigned leg, uint16_t queue) {
  const Leg& l = c.legs[leg];
  rte_mbuf* pkts[kBurstSize];
  uint16_t n = rte_eth_rx_burst(l.tap_port_id, queue, pkts, kBurstSize);
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (l.vlan) {
      m->vlan_tci = l.vlan;
      // Software insert: moves the MAC addresses 4 bytes forward into the
      // headroom. Fails only without headroom.
      if (rte_vlan_insert(&m) != 0) {
        drop(c, leg, m, DropReason::no_headroom);
        continue;
      }
    }
    counter_add(c.counters->legs[leg].exception, 1);
    c.port_tx[leg].add(m);
  }
  return n;
}

}  // namespace sbc::dataplane
