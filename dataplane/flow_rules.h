// NIC offload rules (rte_flow) for deny list entries: what the software deny
// stage drops, also dropped by the NIC where the port accepts the rule
// (docs/protection.md "NIC offload"). Construction only: pure, no port,
// unit-tested field by field. flow_offload.h installs them.
#pragma once

#include <rte_flow.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/ip_address.h"

namespace sbc::dataplane {

// One rte_flow rule with its own storage: the pattern items point into this
// object, so it is neither copied nor moved once built.
struct FlowRule {
  rte_flow_attr attr{};
  rte_flow_item_ipv4 ip_spec{}, ip_mask{};
  rte_flow_item_udp udp_spec{}, udp_mask{};
  rte_flow_item_tcp tcp_spec{}, tcp_mask{};
  std::array<rte_flow_item, 4> pattern{};    // ETH / IPV4 [/ UDP|TCP] / END
  std::array<rte_flow_action, 2> actions{};  // DROP / END

  FlowRule() = default;
  FlowRule(const FlowRule&) = delete;
  FlowRule& operator=(const FlowRule&) = delete;
};

// Ingress drop of every frame from `prefix`; with a source port, two rules
// (UDP and TCP from that address and port), since rte_flow has no "any L4
// with this port" item.
std::vector<std::unique_ptr<FlowRule>> deny_flow_rules(Ipv4Prefix prefix, uint16_t port);

}  // namespace sbc::dataplane
