// The pure parts of trunk DNS resolution: SRV names, RFC 2782 ordering,
// the TTL clamp and which address a request goes to.
#include "controlplane/dns_targets.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

using namespace sbc;
using namespace sbc::controlplane;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

DnsTarget target(uint16_t prio, uint16_t weight, const std::string& host,
                 std::vector<std::string> addrs = {}) {
  DnsTarget t;
  t.priority = prio;
  t.weight = weight;
  t.port = 5060;
  t.host = host;
  for (const auto& a : addrs) t.addresses.push_back(*Ipv4Address::parse(a));
  return t;
}

std::vector<std::string> hosts(const std::vector<DnsTarget>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) out.push_back(t.host);
  return out;
}

RandomUpTo always(uint32_t v) {
  return [v](uint32_t bound) { return std::min(v, bound); };
}

}  // namespace

TEST(DnsTargets, SrvNamePerTransport) {
  EXPECT_EQ(srv_name("carrier.test", policy::SipTransport::udp), "_sip._udp.carrier.test");
  EXPECT_EQ(srv_name("carrier.test", policy::SipTransport::tcp), "_sip._tcp.carrier.test");
  EXPECT_EQ(srv_name("carrier.test", policy::SipTransport::tls), "_sips._tcp.carrier.test");
  EXPECT_EQ(default_port(policy::SipTransport::udp), 5060);
  EXPECT_EQ(default_port(policy::SipTransport::tcp), 5060);
  EXPECT_EQ(default_port(policy::SipTransport::tls), 5061);
}

TEST(DnsTargets, LowerPriorityValueComesFirst) {
  auto out =
      order_srv({target(20, 0, "backup"), target(10, 0, "main"), target(30, 5, "last")}, always(0));
  EXPECT_EQ(hosts(out), (std::vector<std::string>{"main", "backup", "last"}));
}

TEST(DnsTargets, WeightDrawWithinOnePriority) {
  // Running sums 10, 30, 100 (RFC 2782): a draw of 0..10 picks a, 11..30 b,
  // 31..100 c; then the rest are drawn again.
  std::vector<DnsTarget> ts{target(1, 10, "a"), target(1, 20, "b"), target(1, 70, "c")};
  EXPECT_EQ(order_srv(ts, always(5))[0].host, "a");
  EXPECT_EQ(order_srv(ts, always(25))[0].host, "b");
  EXPECT_EQ(order_srv(ts, always(31))[0].host, "c");
  EXPECT_EQ(order_srv(ts, always(100))[0].host, "c");
  EXPECT_EQ(order_srv(ts, always(100)).size(), 3u) << "every target is kept";
}

TEST(DnsTargets, ZeroWeightsGoFirstInTheRunningList) {
  // A draw of 0 picks the zero-weight record; any higher draw skips it.
  std::vector<DnsTarget> ts{target(1, 50, "weighted"), target(1, 0, "zero")};
  EXPECT_EQ(order_srv(ts, always(0))[0].host, "zero");
  EXPECT_EQ(order_srv(ts, always(1))[0].host, "weighted");
}

TEST(DnsTargets, WeightsShareTheFirstChoiceInProportion) {
  std::mt19937 rng(42);
  RandomUpTo random = [&](uint32_t bound) {
    return std::uniform_int_distribution<uint32_t>(0, bound)(rng);
  };
  std::vector<DnsTarget> ts{target(1, 10, "a"), target(1, 30, "b"), target(1, 60, "c"),
                            target(2, 100, "backup")};
  std::map<std::string, int> first;
  for (int i = 0; i < 10000; ++i) ++first[order_srv(ts, random)[0].host];
  EXPECT_EQ(first.count("backup"), 0u) << "a lower priority is never drawn before a higher one";
  EXPECT_NEAR(first["a"], 1000, 150);
  EXPECT_NEAR(first["b"], 3000, 200);
  EXPECT_NEAR(first["c"], 6000, 200);
}

TEST(DnsTargets, TtlIsClamped) {
  EXPECT_EQ(clamp_ttl(0, seconds(30), hours(1)), seconds(30)) << "TTL 0 must not become a storm";
  EXPECT_EQ(clamp_ttl(300, seconds(30), hours(1)), seconds(300));
  EXPECT_EQ(clamp_ttl(604800, seconds(30), hours(1)), hours(1));
  EXPECT_EQ(clamp_ttl(UINT32_MAX, seconds(1), seconds(5)), seconds(5));
  // Sub-second bounds round toward the range, never to zero.
  EXPECT_EQ(clamp_ttl(0, std::chrono::milliseconds(500), seconds(5)), seconds(1));
}

TEST(DnsTargets, NextEndpointIsTheFirstTargetWithAnAddress) {
  std::vector<DnsTarget> ts{target(10, 0, "dead"), target(20, 0, "alive", {"198.18.2.20"}),
                            target(30, 0, "later", {"198.18.2.30"})};
  ts[1].port = 5080;
  auto e = next_endpoint(ts, always(0));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->to_string(), "198.18.2.20:5080");
  EXPECT_FALSE(next_endpoint({target(10, 0, "dead")}, always(0)));
  EXPECT_FALSE(next_endpoint({}, always(0)));
}
