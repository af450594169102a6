// The sliding window behind the CPS column of `sbcctl peers`, on a manual
// clock: calls count while within the window's seconds and drop out after.
#include "controlplane/call_rate_window.h"

#include <gtest/gtest.h>

using namespace sbc::controlplane;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(CallRateWindow, CountsCallsWithinTheWindowPerPeer) {
  ManualClock clock;
  CallRateWindow w(clock);
  EXPECT_EQ(w.calls_in_window("carrier"), 0u);
  for (int i = 0; i < 5; ++i) w.record("carrier");
  w.record("pbx");
  EXPECT_EQ(w.calls_in_window("carrier"), 5u);
  EXPECT_EQ(w.calls_in_window("pbx"), 1u);
  EXPECT_DOUBLE_EQ(w.per_second("carrier"), 5.0 / CallRateWindow::kWindowSeconds);
  clock.advance(seconds(3));
  for (int i = 0; i < 3; ++i) w.record("carrier");
  EXPECT_EQ(w.calls_in_window("carrier"), 8u);
}

TEST(CallRateWindow, OldSecondsLeaveTheWindow) {
  ManualClock clock;  // starts on a whole second
  CallRateWindow w(clock);
  w.record("carrier");  // second 0
  clock.advance(seconds(4));
  w.record("carrier");  // second 4
  clock.advance(seconds(CallRateWindow::kWindowSeconds - 1));
  // Second 0 is out, second 4 still in (read without a new call).
  EXPECT_EQ(w.calls_in_window("carrier"), 1u);
  clock.advance(seconds(4));
  EXPECT_EQ(w.calls_in_window("carrier"), 0u);
}

TEST(CallRateWindow, AQuietPeerStartsFromAnEmptyWindow) {
  ManualClock clock;
  CallRateWindow w(clock);
  for (int i = 0; i < 50; ++i) w.record("carrier");
  clock.advance(seconds(3 * CallRateWindow::kWindowSeconds) + milliseconds(500));
  w.record("carrier");
  EXPECT_EQ(w.calls_in_window("carrier"), 1u) << "stale buckets were reused, not cleared";
  // Every bucket of the ring in turn, one call a second: the window holds
  // exactly its length of them.
  for (int i = 0; i < 3 * CallRateWindow::kWindowSeconds; ++i) {
    clock.advance(seconds(1));
    w.record("carrier");
  }
  EXPECT_EQ(w.calls_in_window("carrier"), static_cast<uint64_t>(CallRateWindow::kWindowSeconds));
}
