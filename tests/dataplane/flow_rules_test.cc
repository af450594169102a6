// rte_flow rules for deny entries, checked field by field (no port needed:
// no PMD here takes them, FACTS.md).
#include "dataplane/flow_rules.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sbc::dataplane
