#include "controlplane/event_loop.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

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
