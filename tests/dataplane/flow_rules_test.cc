// rte_flow rules and rte_mtr objects for NIC offload (deny entries, exact
// pinholes, the untrusted punt meter), checked field by field (no port
// needed: no PMD here takes them, FACTS.md).
#include "dataplane/flow_rules.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rte_ethdev.h>

namespace sbc::dataplane {
namespace {

TEST(FlowRules, PrefixDenyIsOneIngressDropOnTheMaskedSource) {
  auto rules = deny_flow_rules(*Ipv4Prefix::parse("198.18.66.0/24"), 0);
  ASSERT_EQ(rules.size(), 1u);
  const FlowRule& r = *rules[0];
  EXPECT_EQ(r.attr.ingress, 1u);
  EXPECT_EQ(r.attr.egress, 0u);
  EXPECT_EQ(r.pattern[0].type, RTE_FLOW_ITEM_TYPE_ETH);
  EXPECT_EQ(r.pattern[0].spec, nullptr);
  EXPECT_EQ(r.pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
  EXPECT_EQ(r.pattern[1].spec, &r.ip_spec);
  EXPECT_EQ(r.pattern[1].mask, &r.ip_mask);
  EXPECT_EQ(r.pattern[2].type, RTE_FLOW_ITEM_TYPE_END);
  EXPECT_EQ(r.ip_spec.hdr.src_addr, inet_addr("198.18.66.0"));
  EXPECT_EQ(r.ip_mask.hdr.src_addr, inet_addr("255.255.255.0"));
  EXPECT_EQ(r.ip_mask.hdr.dst_addr, 0u);  // any destination
  EXPECT_EQ(r.actions[0].type, RTE_FLOW_ACTION_TYPE_DROP);
  EXPECT_EQ(r.actions[1].type, RTE_FLOW_ACTION_TYPE_END);
}

TEST(FlowRules, HostBitsAreClearedAndAPortGivesUdpAndTcpRules) {
  auto rules = deny_flow_rules(*Ipv4Prefix::parse("198.18.1.50/32"), 5070);
  ASSERT_EQ(rules.size(), 2u);
  const FlowRule& u = *rules[0];
  const FlowRule& t = *rules[1];
  EXPECT_EQ(u.ip_mask.hdr.src_addr, 0xffffffffu);
  EXPECT_EQ(u.pattern[2].type, RTE_FLOW_ITEM_TYPE_UDP);
  EXPECT_EQ(u.pattern[2].spec, &u.udp_spec);
  EXPECT_EQ(u.udp_spec.hdr.src_port, htons(5070));
  EXPECT_EQ(u.udp_mask.hdr.src_port, 0xffff);
  EXPECT_EQ(u.udp_mask.hdr.dst_port, 0);
  EXPECT_EQ(u.pattern[3].type, RTE_FLOW_ITEM_TYPE_END);
  EXPECT_EQ(t.pattern[2].type, RTE_FLOW_ITEM_TYPE_TCP);
  EXPECT_EQ(t.pattern[2].spec, &t.tcp_spec);
  EXPECT_EQ(t.tcp_spec.hdr.src_port, htons(5070));
  auto wide = deny_flow_rules(*Ipv4Prefix::parse("198.18.1.0/24"), 0);
  EXPECT_EQ(wide[0]->ip_spec.hdr.src_addr, inet_addr("198.18.1.0"));
}

PinholeFlow media_flow() {
  PinholeFlow f;
  f.remote = *Ipv4Address::parse("198.18.1.20");
  f.remote_port = 40000;
  f.local = *Ipv4Address::parse("198.18.1.1");
  f.local_port = 20002;
  f.queue = 3;
  return f;
}

TEST(FlowRules, PinholeIsAnExactUdpFiveTupleQueuedToItsWorker) {
  auto r = pinhole_flow_rule(media_flow());
  EXPECT_EQ(r->attr.ingress, 1u);
  EXPECT_EQ(r->attr.egress, 0u);
  EXPECT_EQ(r->attr.group, 0u);
  EXPECT_EQ(r->pattern[0].type, RTE_FLOW_ITEM_TYPE_ETH);
  EXPECT_EQ(r->pattern[0].spec, nullptr);
  EXPECT_EQ(r->pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
  EXPECT_EQ(r->pattern[1].spec, &r->ip_spec);
  EXPECT_EQ(r->pattern[1].mask, &r->ip_mask);
  EXPECT_EQ(r->ip_spec.hdr.src_addr, inet_addr("198.18.1.20"));
  EXPECT_EQ(r->ip_mask.hdr.src_addr, 0xffffffffu);
  EXPECT_EQ(r->ip_spec.hdr.dst_addr, inet_addr("198.18.1.1"));
  EXPECT_EQ(r->ip_mask.hdr.dst_addr, 0xffffffffu);
  EXPECT_EQ(r->ip_spec.hdr.next_proto_id, IPPROTO_UDP);
  EXPECT_EQ(r->ip_mask.hdr.next_proto_id, 0xff);
  EXPECT_EQ(r->pattern[2].type, RTE_FLOW_ITEM_TYPE_UDP);
  EXPECT_EQ(r->pattern[2].spec, &r->udp_spec);
  EXPECT_EQ(r->pattern[2].mask, &r->udp_mask);
  EXPECT_EQ(r->udp_spec.hdr.src_port, htons(40000));
  EXPECT_EQ(r->udp_mask.hdr.src_port, 0xffff);
  EXPECT_EQ(r->udp_spec.hdr.dst_port, htons(20002));
  EXPECT_EQ(r->udp_mask.hdr.dst_port, 0xffff);
  EXPECT_EQ(r->pattern[3].type, RTE_FLOW_ITEM_TYPE_END);
  EXPECT_EQ(r->actions[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);
  EXPECT_EQ(r->actions[0].conf, &r->queue);
  EXPECT_EQ(r->queue.index, 3u);
  EXPECT_EQ(r->actions[1].type, RTE_FLOW_ACTION_TYPE_END);  // no MARK unless asked
}

TEST(FlowRules, PinholeMarkCarriesThePinholeIndex) {
  PinholeFlow f = media_flow();
  f.mark = 4711;
  auto r = pinhole_flow_rule(f);
  EXPECT_EQ(r->actions[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);
  EXPECT_EQ(r->actions[1].type, RTE_FLOW_ACTION_TYPE_MARK);
  EXPECT_EQ(r->actions[1].conf, &r->mark);
  EXPECT_EQ(r->mark.id, 4711u);
  EXPECT_EQ(r->actions[2].type, RTE_FLOW_ACTION_TYPE_END);
}

// The verification suite of Microsoft's RSS specification (IPv4 with TCP
// ports; the Toeplitz input is the same for UDP): the queue is the hash's
// entry in a 128-entry table holding its own index, so queue = hash % 128.
TEST(FlowRules, RssQueueIsTheToeplitzHashThroughTheRedirectionTable) {
  const std::vector<uint8_t> key = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                                    0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                                    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                                    0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
  std::vector<uint16_t> reta(128);
  for (uint16_t i = 0; i < reta.size(); ++i) reta[i] = i;
  auto ip = [](const char* s) { return *Ipv4Address::parse(s); };
  // 0x51ccc178 and 0xc626b0ea in the specification.
  EXPECT_EQ(rss_queue(key, reta, ip("66.9.149.187"), 2794, ip("161.142.100.80"), 1766),
            0x51ccc178u % 128);
  EXPECT_EQ(rss_queue(key, reta, ip("199.92.111.2"), 14230, ip("65.69.140.83"), 4739),
            0xc626b0eau % 128);
  // A 4-queue table repeating 0..3: the same hash, modulo the table.
  std::vector<uint16_t> four(128);
  for (uint16_t i = 0; i < four.size(); ++i) four[i] = i % 4;
  EXPECT_EQ(rss_queue(key, four, ip("66.9.149.187"), 2794, ip("161.142.100.80"), 1766),
            (0x51ccc178u % 128) % 4);
  // One queue (no table): always 0.
  EXPECT_EQ(rss_queue(key, {}, ip("66.9.149.187"), 2794, ip("161.142.100.80"), 1766), 0);
}

TEST(FlowRules, PuntMeterIsAPacketModeSrTcmWithoutExcessBurst) {
  rte_mtr_meter_profile p = punt_meter_profile(2000, 4000);
  EXPECT_EQ(p.alg, RTE_MTR_SRTCM_RFC2697);
  EXPECT_EQ(p.srtcm_rfc2697.cir, 2000u);
  EXPECT_EQ(p.srtcm_rfc2697.cbs, 4000u);
  EXPECT_EQ(p.srtcm_rfc2697.ebs, 0u);
  EXPECT_EQ(p.packet_mode, 1);
}

TEST(FlowRules, PuntMeterPolicyDropsRedAndPassesTheRest) {
  auto p = punt_meter_policy();
  EXPECT_EQ(p->params.actions[RTE_COLOR_GREEN], p->green.data());
  EXPECT_EQ(p->green[0].type, RTE_FLOW_ACTION_TYPE_END);
  EXPECT_EQ(p->params.actions[RTE_COLOR_YELLOW], p->yellow.data());
  EXPECT_EQ(p->yellow[0].type, RTE_FLOW_ACTION_TYPE_END);
  EXPECT_EQ(p->params.actions[RTE_COLOR_RED], p->red.data());
  EXPECT_EQ(p->red[0].type, RTE_FLOW_ACTION_TYPE_DROP);
  EXPECT_EQ(p->red[1].type, RTE_FLOW_ACTION_TYPE_END);
}

TEST(FlowRules, PuntMeterRulesExemptTrustedSourcesThenMeterEachSipPort) {
  PuntMeterBinding b;
  b.leg_address = *Ipv4Address::parse("198.18.1.1");
  b.sip_udp_ports = {5060, 5080};
  b.trusted = {*Ipv4Prefix::parse("198.18.2.0/24")};
  b.rx_queues = 1;
  b.meter_id = 7;
  auto rules = punt_meter_rules(b);
  ASSERT_EQ(rules.size(), 4u);  // per port: one exemption, one meter
  for (size_t i = 0; i < 4; ++i) {
    const FlowRule& r = *rules[i];
    const uint16_t port = i < 2 ? 5060 : 5080;
    EXPECT_EQ(r.attr.ingress, 1u);
    EXPECT_EQ(r.ip_spec.hdr.dst_addr, inet_addr("198.18.1.1"));
    EXPECT_EQ(r.ip_mask.hdr.dst_addr, 0xffffffffu);
    EXPECT_EQ(r.pattern[2].type, RTE_FLOW_ITEM_TYPE_UDP);
    EXPECT_EQ(r.udp_spec.hdr.dst_port, htons(port));
    EXPECT_EQ(r.udp_mask.hdr.dst_port, 0xffff);
    EXPECT_EQ(r.udp_mask.hdr.src_port, 0);
  }
  const FlowRule& exempt = *rules[0];
  EXPECT_EQ(exempt.attr.priority, 0u);  // before the meter rule
  EXPECT_EQ(exempt.ip_spec.hdr.src_addr, inet_addr("198.18.2.0"));
  EXPECT_EQ(exempt.ip_mask.hdr.src_addr, inet_addr("255.255.255.0"));
  EXPECT_EQ(exempt.actions[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);  // one queue: where it goes anyway
  EXPECT_EQ(exempt.queue.index, 0u);
  EXPECT_EQ(exempt.actions[1].type, RTE_FLOW_ACTION_TYPE_END);
  const FlowRule& meter = *rules[1];
  EXPECT_EQ(meter.attr.priority, 1u);
  EXPECT_EQ(meter.ip_mask.hdr.src_addr, 0u);  // every other source
  EXPECT_EQ(meter.actions[0].type, RTE_FLOW_ACTION_TYPE_METER);
  EXPECT_EQ(meter.actions[0].conf, &meter.meter);
  EXPECT_EQ(meter.meter.mtr_id, 7u);
  EXPECT_EQ(meter.actions[1].type, RTE_FLOW_ACTION_TYPE_QUEUE);
  EXPECT_EQ(meter.actions[2].type, RTE_FLOW_ACTION_TYPE_END);
}

TEST(FlowRules, PuntMeterFateSpreadsLikeThePortsRssOnSeveralQueues) {
  PuntMeterBinding b;
  b.leg_address = *Ipv4Address::parse("198.18.1.1");
  b.sip_udp_ports = {5060};
  b.rx_queues = 3;
  auto rules = punt_meter_rules(b);
  ASSERT_EQ(rules.size(), 1u);  // nothing trusted: the meter rule only
  const FlowRule& r = *rules[0];
  EXPECT_EQ(r.actions[1].type, RTE_FLOW_ACTION_TYPE_RSS);
  EXPECT_EQ(r.actions[1].conf, &r.rss);
  EXPECT_EQ(r.rss.queue_num, 3u);
  EXPECT_EQ(r.rss.queue, r.rss_queues.data());
  EXPECT_EQ(r.rss_queues[0], 0);
  EXPECT_EQ(r.rss_queues[2], 2);
  EXPECT_EQ(r.rss.key_len, 0u);  // the port's own key
  EXPECT_EQ(r.rss.types,
            RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV4_TCP);
  EXPECT_EQ(r.actions[2].type, RTE_FLOW_ACTION_TYPE_END);
}

}  // namespace
}  // namespace sbc::dataplane
