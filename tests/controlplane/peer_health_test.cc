#include "controlplane/peer_health.h"

#include <gtest/gtest.h>

using namespace sbc::controlplane;
using State = PeerHealthState::State;

namespace {
sbc::policy::Peer trunk(uint32_t failures, uint32_t recovery) {
  sbc::policy::Peer p;
  p.name = "carrier";
  p.probe.failures = failures;
  p.probe.recovery = recovery;
  return p;
}
}  // namespace

TEST(PeerHealth, WhatCountsAsAnAnswer) {
  for (int s : {200, 404, 405, 481, 501, 603}) EXPECT_TRUE(probe_answered(s)) << s;
  for (int s : {0, 100, 408, 500, 503, 504}) EXPECT_FALSE(probe_answered(s)) << s;
}

TEST(PeerHealth, DownAfterNFailuresUpAfterMSuccesses) {
  ManualClock clock;
  PeerHealth h(clock);
  auto p = trunk(3, 2);
  EXPECT_TRUE(h.healthy(p)) << "not probed yet: healthy";
  EXPECT_TRUE(h.record(p, 200, std::chrono::microseconds(1500)));
  EXPECT_EQ(h.find("carrier")->state, State::up);
  EXPECT_EQ(h.find("carrier")->last_rtt, std::chrono::microseconds(1500));
  EXPECT_FALSE(h.record(p, 0, std::nullopt));
  EXPECT_FALSE(h.record(p, 503, std::nullopt));
  EXPECT_TRUE(h.healthy(p)) << "two failures of three: still up";
  EXPECT_TRUE(h.record(p, 408, std::nullopt));
  EXPECT_FALSE(h.healthy(p));
  EXPECT_FALSE(h.record(p, 200, std::nullopt));
  EXPECT_FALSE(h.healthy(p)) << "one success of two: still down";
  EXPECT_FALSE(h.record(p, 0, std::nullopt));
  EXPECT_FALSE(h.record(p, 200, std::nullopt)) << "a failure resets the run of successes";
  EXPECT_TRUE(h.record(p, 200, std::nullopt));
  EXPECT_TRUE(h.healthy(p));
  EXPECT_EQ(h.find("carrier")->probes, 8u);
  EXPECT_EQ(h.find("carrier")->failures, 4u);
}

TEST(PeerHealth, UnknownPeerGoesDownAfterFailuresToo) {
  ManualClock clock;
  PeerHealth h(clock);
  auto p = trunk(2, 2);
  h.record(p, 0, std::nullopt);
  EXPECT_EQ(h.find("carrier")->state, State::unknown);
  h.record(p, 0, std::nullopt);
  EXPECT_EQ(h.find("carrier")->state, State::down);
}
