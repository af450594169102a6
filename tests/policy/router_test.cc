// Routing decisions: manipulation, longest prefix, failover order and the
// reason every skipped candidate was skipped.
#include "policy/router.h"

#include <gtest/gtest.h>

#include "tests/policy/fake_live_state.h"
#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

using testing::FakeLiveState;

const char* kPlan = R"(peers:
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10, channels: {max: 2, alert_at: 2}, cps: {rate: 1, alert_at: 1},
     manipulation: {outbound: {strip: 1, prepend: "+49"}}}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20}
  - {name: video-gw, kind: trunk, leg: core, address: 198.18.2.30}
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.10, groups: [internal],
     manipulation: {inbound: {strip: 1}}}
  - {name: phone-7001, kind: phone, leg: access, groups: [internal], auth: {username: "7001", password: "Zq8#vL2m-Tr5pW"}}
  - {name: inbound-only, kind: trunk, leg: core, auth: {mode: ip, trusted: 198.18.2.99}}
routes:
  - {prefix: default, from_group: internal, to: [carrier-a, carrier-b]}
  - {prefix: "112", from_group: internal, to: [carrier-a, carrier-b], emergency: true}
  - {prefix: "8", from: pbx, to: video-gw, manipulation: {strip: 1, prepend: "44"}}
  - {prefix: "7001", to: phone-7001}
  - {prefix: "030", from_group: internal, to: [carrier-b, carrier-a], manipulation: {caller_id: "+4930555"}}
)";

class Router : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = testing::load_ok(kPlan);
    ASSERT_NE(policy_, nullptr);
  }
  RouteDecision route(const std::string& from, const std::string& called,
                      const std::string& caller = "100") {
    RouteRequest req;
    req.source = from.empty() ? nullptr : policy_->find_peer(from);
    req.called = called;
    req.caller = caller;
    return route_call(*policy_, live_, req);
  }
  PolicyPtr policy_;
  FakeLiveState live_;
};

TEST_F(Router, InboundManipulationThenLongestPrefixThenOutbound) {
  // The PBX dials 0 for an outside line: its inbound strip removes it.
  auto d = route("pbx", "0301234");
  ASSERT_EQ(d.outcome, RouteDecision::Outcome::routed) << to_string(d.outcome);
  EXPECT_EQ(d.called, "301234");
  ASSERT_EQ(d.candidates.size(), 2u);
  EXPECT_EQ(d.candidates[0].peer->name, "carrier-a");
  EXPECT_EQ(d.candidates[0].called, "+4901234");  // carrier-a's outbound: strip 1, prepend +49
  EXPECT_EQ(d.candidates[1].called, "301234");
  EXPECT_EQ(d.first_usable()->peer->name, "carrier-a");
}

TEST_F(Router, RouteManipulationAndCallerId) {
  auto d = route("phone-7001", "0301234", "7001");
  ASSERT_EQ(d.outcome, RouteDecision::Outcome::routed);
  EXPECT_EQ(d.route->prefix, "030");
  EXPECT_EQ(d.candidates[0].peer->name, "carrier-b");
  EXPECT_EQ(d.candidates[0].caller, "+4930555");
  auto v = route("pbx", "0812");  // inbound strip -> "812"; route strips 8 and prepends 44
  ASSERT_EQ(v.outcome, RouteDecision::Outcome::routed);
  EXPECT_EQ(v.candidates[0].peer->name, "video-gw");
  EXPECT_EQ(v.candidates[0].called, "4412");
}

TEST_F(Router, SkipReasonsInFailoverOrder) {
  live_.channels["carrier-a"] = 2;
  auto d = route("phone-7001", "0049301234");
  ASSERT_EQ(d.outcome, RouteDecision::Outcome::routed);
  EXPECT_EQ(d.candidates[0].skipped, SkipReason::at_channel_cap);
  EXPECT_EQ(d.candidates[1].skipped, SkipReason::none);
  EXPECT_EQ(d.first_usable()->peer->name, "carrier-b");

  live_.channels.clear();
  live_.cps_exhausted = {"carrier-a"};
  live_.unhealthy_peers = {"carrier-b"};
  d = route("phone-7001", "0049301234");
  EXPECT_EQ(d.outcome, RouteDecision::Outcome::all_unavailable);
  EXPECT_EQ(d.candidates[0].skipped, SkipReason::at_cps_cap);
  EXPECT_EQ(d.candidates[1].skipped, SkipReason::unhealthy);
  EXPECT_EQ(d.first_usable(), nullptr);
}

