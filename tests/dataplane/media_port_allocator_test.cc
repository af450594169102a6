#include "dataplane/media_port_allocator.h"

#include <gtest/gtest.h>

#include <set>

namespace sbc::dataplane {
namespace {

TEST(MediaPortAllocator, EvenPortsInsideTheRangeUntilExhausted) {
  MediaPortAllocator a(10001, 10010);  // pairs 10002, 10004, 10006, 10008 (10010 has no +1)
  EXPECT_EQ(a.capacity(), 4u);
  std::set<uint16_t> got;
  for (int i = 0; i < 4; ++i) {
    auto p = a.allocate();
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p % 2, 0);
    EXPECT_GE(*p, 10002);
    EXPECT_LE(*p + 1, 10010);
    got.insert(*p);
  }
  EXPECT_EQ(got.size(), 4u);
  EXPECT_FALSE(a.allocate().ok());
  a.release(10004);
  EXPECT_FALSE(a.in_use(10004));
  auto p = a.allocate();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, 10004);
}

TEST(MediaPortAllocator, NextFitDoesNotReuseAJustReleasedPort) {
  MediaPortAllocator a(20000, 20099);
  auto p1 = a.allocate();
  a.release(*p1);
  auto p2 = a.allocate();
  EXPECT_NE(*p1, *p2);
}

TEST(MediaPortAllocator, ReleaseIsIdempotentAndIgnoresForeignPorts) {
  MediaPortAllocator a(20000, 20003);
  auto p = a.allocate();
  a.release(*p);
  a.release(*p);
  a.release(5);
  a.release(20001);
  EXPECT_EQ(a.used(), 0u);
}

}  // namespace
}  // namespace sbc::dataplane
