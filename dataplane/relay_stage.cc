#include "dataplane/relay_stage.h"

#include <rte_byteorder.h>
#include <rte_ring_elem.h>

#include "dataplane/byte_budget.h"
#include "dataplane/checksum.h"
#include "dataplane/dataplane_event.h"
#include "dataplane/filter_tables.h"
#include "dataplane/neighbour_table.h"
#include "dataplane/pinhole_table.h"

namespace sbc::dataplane {
namespace {

inline uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// Does the pinhole accept `src` as its remote? Latches it on first sight.
bool check_source(StageContext& c, unsigned leg, Pinhole& p, const PacketMeta& pm,
                  const uint8_t* frame) {
  const uint64_t src = pack_remote(pm.src_ip, pm.src_port);
  uint64_t latched = p.remote.load(std::memory_order_acquire);
  if (latched == src) return true;
  if (latched != 0) return false;
  const uint64_t exp = p.expected.load(std::memory_order_relaxed);
  const uint32_t eip = remote_ip(exp);
  const uint16_t eport = remote_port(exp);
  bool ok = false;
  switch (expected_mode(exp)) {
    case LatchMode::strict:
      ok = eip != 0 && eport != 0 && eip == pm.src_ip && eport == pm.src_port;
      break;
    case LatchMode::ip:
      ok = eip != 0 && eip == pm.src_ip;
      break;
    case LatchMode::any:
      ok = true;
      break;
  }
  if (!ok) return false;
  // Two workers may race on the first packets of two sources (latch `any`):
  // one CAS wins, the other source becomes a wrong source.
  uint64_t expected_zero = 0;
  if (!p.remote.compare_exchange_strong(expected_zero, src, std::memory_order_acq_rel))
    return expected_zero == src;
  DataplaneEvent e;
  e.type = EventType::latched;
  e.side = p.side;
  e.rtcp = p.rtcp;
  e.leg = static_cast<uint8_t>(leg);
  e.stream = p.stream;
  e.session = p.session;
  e.remote = Ipv4Address{rte_be_to_cpu_32(pm.src_ip)};
  e.remote_port = rte_be_to_cpu_16(pm.src_port);
  __builtin_memcpy(e.remote_mac.data(), frame + 6, 6);
  emit_event(c, e);
  return true;
}

// Packets, bytes, last seen and, for RTP, sequence gaps of the stream that
// arrived on `p`. RTCP (also when multiplexed: payload types 72-76 with the
// marker bit folded in, RFC 5761 4) does not count toward gaps.
void count_stream(StageContext& c, Pinhole& p, const PacketMeta& pm, const uint8_t* udp) {
  counter_add(p.packets, 1);
  counter_add(p.bytes, pm.ip_len);
  __atomic_store_n(&p.last_seen_tsc, c.now_tsc, __ATOMIC_RELAXED);
  if (p.rtcp) return;
  const unsigned payload = pm.ip_len - pm.l3_len - 8u;
  const uint8_t* rtp = udp + 8;
  if (payload < 12 || (rtp[0] >> 6) != 2) return;
  const unsigned pt = rtp[1] & 0x7f;
  if (pt >= 72 && pt <= 76) return;
  const uint16_t seq = load_be16(rtp + 2);
  if (p.have_seq) {
    const uint16_t delta = static_cast<uint16_t>(seq - p.last_seq);
    if (delta == 0 || delta >= 0x8000) return;  // duplicate or late: not a gap, keep the high mark
    if (delta > 1) counter_add(p.rtp_seq_gaps, delta - 1u);
  }
  p.last_seq = seq;
  p.have_seq = true;
}

// RFC 4733 events numbered differently on the two legs: the two payload
// types are exchanged (controlplane/telephone_event_map.h: the SDP exchanged
// them too, so a codec that had the event's new number has its old one), the
// marker bit kept, and the UDP checksum follows the changed 16-bit word
// (RFC 1624). Other types and RTCP under rtcp-mux (72-76 once the marker bit
// is folded in, never a dynamic 96-127) pass untouched.
void map_payload_type(uint8_t* udp, unsigned udp_len, uint16_t map) {
  uint8_t* rtp = udp + 8;
  if (udp_len < 8 + 12 || (rtp[0] >> 6) != 2) return;
  const unsigned pt = rtp[1] & 0x7fu;
  unsigned to;
  if (pt == pt_map_from(map))
    to = pt_map_to(map);
  else if (pt == pt_map_to(map))
    to = pt_map_from(map);
  else
    return;
  const uint16_t before = load_be16(rtp);
  rtp[1] = static_cast<uint8_t>((rtp[1] & 0x80u) | to);
  if (const uint16_t ck = load_be16(udp + 6); ck != 0) {
    uint16_t updated = checksum_update16(ck, before, load_be16(rtp));
    store_be16(udp + 6, updated == 0 ? 0xffff : updated);
  }
}

}  // namespace

void relay_stage(StageContext& c, unsigned leg, Burst& b) {
  for (uint16_t i = 0; i < b.n; ++i) {
    rte_mbuf* m = b.pkts[i];
    const PacketMeta& pm = b.meta[i];
    Pinhole& in = *pm.pinhole;
    uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
    if (!check_source(c, leg, in, pm, frame)) {
      drop(c, leg, m, DropReason::wrong_source);
      continue;
    }
    // The pinhole's budget from the codec: an endpoint cannot use an open
    // pinhole as a flood cannon. Only this worker writes police_tat (one
    // 5-tuple after check_source, so one queue).
    const PoliceParams budget{in.police_interval.load(std::memory_order_relaxed),
                              in.police_tolerance.load(std::memory_order_relaxed)};
    if (budget.interval && !police_conform(in.police_tat, budget, c.now_tsc)) {
      drop(c, leg, m, DropReason::media_policed);
      continue;
    }
    // Then its bandwidth: large packets at an allowed packet rate. A packet
    // dropped here has used its packet-rate slot (it did arrive).
    const ByteBudget bytes{in.bw_interval.load(std::memory_order_relaxed),
                           in.bw_burst.load(std::memory_order_relaxed)};
    if (bytes.interval && !byte_conform(in.bw_tat, bytes, pm.ip_len, c.now_tsc)) {
      drop(c, leg, m, DropReason::media_bandwidth);
      continue;
    }
    const Pinhole& out = c.pinholes->at(in.peer);
    uint64_t dst = out.remote.load(std::memory_order_acquire);
    if (dst == 0) {
      const uint64_t exp = out.expected.load(std::memory_order_relaxed);
      if (remote_ip(exp) == 0 || remote_port(exp) == 0) {
        drop(c, leg, m, DropReason::no_destination);
        continue;
      }
      dst = exp;
    }
    const unsigned out_leg = out.key.leg;
    const Leg& ol = c.legs[out_leg];
    const uint32_t hop = ol.next_hop(remote_ip(dst));
    rte_ether_addr hop_mac;
    if (hop == 0 || !c.neighbours->lookup(static_cast<uint16_t>(out_leg), hop, hop_mac)) {
      drop(c, leg, m, DropReason::no_neighbour);
      continue;
    }
    if (pm.ttl <= 1) {
      drop(c, leg, m, DropReason::ttl_expired);
      continue;
    }
    count_stream(c, in, pm, frame + pm.l2_len + pm.l3_len);

    // L2: drop Ethernet padding, then make room for the egress header
    // (a VLAN tag may be added or removed between legs).
    const uint32_t frame_len = pm.l2_len + pm.ip_len;
    if (m->pkt_len > frame_len) rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - frame_len));
    const unsigned out_l2 = ol.vlan ? 18 : 14;
    if (out_l2 > pm.l2_len) {
      if (!rte_pktmbuf_prepend(m, static_cast<uint16_t>(out_l2 - pm.l2_len))) {
        drop(c, leg, m, DropReason::no_headroom);
        continue;
      }
    } else if (out_l2 < pm.l2_len) {
      rte_pktmbuf_adj(m, static_cast<uint16_t>(pm.l2_len - out_l2));
    }
    uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
    __builtin_memcpy(eth, hop_mac.addr_bytes, 6);
    __builtin_memcpy(eth + 6, ol.mac.addr_bytes, 6);
    if (ol.vlan) {
      store_be16(eth + 12, RTE_ETHER_TYPE_VLAN);
      store_be16(eth + 14, ol.vlan);
      store_be16(eth + 16, RTE_ETHER_TYPE_IPV4);
    } else {
      store_be16(eth + 12, RTE_ETHER_TYPE_IPV4);
    }

