#include "controlplane/registrar/nat_detection.h"

#include <gtest/gtest.h>

namespace sbc::registrar {
namespace {

Ipv4Address ip(const char* s) {
  return *Ipv4Address::parse(s);
}

TEST(NatDetection, PrivateAndReservedRanges) {
  for (const char* a : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
                        "127.0.0.1", "169.254.1.1", "0.0.0.0", "198.18.0.1", "240.0.0.1"})
    EXPECT_TRUE(is_private_or_reserved(ip(a))) << a;
  for (const char* a : {"8.8.8.8", "172.32.0.1", "172.15.255.255", "100.128.0.1", "193.0.0.1"})
    EXPECT_FALSE(is_private_or_reserved(ip(a))) << a;
}

TEST(NatDetection, PhoneWithPublicAddressIsNotBehindNat) {
  NatInput in{"203.0.114.5", 5060, "203.0.114.5", 5060,
              Source{ip("203.0.114.5"), 5060, Transport::kUdp}};
  NatResult r = detect_nat(in);
  EXPECT_FALSE(r.behind_nat);
  EXPECT_EQ(r.reasons, 0u);
  EXPECT_FALSE(r.reach.has_value());
}

TEST(NatDetection, DefaultPortsWhenAbsent) {
  NatInput in{"203.0.114.5", std::nullopt, "203.0.114.5", std::nullopt,
              Source{ip("203.0.114.5"), 5060, Transport::kUdp}};
  EXPECT_FALSE(detect_nat(in).behind_nat);
  in.received = Source{ip("203.0.114.5"), 5061, Transport::kTls};
  EXPECT_FALSE(detect_nat(in).behind_nat);
}

TEST(NatDetection, HomeRouterRewritesAddressAndPort) {
  Source received{ip("203.0.114.9"), 40123, Transport::kUdp};
  NatInput in{"192.168.1.20", 5060, "192.168.1.20", 5060, received};
  NatResult r = detect_nat(in);
  EXPECT_TRUE(r.behind_nat);
  EXPECT_TRUE(r.reasons & kNatViaAddress);
  EXPECT_TRUE(r.reasons & kNatViaPort);
  EXPECT_TRUE(r.reasons & kNatContactPrivate);
  ASSERT_TRUE(r.reach.has_value());
  EXPECT_EQ(*r.reach, received);
}

TEST(NatDetection, PortOnlyRewriteIsNatOnUdp) {
  Source received{ip("203.0.114.9"), 40123, Transport::kUdp};
  NatInput in{"203.0.114.9", 5060, "203.0.114.9", 5060, received};
  NatResult r = detect_nat(in);
  EXPECT_TRUE(r.behind_nat);
  EXPECT_EQ(r.reasons, uint32_t{kNatViaPort | kNatContactPort});
}

TEST(NatDetection, EphemeralTcpPortIsNotNat) {
  NatInput in{"203.0.114.9", 5060, "203.0.114.9", 5060,
              Source{ip("203.0.114.9"), 40123, Transport::kTcp}};
  EXPECT_FALSE(detect_nat(in).behind_nat);
}

TEST(NatDetection, HostnameInViaCountsAsMismatch) {
  NatInput in{"phone.example", 5060, "203.0.114.9", 5060,
              Source{ip("203.0.114.9"), 5060, Transport::kUdp}};
  NatResult r = detect_nat(in);
  EXPECT_TRUE(r.behind_nat);
  EXPECT_EQ(r.reasons, uint32_t{kNatViaAddress});
}

TEST(NatDetection, PrivateContactBehindCorrectVia) {
  // Some phones fill Via with rport-discovered values but keep the LAN Contact.
  NatInput in{"203.0.114.9", 40123, "10.0.0.5", 5060,
              Source{ip("203.0.114.9"), 40123, Transport::kUdp}};
  NatResult r = detect_nat(in);
  EXPECT_TRUE(r.behind_nat);
  EXPECT_EQ(r.reasons, uint32_t{kNatContactPrivate});
}

TEST(NatDetection, LabPhoneOnBenchmarkRangeWithoutNat) {
  // 198.18/15 is reserved, but a phone that is where it says it is is not NATed.
  NatInput in{"198.18.0.10", 5060, "198.18.0.10", 5060,
              Source{ip("198.18.0.10"), 5060, Transport::kUdp}};
  EXPECT_FALSE(detect_nat(in).behind_nat);
}

}  // namespace
}  // namespace sbc::registrar
