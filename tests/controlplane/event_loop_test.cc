#include "controlplane/event_loop.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <vector>

using namespace sbc::controlplane;

TEST(EventLoop, ZeroDelayTimersRunOnTheNextTurn) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  std::vector<int> order;
  ASSERT_TRUE((*loop)->after(std::chrono::milliseconds(0), [&] { order.push_back(1); }).ok());
  ASSERT_TRUE((*loop)
                  ->after(std::chrono::milliseconds(5),
                          [&] {
                            order.push_back(2);
                            (*loop)->stop();
                          })
                  .ok());
  (*loop)->run();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoop, CancelledTimersDoNotFireAndRepeatingOnesRepeat) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  int fired = 0, ticks = 0;
  auto t = (*loop)->after(std::chrono::milliseconds(1), [&] { ++fired; });
  ASSERT_TRUE(t.ok());
  (*loop)->cancel(*t);
  ASSERT_TRUE((*loop)
                  ->every(std::chrono::milliseconds(0),
                          [&] {
                            if (++ticks == 3) (*loop)->stop();
                          })
                  .ok());
  (*loop)->run();
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(ticks, 3);
}

TEST(EventLoop, WatchesFileDescriptors) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  int fd = eventfd(0, EFD_NONBLOCK);
  int seen = 0;
  auto w = (*loop)->watch_readable(fd, [&] {
    uint64_t v;
    (void)!read(fd, &v, sizeof v);
    seen += static_cast<int>(v);
    (*loop)->stop();
  });
  ASSERT_TRUE(w.ok());
  uint64_t three = 3;
  (void)!write(fd, &three, sizeof three);
  (*loop)->run();
  EXPECT_EQ(seen, 3);
  (*loop)->unwatch(*w);
  close(fd);
}

// A handler that blocks the loop makes the lag probe report at least the
// time it blocked past the probe's due time: a lower bound, which holds on
// any machine however slow.
TEST(EventLoop, LagProbeReportsABlockedLoop) {
  auto l = sbc::controlplane::EventLoop::create();
  ASSERT_TRUE(l.ok());
  auto& loop = **l;
  std::vector<std::chrono::nanoseconds> reports;
  ASSERT_TRUE(loop.measure_lag(std::chrono::milliseconds(10),
                               [&](std::chrono::nanoseconds late) {
                                 reports.push_back(late);
                                 if (reports.size() == 5) loop.stop();
                               })
                  .ok());
  // Due 10 ms from now; this handler starts at 1 ms and holds the loop for
  // 120 ms, so the probe cannot run before 121 ms: at least 100 ms late.
  ASSERT_TRUE(loop.after(std::chrono::milliseconds(1), [] { usleep(120 * 1000); }).ok());
  loop.run();
  ASSERT_EQ(reports.size(), 5u);
  EXPECT_GE(reports[0], std::chrono::milliseconds(100));
  for (auto r : reports) EXPECT_GE(r.count(), 0);
  EXPECT_FALSE(
      loop.measure_lag(std::chrono::milliseconds(0), [](std::chrono::nanoseconds) {}).ok());
}

TEST(EventLoop, LagProbeCountsFromTheLoopsStartNotFromBeingArmed) {
  auto l = EventLoop::create();
  ASSERT_TRUE(l.ok());
  auto& loop = **l;
  std::vector<std::chrono::nanoseconds> reports;
  ASSERT_TRUE(loop.measure_lag(std::chrono::milliseconds(10),
                               [&](std::chrono::nanoseconds late) {
                                 reports.push_back(late);
                                 loop.stop();
                               })
                  .ok());
  usleep(1000 * 1000);  // the rest of a slow start, before the loop runs
  loop.run();
  ASSERT_EQ(reports.size(), 1u);
  // Armed when the loop started: the second spent before it is not lag.
  EXPECT_LT(reports[0], std::chrono::milliseconds(900));
}