TEST_F(Router, RegistrationModePhoneIsOfflineUntilRegistered) {
  auto d = route("carrier-a", "7001");
  EXPECT_EQ(d.outcome, RouteDecision::Outcome::all_unavailable);
  EXPECT_EQ(d.candidates[0].skipped, SkipReason::offline);
  live_.registered_peers.insert("phone-7001");
  d = route("carrier-a", "7001");
  EXPECT_EQ(d.outcome, RouteDecision::Outcome::routed);
}

TEST_F(Router, NeverBackToTheSource) {
  live_.registered_peers.insert("phone-7001");
  auto d = route("phone-7001", "7001");
  ASSERT_EQ(d.candidates.size(), 1u);
  EXPECT_EQ(d.candidates[0].skipped, SkipReason::is_source);
  EXPECT_EQ(d.outcome, RouteDecision::Outcome::all_unavailable);
}

TEST_F(Router, NoRouteForThisSource) {
  // Carriers are not in group internal, so the default route is not theirs.
  EXPECT_EQ(route("carrier-a", "0301234").outcome, RouteDecision::Outcome::no_route);
  EXPECT_EQ(route("", "0301234").outcome, RouteDecision::Outcome::no_route);
  EXPECT_EQ(route("carrier-a", "81").outcome, RouteDecision::Outcome::no_route);
}

TEST_F(Router, InvalidNumber) {
  EXPECT_EQ(route("pbx", "0sip:evil").outcome, RouteDecision::Outcome::invalid_number);
}

TEST_F(Router, EmergencyIgnoresCapsBansAndOverload) {
  live_.channels["carrier-a"] = 2;
  live_.cps_exhausted = {"carrier-a", "carrier-b"};
  live_.banned_peers = {"phone-7001"};
  live_.overload = true;
  auto normal = route("phone-7001", "0301234");
  EXPECT_EQ(normal.outcome, RouteDecision::Outcome::source_banned);
  live_.banned_peers.clear();
  EXPECT_EQ(route("phone-7001", "0301234").outcome, RouteDecision::Outcome::overloaded);
  live_.banned_peers = {"phone-7001"};
  auto e = route("phone-7001", "112");
  ASSERT_EQ(e.outcome, RouteDecision::Outcome::routed) << to_string(e.outcome);
  EXPECT_TRUE(e.route->emergency);
  EXPECT_EQ(e.candidates[0].skipped, SkipReason::none);  // at its caps, still used
  // But an emergency call cannot go to a peer that is down.
  live_.unhealthy_peers = {"carrier-a"};
  e = route("phone-7001", "112");
  EXPECT_EQ(e.candidates[0].skipped, SkipReason::unhealthy);
  EXPECT_EQ(e.first_usable()->peer->name, "carrier-b");
}

TEST_F(Router, TrunkWhoseNameNeverResolvedIsSkipped) {
  auto p = testing::load_ok(R"(peers:
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.10}
  - {name: named, kind: trunk, leg: core, address: sip.carrier.example}
  - {name: backup, kind: trunk, leg: core, address: 198.18.2.20}
routes:
  - {prefix: "0", to: [named, backup]}
  - {prefix: "1", to: named}
)");
  ASSERT_NE(p, nullptr);
  RouteRequest req{p->find_peer("pbx"), "0301", "1"};
  auto d = route_call(*p, live_, req);
  EXPECT_EQ(d.first_usable()->peer->name, "named") << "resolved: used";
  live_.unresolved_peers = {"named", "pbx", "backup"};  // only names are asked
  d = route_call(*p, live_, req);
  EXPECT_EQ(d.candidates[0].skipped, SkipReason::unresolved);
  EXPECT_STREQ(to_string(d.candidates[0].skipped), "unresolved");
  EXPECT_EQ(d.first_usable()->peer->name, "backup") << "the call fails over";
  d = route_call(*p, live_, {p->find_peer("pbx"), "123", "1"});
  EXPECT_EQ(d.outcome, RouteDecision::Outcome::all_unavailable);
}

TEST_F(Router, PeerWithNoAddressThatCannotRegisterIsOffline) {
  Policy p = *policy_;
  p.routes[3].to = {p.find_peer("inbound-only")->id};
  p.build_indexes();
  RouteRequest req{p.find_peer("carrier-a"), "7001", "1"};
  auto d = route_call(p, live_, req);
  EXPECT_EQ(d.candidates[0].skipped, SkipReason::offline);
}

}  // namespace
}  // namespace sbc::policy
