#include "dataplane/flow_rules.h"

#include <netinet/in.h>
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_thash.h>

#include <algorithm>

namespace sbc::dataplane {
namespace {

std::unique_ptr<FlowRule> ipv4_rule() {
  auto r = std::make_unique<FlowRule>();
  r->attr.ingress = 1;
  r->pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;  // any Ethernet header
  r->pattern[1].type = RTE_FLOW_ITEM_TYPE_IPV4;
  r->pattern[1].spec = &r->ip_spec;
  r->pattern[1].mask = &r->ip_mask;
  r->pattern[2].type = RTE_FLOW_ITEM_TYPE_END;
  r->pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
  for (auto& a : r->actions) a.type = RTE_FLOW_ACTION_TYPE_END;
  return r;
}

void match_source(FlowRule& r, Ipv4Prefix prefix) {
  r.ip_spec.hdr.src_addr = rte_cpu_to_be_32(prefix.network().address.value);
  r.ip_mask.hdr.src_addr = rte_cpu_to_be_32(prefix.mask());
}

std::unique_ptr<FlowRule> base_rule(Ipv4Prefix prefix) {
  auto r = ipv4_rule();
  match_source(*r, prefix);
  r->actions[0].type = RTE_FLOW_ACTION_TYPE_DROP;
  return r;
}

// The L4 item matching one source port (UDP and TCP items share the shape).
template <typename Item>
void match_source_port(FlowRule& r, rte_flow_item_type type, Item& spec, Item& mask,
                       uint16_t port) {
  spec.hdr.src_port = rte_cpu_to_be_16(port);
  mask.hdr.src_port = 0xffff;
  r.pattern[2].type = type;
  r.pattern[2].spec = &spec;
  r.pattern[2].mask = &mask;
}

void match_udp_destination(FlowRule& r, uint16_t port) {
  r.udp_spec.hdr.dst_port = rte_cpu_to_be_16(port);
  r.udp_mask.hdr.dst_port = 0xffff;
  r.pattern[2].type = RTE_FLOW_ITEM_TYPE_UDP;
  r.pattern[2].spec = &r.udp_spec;
  r.pattern[2].mask = &r.udp_mask;
}

// Where the frame would go without the rule: queue 0 of a one-queue port,
// else spread by the port's own hash over all its queues.
void default_fate(FlowRule& r, rte_flow_action& a, uint16_t rx_queues) {
  if (rx_queues <= 1) {
    r.queue.index = 0;
    a.type = RTE_FLOW_ACTION_TYPE_QUEUE;
    a.conf = &r.queue;
    return;
  }
  const uint16_t n = static_cast<uint16_t>(std::min<unsigned>(rx_queues, kMaxFlowQueues));
  for (uint16_t q = 0; q < n; ++q) r.rss_queues[q] = q;
  r.rss.func = RTE_ETH_HASH_FUNCTION_DEFAULT;
  r.rss.level = 0;
  r.rss.types = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV4_TCP;
  r.rss.key_len = 0;  // the port's key
  r.rss.key = nullptr;
  r.rss.queue_num = n;
  r.rss.queue = r.rss_queues.data();
  a.type = RTE_FLOW_ACTION_TYPE_RSS;
  a.conf = &r.rss;
}

}  // namespace

std::vector<std::unique_ptr<FlowRule>> deny_flow_rules(Ipv4Prefix prefix, uint16_t port) {
  std::vector<std::unique_ptr<FlowRule>> out;
  if (port == 0) {
    out.push_back(base_rule(prefix));
    return out;
  }
  auto udp = base_rule(prefix);
  match_source_port(*udp, RTE_FLOW_ITEM_TYPE_UDP, udp->udp_spec, udp->udp_mask, port);
  out.push_back(std::move(udp));
  auto tcp = base_rule(prefix);
  match_source_port(*tcp, RTE_FLOW_ITEM_TYPE_TCP, tcp->tcp_spec, tcp->tcp_mask, port);
  out.push_back(std::move(tcp));
  return out;
}

std::unique_ptr<FlowRule> pinhole_flow_rule(const PinholeFlow& f) {
  auto r = ipv4_rule();
  match_source(*r, Ipv4Prefix{f.remote, 32});
  r->ip_spec.hdr.dst_addr = rte_cpu_to_be_32(f.local.value);
  r->ip_mask.hdr.dst_addr = 0xffffffff;
  r->ip_spec.hdr.next_proto_id = IPPROTO_UDP;
  r->ip_mask.hdr.next_proto_id = 0xff;
  match_source_port(*r, RTE_FLOW_ITEM_TYPE_UDP, r->udp_spec, r->udp_mask, f.remote_port);
  r->udp_spec.hdr.dst_port = rte_cpu_to_be_16(f.local_port);
  r->udp_mask.hdr.dst_port = 0xffff;
  r->queue.index = f.queue;
  r->actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
  r->actions[0].conf = &r->queue;
  if (f.mark) {
    r->mark.id = *f.mark;
    r->actions[1].type = RTE_FLOW_ACTION_TYPE_MARK;
    r->actions[1].conf = &r->mark;
  }
  return r;
}

uint16_t rss_queue(const std::vector<uint8_t>& key, const std::vector<uint16_t>& reta,
                   Ipv4Address src, uint16_t src_port, Ipv4Address dst, uint16_t dst_port) {
  if (reta.empty()) return 0;
  // rte_softrss reads the key one word past the tuple: 16 bytes for IPv4+L4.
  if (key.size() < 4 * (RTE_THASH_V4_L4_LEN + 1)) return reta[0];
  rte_ipv4_tuple t{};
  t.src_addr = src.value;  // rte_softrss takes the tuple in CPU order
  t.dst_addr = dst.value;
  t.sport = src_port;
  t.dport = dst_port;
  const uint32_t hash =
      rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V4_L4_LEN, key.data());
  return reta[hash % reta.size()];
}

