#include "controlplane/admission.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sbc::controlplane;

TEST(Admission, ChannelsAreCountedByNameAndCapped) {
  ManualClock clock;
  Admission a(clock);
  sbc::policy::Peer p;
  p.name = "carrier";
  p.channels.max = 2;
  EXPECT_TRUE(a.channel_available(p));
  a.take_channel(p);
  a.take_channel(p);
  EXPECT_FALSE(a.channel_available(p));
  EXPECT_EQ(a.channels_in_use(p), 2u);
  a.release_channel("carrier");
  EXPECT_TRUE(a.channel_available(p));
  a.release_channel("carrier");
  a.release_channel("carrier");  // never below zero
  EXPECT_EQ(a.channels_in_use(p), 0u);
  sbc::policy::Peer uncapped;
  uncapped.name = "free";
  for (int i = 0; i < 1000; ++i) a.take_channel(uncapped);
  EXPECT_TRUE(a.channel_available(uncapped));
}

TEST(Admission, CpsBucketRefillsAtTheRate) {
  ManualClock clock;
  Admission a(clock);
  sbc::policy::Peer p;
  p.name = "carrier";
  p.cps.rate = 2;
  p.cps.burst = 3;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(a.take_cps(p)) << i;
  EXPECT_FALSE(a.take_cps(p));
  EXPECT_FALSE(a.cps_available(p));
  clock.advance(std::chrono::milliseconds(499));
  EXPECT_FALSE(a.take_cps(p));
  clock.advance(std::chrono::milliseconds(2));
  EXPECT_TRUE(a.take_cps(p)) << "2/s: one token per 500 ms";
  clock.advance(std::chrono::seconds(100));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(a.take_cps(p));
  EXPECT_FALSE(a.take_cps(p)) << "the bucket holds no more than its burst";
}

TEST(Admission, StartsAreReportedApartFromTheBucket) {
  ManualClock clock;
  Admission a(clock);
  std::vector<std::string> started;
  a.on_call_start([&](const std::string& peer) { started.push_back(peer); });
  sbc::policy::Peer capped;
  capped.name = "carrier";
  capped.cps.rate = 1;
  capped.cps.burst = 2;
  sbc::policy::Peer free;
  free.name = "pbx";
  EXPECT_TRUE(a.take_cps(capped));
  EXPECT_TRUE(a.take_cps(capped));
  EXPECT_FALSE(a.take_cps(capped));
  EXPECT_FALSE(a.cps_available(capped));
  EXPECT_TRUE(started.empty()) << "the bucket counts nothing itself";
  a.note_start(capped);  // e.g. an emergency call past the empty bucket
  a.note_start(free);
  EXPECT_EQ(started, (std::vector<std::string>{"carrier", "pbx"}));
}

TEST(Admission, EveryChannelChangeIsReportedWithTheCountNow) {
  ManualClock clock;
  Admission a(clock);
  std::vector<std::pair<std::string, uint32_t>> seen;
  a.on_channels_changed([&](const std::string& peer, uint32_t n) { seen.emplace_back(peer, n); });
  sbc::policy::Peer p;
  p.name = "carrier";
  a.take_channel(p);
  a.take_channel(p);
  a.release_channel("carrier");
  a.release_channel("carrier");
  a.release_channel("carrier");  // nothing held: nothing changes, nothing reported
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, uint32_t>>{
                      {"carrier", 1}, {"carrier", 2}, {"carrier", 1}, {"carrier", 0}}));
}
