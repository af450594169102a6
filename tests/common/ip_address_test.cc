#include "common/ip_address.h"

#include <gtest/gtest.h>

using sbc::Ipv4Address;
using sbc::Ipv4Prefix;

TEST(Ipv4Address, ParsesDottedQuad) {
  auto a = Ipv4Address::parse("198.18.1.1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->value, 0xc6120101u);
  EXPECT_EQ(a->to_string(), "198.18.1.1");
}

TEST(Ipv4Address, RejectsMalformed) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "01.2.3.4", "1.2.3.4 ",
                          " 1.2.3.4", "+1.2.3.4", "a.b.c.d", "1.2.3.-4", "::1"}) {
    EXPECT_FALSE(Ipv4Address::parse(bad).ok()) << bad;
  }
}

TEST(Ipv4Address, SaysIpv6IsNotSupportedYet) {
  auto a = Ipv4Address::parse("2001:db8::1");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("IPv6"), std::string::npos);
}

TEST(Ipv4Prefix, ParsesAndContains) {
  auto p = Ipv4Prefix::parse("198.18.0.0/15");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->length, 15);
  EXPECT_TRUE(p->contains(*Ipv4Address::parse("198.19.255.255")));
  EXPECT_FALSE(p->contains(*Ipv4Address::parse("198.20.0.0")));
  EXPECT_EQ(Ipv4Prefix::parse("0.0.0.0/0")->mask(), 0u);
  EXPECT_EQ(Ipv4Prefix::parse("10.1.2.3")->length, 32);
}

TEST(Ipv4Prefix, HostBitsAreAnErrorUnlessAllowed) {
  auto p = Ipv4Prefix::parse("198.18.1.1/24");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("198.18.1.0/24"), std::string::npos);
  EXPECT_TRUE(Ipv4Prefix::parse("198.18.1.1/24", true).ok());
}

TEST(Ipv4Prefix, RejectsBadLengths) {
  for (const char* bad : {"1.2.3.0/33", "1.2.3.0/", "1.2.3.0/x", "1.2.3.0/24/1", "1.2.3.0/-1"})
    EXPECT_FALSE(Ipv4Prefix::parse(bad).ok()) << bad;
}