    // L3: new addresses and TTL; the 20-byte header checksum is recomputed
    // whole (parse refused options), cheaper than four incremental updates.
    uint8_t* ip = eth + out_l2;
    const uint32_t new_src = out.key.ip;
    const uint32_t new_dst = remote_ip(dst);
    __builtin_memcpy(ip + 12, &new_src, 4);
    __builtin_memcpy(ip + 16, &new_dst, 4);
    ip[8] = static_cast<uint8_t>(pm.ttl - 1);
    ip[10] = ip[11] = 0;
    store_be16(ip + 10, internet_checksum(ip, 20));

    // L4: ports, and the UDP checksum updated for the pseudo-header and port
    // changes (RFC 1624) so the payload is never read; 0 means "none" in
    // IPv4 and stays 0.
    uint8_t* udp = ip + 20;
    const uint16_t new_sport = out.key.port;
    const uint16_t new_dport = remote_port(dst);
    uint16_t ck = load_be16(udp + 6);
    if (ck != 0) {
      ck = checksum_update32(ck, rte_be_to_cpu_32(pm.src_ip), rte_be_to_cpu_32(new_src));
      ck = checksum_update32(ck, rte_be_to_cpu_32(pm.dst_ip), rte_be_to_cpu_32(new_dst));
      ck = checksum_update16(ck, rte_be_to_cpu_16(pm.src_port), rte_be_to_cpu_16(new_sport));
      ck = checksum_update16(ck, rte_be_to_cpu_16(pm.dst_port), rte_be_to_cpu_16(new_dport));
      if (ck == 0) ck = 0xffff;
      store_be16(udp + 6, ck);
    }
    if (const uint16_t map = in.pt_map.load(std::memory_order_relaxed); map)
      map_payload_type(udp, pm.ip_len - 20u, map);
    __builtin_memcpy(udp, &new_sport, 2);
    __builtin_memcpy(udp + 2, &new_dport, 2);

    counter_add(c.counters->legs[leg].relayed, 1);
    c.port_tx[out_leg].add(m);
  }
  b.n = 0;
}

}  // namespace sbc::dataplane
