// NIC offload rules (rte_flow, rte_mtr): what the software stages do, also
// done by the NIC where the port accepts it (docs/protection.md "NIC
// offload"). Construction only: pure, no port, unit-tested field by field.
// flow_offload.h installs them.
//  - deny: ingress DROP of a deny list entry's source;
//  - pinhole: ingress QUEUE of an exact media 5-tuple to the RX queue whose
//    worker already serves it (optionally MARK with the pinhole index);
//  - meter: the untrusted punt cap as an srTCM packet-mode meter on the
//    leg's SIP ports, with the statically trusted sources exempted.
#pragma once

#include <rte_flow.h>
#include <rte_mtr.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/ip_address.h"

namespace sbc::dataplane {

// RX queues a rule may spread over (RSS action): more than any worker count
// this dataplane runs.
inline constexpr unsigned kMaxFlowQueues = 16;

// One rte_flow rule with its own storage: the pattern items and actions point
// into this object, so it is neither copied nor moved once built.
struct FlowRule {
  rte_flow_attr attr{};
  rte_flow_item_ipv4 ip_spec{}, ip_mask{};
  rte_flow_item_udp udp_spec{}, udp_mask{};
  rte_flow_item_tcp tcp_spec{}, tcp_mask{};
  rte_flow_action_queue queue{};
  rte_flow_action_mark mark{};
  rte_flow_action_meter meter{};
  rte_flow_action_rss rss{};
  std::array<uint16_t, kMaxFlowQueues> rss_queues{};
  std::array<rte_flow_item, 4> pattern{};    // ETH / IPV4 [/ UDP|TCP] / END
  std::array<rte_flow_action, 4> actions{};  // e.g. DROP / END, QUEUE [/ MARK] / END

  FlowRule() = default;
  FlowRule(const FlowRule&) = delete;
  FlowRule& operator=(const FlowRule&) = delete;
};

// Ingress drop of every frame from `prefix`; with a source port, two rules
// (UDP and TCP from that address and port), since rte_flow has no "any L4
// with this port" item.
std::vector<std::unique_ptr<FlowRule>> deny_flow_rules(Ipv4Prefix prefix, uint16_t port);

// An exact media pinhole as the NIC sees it: UDP from remote to local.
struct PinholeFlow {
  Ipv4Address remote;
  uint16_t remote_port = 0;
  Ipv4Address local;  // the SBC's leg address
  uint16_t local_port = 0;
  uint16_t queue = 0;            // RX queue of the worker serving the stream
  std::optional<uint32_t> mark;  // pinhole index for a future classify shortcut
  bool operator==(const PinholeFlow&) const = default;
};

// Ingress ETH / IPV4 (both addresses exact) / UDP (both ports exact) ->
// QUEUE [/ MARK] / END.
std::unique_ptr<FlowRule> pinhole_flow_rule(const PinholeFlow& f);

// The RSS queue a NIC computing the Toeplitz hash over (src ip, dst ip, src
// port, dst port) with `key` and the redirection table `reta` puts this
// UDP stream on: the queue whose worker has served it so far. Empty reta: 0.
uint16_t rss_queue(const std::vector<uint8_t>& key, const std::vector<uint16_t>& reta,
                   Ipv4Address src, uint16_t src_port, Ipv4Address dst, uint16_t dst_port);

// srTCM (RFC 2697) in packet mode: `rate` packets/s committed, `burst`
// packets committed burst, no excess burst (nothing is ever yellow).
rte_mtr_meter_profile punt_meter_profile(uint32_t rate, uint32_t burst);

// Per-colour actions: green and yellow pass (the binding rule's own fate
// applies), red is dropped. Owns the action lists the params point into.
struct MeterPolicy {
  std::array<rte_flow_action, 1> green{};
  std::array<rte_flow_action, 1> yellow{};
  std::array<rte_flow_action, 2> red{};
  rte_mtr_meter_policy_params params{};

  MeterPolicy() = default;
  MeterPolicy(const MeterPolicy&) = delete;
  MeterPolicy& operator=(const MeterPolicy&) = delete;
};
std::unique_ptr<MeterPolicy> punt_meter_policy();

// What the untrusted punt meter binds to on one port.
struct PuntMeterBinding {
  Ipv4Address leg_address;
  std::vector<uint16_t> sip_udp_ports;
  std::vector<Ipv4Prefix> trusted;  // sources in a non-default class: exempt
  uint16_t rx_queues = 1;           // the fate: spread as the port's RSS does
  uint32_t meter_id = 0;
};

// Per SIP port: trusted sources first (priority 0, fate only: they skip the
// meter, software polices them per source), then everything else to that
// port (priority 1: METER, then the same fate). The fate is QUEUE 0 on a
// one-queue port, else RSS over all queues with the port's IPv4/UDP/TCP
// hash, so a frame lands where it would without the rule.
std::vector<std::unique_ptr<FlowRule>> punt_meter_rules(const PuntMeterBinding& b);

}  // namespace sbc::dataplane
