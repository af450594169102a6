#include "controlplane/overload_detector.h"

#include <gtest/gtest.h>

namespace sbc::controlplane {
namespace {

using namespace std::chrono_literals;

TEST(OverloadDetector, ALateLoopSheds_HalfTheThresholdHolds_AQuietHoldClears) {
  OverloadDetector d({500ms, 5s});
  OverloadDetector::Clock::time_point t{};
  EXPECT_FALSE(d.sample(t, 2ms));
  EXPECT_FALSE(d.sample(t + 100ms, 499ms));
  EXPECT_FALSE(d.overloaded());
  EXPECT_TRUE(d.sample(t + 1s, 700ms));  // changed
  EXPECT_TRUE(d.overloaded());
  EXPECT_EQ(d.episodes(), 1u);
  EXPECT_FALSE(d.sample(t + 3s, 260ms));  // above half: still overloaded, hold restarts
  EXPECT_FALSE(d.sample(t + 7s, 10ms));   // 4 s quiet: not enough
  EXPECT_TRUE(d.overloaded());
  EXPECT_TRUE(d.sample(t + 8s, 10ms));  // 5 s since the last high sample
  EXPECT_FALSE(d.overloaded());
  EXPECT_EQ(d.worst_lag(), 700ms);
  EXPECT_TRUE(d.sample(t + 9s, 900ms));
  EXPECT_EQ(d.episodes(), 2u);
}

TEST(OverloadDetector, ThresholdZeroNeverSheds) {
  OverloadDetector d({0ms, 5s});
  EXPECT_FALSE(d.sample({}, 10s));
  EXPECT_FALSE(d.overloaded());
}

}  // namespace
}  // namespace sbc::controlplane
