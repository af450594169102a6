// Log lines and their per-event rate limit, on a fake clock.
#include "controlplane/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sbc;
using Time = std::chrono::steady_clock::time_point;

namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_sink_for_test([this](std::string_view l) { lines.emplace_back(l); });
    log::set_clock_for_test([this] { return now; });
    log::set_rate_limit(3);
  }
  void TearDown() override {
    log::set_sink_for_test({});
    log::set_clock_for_test({});
    log::set_rate_limit(20);
  }
  size_t count(const std::string& needle) const {
    size_t n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
  std::vector<std::string> lines;
  Time now{std::chrono::seconds(1000)};
};

}  // namespace

TEST_F(LogTest, LineShapeAndQuoting) {
  log::warn("banned", {{"source", "198.18.0.7"}, {"reason", "too many \"failures\""}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("Z warn banned source=198.18.0.7 reason=\"too many \\\"failures\\\"\"\n"),
            std::string::npos)
      << lines[0];
}

TEST_F(LogTest, AFloodOfOneEventIsCappedAndSummedUp) {
  for (int i = 0; i < 1000; ++i) log::info("auth_failed", {{"n", std::to_string(i)}});
  EXPECT_EQ(count("auth_failed n="), 3u) << "three lines per second get through";
  EXPECT_EQ(count("log_suppressed"), 0u) << "the window is not over yet";
  // Other events are not held back by the flood.
  log::info("reloaded");
  EXPECT_EQ(count("reloaded"), 1u);

  now += std::chrono::milliseconds(1000);
  log::flush_suppressed();
  ASSERT_EQ(count("log_suppressed"), 1u);
  EXPECT_NE(lines.back().find("warn log_suppressed event=auth_failed lines=997"), std::string::npos)
      << lines.back();
  log::flush_suppressed();
  EXPECT_EQ(count("log_suppressed"), 1u) << "reported once";

  // A new window admits lines again.
  log::info("auth_failed", {{"n", "x"}});
  EXPECT_EQ(count("auth_failed n="), 4u);
}

TEST_F(LogTest, TheNextLineReportsAnEndedWindowToo) {
  for (int i = 0; i < 5; ++i) log::info("scan");
  now += std::chrono::seconds(2);
  log::info("other");
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(lines[lines.size() - 2].find("log_suppressed event=scan lines=2"), std::string::npos);
  EXPECT_NE(lines.back().find(" info other"), std::string::npos);
}

TEST_F(LogTest, ZeroTurnsTheLimitOff) {
  log::set_rate_limit(0);
  for (int i = 0; i < 100; ++i) log::info("call_ended");
  EXPECT_EQ(count("call_ended"), 100u);
}

TEST_F(LogTest, LevelFilterComesFirst) {
  log::set_level(log::Level::warn);
  for (int i = 0; i < 10; ++i) log::info("chatty");
  log::set_level(log::Level::info);
  EXPECT_EQ(lines.size(), 0u);
  log::info("chatty");
  EXPECT_EQ(count("chatty"), 1u) << "filtered lines do not use up the budget";
}

TEST(RateLimiter, WindowsPerKey) {
  log::RateLimiter rl(2);
  Time t{std::chrono::seconds(5)};
  EXPECT_TRUE(rl.admit("a", t));
  EXPECT_TRUE(rl.admit("a", t));
  EXPECT_FALSE(rl.admit("a", t + std::chrono::milliseconds(999)));
  EXPECT_TRUE(rl.admit("b", t));
  std::vector<std::pair<std::string, uint64_t>> got;
  auto collect = [&](const std::string& k, uint64_t n) { got.emplace_back(k, n); };
  rl.take_suppressed(t + std::chrono::milliseconds(999), collect);
  EXPECT_TRUE(got.empty());
  rl.take_suppressed(t + std::chrono::seconds(1), collect);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], std::make_pair(std::string("a"), uint64_t{1}));
  EXPECT_TRUE(rl.admit("a", t + std::chrono::seconds(1)));
}
