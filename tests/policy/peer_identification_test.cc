#include "policy/peer_identification.h"

#include <gtest/gtest.h>

#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

using O = Identification::Outcome;

class Identify : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = testing::load_ok(R"(peers:
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10}
  - {name: carrier-net, kind: trunk, leg: core, address: 198.18.2.20, auth: {mode: ip, trusted: [198.18.2.0/24]}}
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.10}
  - {name: phone-1, kind: phone, leg: access, auth: {username: "1001", password: "Zq8#vL2m-Tr5pW"}}
)");
    ASSERT_NE(policy_, nullptr);
  }
  Identification id(std::string_view leg, const char* ip, std::string_view user = "") {
    return identify_peer(*policy_, {leg, *Ipv4Address::parse(ip), user});
  }
  PolicyPtr policy_;
};

TEST_F(Identify, BySourceAddressLongestPrefix) {
  auto a = id("core", "198.18.2.10");
  EXPECT_EQ(a.outcome, O::by_source_address);
  EXPECT_EQ(a.peer->name, "carrier-a");  // the /32 inside the other peer's /24
  auto net = id("core", "198.18.2.77");
  EXPECT_EQ(net.peer->name, "carrier-net");
}

TEST_F(Identify, SourceAddressCountsOnItsOwnLegOnly) {
  // 198.18.2.10 arriving on the access leg is not the carrier.
  auto x = id("access", "198.18.2.10");
  EXPECT_EQ(x.outcome, O::no_credentials);
  EXPECT_FALSE(x.identified());
}

TEST_F(Identify, IpTrustWinsOverCredentials) {
  auto x = id("core", "198.18.2.10", "1001");
  EXPECT_EQ(x.outcome, O::by_source_address);
  EXPECT_EQ(x.peer->name, "carrier-a");
}

TEST_F(Identify, ByUsername) {
  auto x = id("access", "198.18.1.50", "1001");
  EXPECT_EQ(x.outcome, O::by_username);
  EXPECT_EQ(x.peer->name, "phone-1");
}

TEST_F(Identify, Unknowns) {
  EXPECT_EQ(id("access", "198.18.1.50").outcome, O::no_credentials);
  auto u = id("access", "198.18.1.50", "9999");
  EXPECT_EQ(u.outcome, O::unknown_username);
  EXPECT_EQ(u.peer, nullptr);
  EXPECT_EQ(id("core", "203.0.113.5", "1001").outcome, O::wrong_leg);
  EXPECT_EQ(id("mars", "198.18.2.10").outcome, O::unknown_leg);
  EXPECT_STREQ(to_string(O::unknown_username), "unknown_username");
}

}  // namespace
}  // namespace sbc::policy
