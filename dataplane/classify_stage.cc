#include "dataplane/classify_stage.h"

#include "dataplane/pinhole_table.h"

namespace sbc::dataplane {

void classify_stage(StageContext& c, unsigned leg, Burst& in, Burst& media, Burst& punt) {
  const Leg& l = c.legs[leg];
  // One bulk lookup for all UDP to the leg address: rte_hash pipelines the
  // bucket reads of a burst.
  PinholeKey keys[kBurstSize];
  const void* key_ptrs[kBurstSize];
  uint16_t key_of[kBurstSize];
  unsigned nkeys = 0;
  for (uint16_t i = 0; i < in.n; ++i) {
    const PacketMeta& pm = in.meta[i];
    if (pm.kind == PacketKind::udp && pm.dst_ip == l.address) {
      keys[nkeys] = PinholeKey{pm.dst_ip, pm.dst_port, static_cast<uint16_t>(leg)};
      key_ptrs[nkeys] = &keys[nkeys];
      key_of[nkeys++] = i;
    }
  }
  Pinhole* hits[kBurstSize];
  if (nkeys) c.pinholes->lookup_bulk(key_ptrs, nkeys, hits);
  for (unsigned k = 0; k < nkeys; ++k) in.meta[key_of[k]].pinhole = hits[k];

  for (uint16_t i = 0; i < in.n; ++i) {
    rte_mbuf* m = in.pkts[i];
    const PacketMeta& pm = in.meta[i];
    if (pm.dst_ip != l.address) {
      drop(c, leg, m, DropReason::not_for_us);
      continue;
    }
    switch (pm.kind) {
      case PacketKind::udp:
        // A live pinhole wins over a kernel port: the kernel's ephemeral
        // range should not overlap the media ranges (sbcd warns when it does).
        if (pm.pinhole)
          media.push(m, pm);
        else if (l.is_sip_udp(pm.dst_port) || l.is_kernel_port(pm.dst_port))
          punt.push(m, pm);
        else
          drop(c, leg, m, DropReason::no_flow);
        break;
      case PacketKind::tcp:
        if (l.is_sip_tcp(pm.dst_port) || l.is_sip_tcp(pm.src_port) || l.is_kernel_port(pm.dst_port))
          punt.push(m, pm);
        else
          drop(c, leg, m, DropReason::no_flow);
        break;
      case PacketKind::arp:
      case PacketKind::icmp:
      case PacketKind::ip_fragment:
        punt.push(m, pm);
        break;
      case PacketKind::ip_other:
        drop(c, leg, m, DropReason::unsupported_protocol);
        break;
    }
  }
  in.n = 0;
}

}  // namespace sbc::dataplane