rte_mtr_meter_profile punt_meter_profile(uint32_t rate, uint32_t burst) {
  rte_mtr_meter_profile p{};
  p.alg = RTE_MTR_SRTCM_RFC2697;
  p.srtcm_rfc2697.cir = rate;
  p.srtcm_rfc2697.cbs = burst;
  p.srtcm_rfc2697.ebs = 0;
  p.packet_mode = 1;  // the software cap counts packets, not bytes
  return p;
}

std::unique_ptr<MeterPolicy> punt_meter_policy() {
  auto p = std::make_unique<MeterPolicy>();
  p->green[0].type = RTE_FLOW_ACTION_TYPE_END;
  p->yellow[0].type = RTE_FLOW_ACTION_TYPE_END;
  p->red[0].type = RTE_FLOW_ACTION_TYPE_DROP;
  p->red[1].type = RTE_FLOW_ACTION_TYPE_END;
  p->params.actions[RTE_COLOR_GREEN] = p->green.data();
  p->params.actions[RTE_COLOR_YELLOW] = p->yellow.data();
  p->params.actions[RTE_COLOR_RED] = p->red.data();
  return p;
}

std::vector<std::unique_ptr<FlowRule>> punt_meter_rules(const PuntMeterBinding& b) {
  std::vector<std::unique_ptr<FlowRule>> out;
  for (uint16_t port : b.sip_udp_ports) {
    for (const Ipv4Prefix& t : b.trusted) {
      auto r = ipv4_rule();
      r->attr.priority = 0;
      match_source(*r, t);
      r->ip_spec.hdr.dst_addr = rte_cpu_to_be_32(b.leg_address.value);
      r->ip_mask.hdr.dst_addr = 0xffffffff;
      match_udp_destination(*r, port);
      default_fate(*r, r->actions[0], b.rx_queues);
      out.push_back(std::move(r));
    }
    auto r = ipv4_rule();
    r->attr.priority = 1;
    r->ip_spec.hdr.dst_addr = rte_cpu_to_be_32(b.leg_address.value);
    r->ip_mask.hdr.dst_addr = 0xffffffff;
    match_udp_destination(*r, port);
    r->meter.mtr_id = b.meter_id;
    r->actions[0].type = RTE_FLOW_ACTION_TYPE_METER;
    r->actions[0].conf = &r->meter;
    default_fate(*r, r->actions[1], b.rx_queues);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sbc::dataplane
