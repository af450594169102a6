#include "dataplane/neighbour_aging.h"

#include <gtest/gtest.h>

namespace sbc::dataplane {
namespace {

using namespace std::chrono_literals;
using Key = NeighbourAging::Key;
using Map = std::map<Key, NeighbourAging::Mac>;

constexpr Key key(uint32_t leg, uint32_t ip) {
  return Key{leg} << 32 | ip;
}

struct Aging : ::testing::Test {
  NeighbourAging aging{{30s, 5s}};
  NeighbourAging::Clock::time_point t0{};
  std::vector<bool> taps{true, false};  // leg 0 has a TAP, leg 1 does not
};

TEST_F(Aging, PublishesTheKernelsEntriesAndRepublishesAChangedMac) {
  auto p = aging.refresh(t0, {}, {{key(0, 7), 0xaa}}, taps);
  ASSERT_EQ(p.set.size(), 1u);
  EXPECT_EQ(p.changed, 0u);
  EXPECT_TRUE(aging.refresh(t0 + 1s, {{key(0, 7), 0xaa}}, {{key(0, 7), 0xaa}}, taps).set.empty());
  p = aging.refresh(t0 + 2s, {{key(0, 7), 0xaa}}, {{key(0, 7), 0xbb}}, taps);
  ASSERT_EQ(p.set.size(), 1u);
  EXPECT_EQ(p.set[0].second, 0xbbu);
  EXPECT_EQ(p.changed, 1u);
  EXPECT_TRUE(p.remove.empty());
}

TEST_F(Aging, AnEntryTheKernelLostIsReResolvedThenRemovedAfterTheTimeout) {
  const Map published{{key(0, 7), 0xaa}};
  auto p = aging.refresh(t0, published, {}, taps);
  EXPECT_EQ(p.prompt, std::vector<Key>{key(0, 7)});  // asked at once
  EXPECT_TRUE(aging.refresh(t0 + 1s, published, {}, taps).prompt.empty());
  EXPECT_EQ(aging.refresh(t0 + 5s, published, {}, taps).prompt.size(), 1u);  // again
  p = aging.refresh(t0 + 29s, published, {}, taps);
  EXPECT_TRUE(p.remove.empty());
  p = aging.refresh(t0 + 30s, published, {}, taps);
  EXPECT_EQ(p.remove, std::vector<Key>{key(0, 7)});
  EXPECT_EQ(aging.tracked(), 0u);
}

TEST_F(Aging, ConfirmationResetsTheClock) {
  const Map published{{key(0, 7), 0xaa}};
  aging.refresh(t0, published, {}, taps);
  aging.refresh(t0 + 20s, published, {{key(0, 7), 0xaa}}, taps);  // the kernel resolved it
  EXPECT_EQ(aging.tracked(), 0u);
  auto p = aging.refresh(t0 + 40s, published, {}, taps);  // lost again: a fresh 30 s
  EXPECT_TRUE(p.remove.empty());
  EXPECT_EQ(p.prompt.size(), 1u);
  EXPECT_TRUE(aging.refresh(t0 + 69s, published, {}, taps).remove.empty());
  EXPECT_EQ(aging.refresh(t0 + 70s, published, {}, taps).remove.size(), 1u);
}

TEST_F(Aging, LegsWithoutATapAreNeverAged) {
  const Map published{{key(1, 7), 0xaa}, {key(5, 9), 0xcc}};  // leg 5: beyond the list
  for (auto t : {0s, 10s, 60s, 3600s}) {
    auto p = aging.refresh(t0 + t, published, {}, taps);
    EXPECT_TRUE(p.prompt.empty());
    EXPECT_TRUE(p.remove.empty());
  }
}

TEST_F(Aging, EntriesRemovedElsewhereAreForgotten) {
  aging.refresh(t0, {{key(0, 7), 0xaa}}, {}, taps);
  EXPECT_EQ(aging.tracked(), 1u);
  aging.refresh(t0 + 1s, {}, {}, taps);
  EXPECT_EQ(aging.tracked(), 0u);
  // Published again later: a new unconfirmed period, not the old one.
  auto p = aging.refresh(t0 + 40s, {{key(0, 7), 0xaa}}, {}, taps);
  EXPECT_TRUE(p.remove.empty());
  EXPECT_EQ(p.prompt.size(), 1u);
}

}  // namespace
}  // namespace sbc::dataplane
