// Every shipped example policy loads with no error and no warning (what
// `sbcd --check FILE --strict` requires); the CLI itself is run on them as
// separate tests in meson.build.
#include <gtest/gtest.h>

#include <filesystem>

#include "policy/loader.h"
#include "policy/router.h"
#include "tests/policy/fake_live_state.h"
#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

const std::filesystem::path kDir = std::filesystem::path(SBC_SOURCE_DIR) / "deploy" / "policies";

PolicyPtr load_example(const std::string& name) {
  auto r = load_policy_file((kDir / name).string());
  EXPECT_NE(r.policy, nullptr) << testing::dump(r.diagnostics);
  EXPECT_TRUE(r.diagnostics.empty()) << testing::dump(r.diagnostics);
  return r.policy;
}

TEST(ExamplePolicies, AllLoadCleanly) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(kDir)) {
    if (e.path().extension() != ".yaml") continue;
    SCOPED_TRACE(e.path().string());
    load_example(e.path().filename().string());
    ++n;
  }
  EXPECT_GE(n, 4);
}

TEST(ExamplePolicies, CallCentreHasFiftyAgentsAndFailover) {
  auto p = load_example("callcentre.yaml");
  ASSERT_NE(p, nullptr);
  int agents = 0;
  for (const auto& peer : p->peers) agents += peer.template_name == "agent";
  EXPECT_EQ(agents, 50);
  testing::FakeLiveState live;
  live.channels["carrier-a"] = 120;  // carrier A full: failover to B
  RouteRequest req{p->find_peer("agent-2007"), "004930123456", "2007"};
  auto d = route_call(*p, live, req);
  ASSERT_EQ(d.outcome, RouteDecision::Outcome::routed);
  EXPECT_EQ(d.candidates[0].skipped, SkipReason::at_channel_cap);
  EXPECT_EQ(d.first_usable()->peer->name, "carrier-b");
  EXPECT_EQ(d.first_usable()->caller, "+4930555000");
}

TEST(ExamplePolicies, PeerToPeerByPrefix) {
  auto p = load_example("peer-to-peer.yaml");
  ASSERT_NE(p, nullptr);
  testing::FakeLiveState live;
  auto to_video = route_call(*p, live, {p->find_peer("pbx-here"), "8123", "6001"});
  ASSERT_EQ(to_video.outcome, RouteDecision::Outcome::routed);
  EXPECT_EQ(to_video.first_usable()->peer->name, "video-gw");
  auto back = route_call(*p, live, {p->find_peer("video-gw"), "6001", "8123"});
  EXPECT_EQ(back.first_usable()->peer->name, "pbx-here");
}

TEST(ExamplePolicies, BranchBehindNatInRegistrationMode) {
  auto p = load_example("branch-nat.yaml");
  ASSERT_NE(p, nullptr);
  const Peer* gw = p->find_peer("branch-gw");
  ASSERT_NE(gw, nullptr);
  EXPECT_EQ(gw->media.latching, LatchingMode::any);
  EXPECT_TRUE(p->find_peer("carrier-a")->registration.has_value());
  testing::FakeLiveState live;
  auto in = route_call(*p, live, {p->find_peer("carrier-a"), "7100", "0301234"});
  EXPECT_EQ(in.outcome, RouteDecision::Outcome::all_unavailable);  // not registered yet
  live.registered_peers.insert("branch-gw");
  in = route_call(*p, live, {p->find_peer("carrier-a"), "7100", "0301234"});
  EXPECT_EQ(in.outcome, RouteDecision::Outcome::routed);
  auto out = route_call(*p, live, {gw, "0301234", "7100"});
  EXPECT_EQ(out.called, "301234");  // the branch's 0 for an outside line is stripped
}

}  // namespace
}  // namespace sbc::policy
