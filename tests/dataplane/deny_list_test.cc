// The deny list's control-side logic and its snapshot's lookup, with ticks
// of one millisecond (no DPDK).
#include "dataplane/deny_list.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace sbc::dataplane {
namespace {

using std::chrono::milliseconds;

uint32_t be(const char* dotted) {
  in_addr a{};
  inet_pton(AF_INET, dotted, &a);
  return a.s_addr;
}
uint16_t be16(uint16_t p) {
  return htons(p);
}
Ipv4Prefix prefix(const char* s) {
  return *Ipv4Prefix::parse(s);
}

TEST(DenyList, PrefixesAddressesAndPortsMatchWhatTheySay) {
  DenyList l(1000);
  ASSERT_TRUE(l.add(prefix("198.18.4.0/22"), 0, 0, {}, "net").ok());
  ASSERT_TRUE(l.add(prefix("198.18.1.7/32"), 0, 0, {}, "host").ok());
  ASSERT_TRUE(l.add(prefix("198.18.1.9/32"), 5070, 0, {}, "host:port").ok());
  auto s = l.snapshot();
  EXPECT_TRUE(s->denied(be("198.18.5.200"), 0, 1));
  EXPECT_FALSE(s->denied(be("198.18.8.1"), 0, 1));
  EXPECT_TRUE(s->denied(be("198.18.1.7"), be16(40000), 1));
  EXPECT_FALSE(s->denied(be("198.18.1.8"), 0, 1));
  EXPECT_TRUE(s->denied(be("198.18.1.9"), be16(5070), 1));
  EXPECT_FALSE(s->denied(be("198.18.1.9"), be16(5071), 1));
  EXPECT_FALSE(s->denied(be("198.18.1.9"), 0, 1));  // ICMP from it: not the port
}

TEST(DenyList, ExpiryIsEnforcedByTheSnapshotAndRemovedByExpire) {
  DenyList l(1000);
  ASSERT_TRUE(l.add(prefix("198.18.1.7/32"), 0, 100, milliseconds(500), "x").ok());
  ASSERT_TRUE(l.add(prefix("198.18.2.0/24"), 0, 100, milliseconds(500), "y").ok());
  auto s = l.snapshot();
  EXPECT_TRUE(s->denied(be("198.18.1.7"), 0, 599));
  EXPECT_FALSE(s->denied(be("198.18.1.7"), 0, 600));
  EXPECT_TRUE(s->denied(be("198.18.2.1"), 0, 599));
  EXPECT_FALSE(s->denied(be("198.18.2.1"), 0, 600));
  auto list = l.list(350);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].remaining, milliseconds(250));
  EXPECT_EQ(l.expire(599), 0u);
  EXPECT_EQ(l.expire(600), 2u);
  EXPECT_EQ(l.size(), 0u);
}

TEST(DenyList, ReplaceRemoveAndRefuse) {
  DenyList l(1000);
  ASSERT_TRUE(l.add(prefix("198.18.1.7/32"), 0, 0, milliseconds(10), "first").ok());
  ASSERT_TRUE(l.add(prefix("198.18.1.7/32"), 0, 0, {}, "second").ok());
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l.list(0)[0].reason, "second");
  EXPECT_EQ(l.list(0)[0].remaining, milliseconds(0));  // permanent
  EXPECT_FALSE(l.add(prefix("198.18.1.0/24"), 5060, 0, {}, "port on a net").ok());
  EXPECT_FALSE(l.remove(prefix("198.18.1.8/32"), 0));
  EXPECT_TRUE(l.remove(prefix("198.18.1.7/32"), 0));
  EXPECT_TRUE(l.snapshot()->empty());
}

}  // namespace
}  // namespace sbc::dataplane
