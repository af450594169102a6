// deny: the deny list (prefixes, or one address and source port, with an
// expiry; deny_list.h), first after parse so a banned source costs as little
// as possible. Exits: acl, drop:denied. An empty list costs one atomic load
// per burst; a hit, two bisections over the /32 entries plus a scan of the
// (few) shorter prefixes.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/protection_tables.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

inline void deny_stage(StageContext& c, unsigned leg, Burst& b) {
  if (!c.protection) return;
  const DenySnapshot* d = c.protection->deny.load(std::memory_order_acquire);
  if (!d || d->empty()) return;
  uint16_t kept = 0;
  for (uint16_t i = 0; i < b.n; ++i) {
    const PacketMeta& pm = b.meta[i];
    if (d->denied(pm.src_ip, pm.src_port, c.now_tsc)) {
      drop(c, leg, b.pkts[i], DropReason::denied);
      continue;
    }
    b.pkts[kept] = b.pkts[i];
    b.meta[kept++] = pm;
  }
  b.n = kept;
}

}  // namespace sbc::dataplane
