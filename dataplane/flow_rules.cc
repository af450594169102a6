#include "dataplane/flow_rules.h"

#include <rte_byteorder.h>

namespace sbc::dataplane {
namespace {

std::unique_ptr<FlowRule> base_rule(Ipv4Prefix prefix) {
  auto r = std::make_unique<FlowRule>();
  r->attr.ingress = 1;
  r->ip_spec.hdr.src_addr = rte_cpu_to_be_32(prefix.network().address.value);
  r->ip_mask.hdr.src_addr = rte_cpu_to_be_32(prefix.mask());
  r->pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;  // any Ethernet header
  r->pattern[1].type = RTE_FLOW_ITEM_TYPE_IPV4;
  r->pattern[1].spec = &r->ip_spec;
  r->pattern[1].mask = &r->ip_mask;
  r->pattern[2].type = RTE_FLOW_ITEM_TYPE_END;
  r->pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
  r->actions[0].type = RTE_FLOW_ACTION_TYPE_DROP;
  r->actions[1].type = RTE_FLOW_ACTION_TYPE_END;
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

}  // namespace sbc::dataplane
