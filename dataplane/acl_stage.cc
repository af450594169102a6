#include "dataplane/acl_stage.h"

#include <rte_byteorder.h>

#include "dataplane/protection_tables.h"

namespace sbc::dataplane {
namespace {

uint8_t ip_protocol(PacketKind k) {
  switch (k) {
    case PacketKind::udp:
      return 17;
    case PacketKind::tcp:
      return 6;
    case PacketKind::icmp:
      return 1;
    default:
      // ARP and fragments: only rules for any protocol (and a port range
      // holding 0) match them.
      return 0;
  }
}

}  // namespace

void acl_stage(StageContext& c, unsigned leg, Burst& b) {
  const FilterTables* f =
      c.protection ? c.protection->filters.load(std::memory_order_acquire) : nullptr;
  if (!f || !f->acl || b.n == 0) {
    const uint8_t cls = f ? f->default_class : 0;
    for (uint16_t i = 0; i < b.n; ++i) b.meta[i].trust_class = cls;
    return;
  }
  AclKey keys[kBurstSize];
  const uint8_t* data[kBurstSize];
  uint32_t results[kBurstSize];
  const uint16_t leg_be = rte_cpu_to_be_16(static_cast<uint16_t>(leg));
  for (uint16_t i = 0; i < b.n; ++i) {
    const PacketMeta& pm = b.meta[i];
    keys[i] = AclKey{
        ip_protocol(pm.kind),
        {0, 0, 0},
        pm.src_ip,
        leg_be,
        pm.kind == PacketKind::udp || pm.kind == PacketKind::tcp ? pm.dst_port : uint16_t{0}};
    data[i] = reinterpret_cast<const uint8_t*>(&keys[i]);
  }
  rte_acl_classify(f->acl, data, results, b.n, 1);
  uint16_t kept = 0;
  for (uint16_t i = 0; i < b.n; ++i) {
    if (results[i] == kAclDenyResult) {
      drop(c, leg, b.pkts[i], DropReason::acl);
      continue;
    }
    b.pkts[kept] = b.pkts[i];
    b.meta[kept] = b.meta[i];
    b.meta[kept++].trust_class =
        results[i] == 0 ? f->default_class : static_cast<uint8_t>(results[i] - 1);
  }
  b.n = kept;
}

}  // namespace sbc::dataplane
