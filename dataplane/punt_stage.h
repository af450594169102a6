// punt: to the leg's exception TAP, where the kernel (ARP, ICMP, reassembly)
// and Sofia-SIP's sockets take over. Counted as punted when the TAP accepts
// the frame, drop:punt_full when it does not.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

inline void punt_stage(StageContext& c, unsigned leg, Burst& b) {
  for (uint16_t i = 0; i < b.n; ++i) c.punt_tx[leg].add(b.pkts[i]);
  b.n = 0;
}

}  // namespace sbc::dataplane
