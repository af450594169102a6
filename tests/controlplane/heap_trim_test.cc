#include "controlplane/heap_trim.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

using namespace sbc::controlplane;

TEST(HeapTrim, TrimsWhenResidentMemoryNotInUseGrowsByTheThreshold) {
  size_t in_use = 4000, resident = 5000;  // 1000 idle at the start: the baseline
  int trims = 0;
  HeapTrim t({std::chrono::milliseconds(10), 1000},
             {[&] { return in_use; }, [&] { return resident; },
              [&] {
                ++trims;
                resident = in_use + 1000;
              }});
  in_use += 5000;  // a burst: the heap grows, all of it in use
  resident += 5000;
  EXPECT_FALSE(t.check());
  in_use -= 999;  // most of it freed, still resident
  EXPECT_FALSE(t.check());
  in_use -= 1;
  EXPECT_TRUE(t.check());
  EXPECT_EQ(trims, 1);
  EXPECT_EQ(resident, 9000u);
  EXPECT_EQ(t.counters().released_bytes, 1000u);
  EXPECT_FALSE(t.check()) << "nothing idle since the trim";
  in_use += 3000;  // reused (faulted in again), then freed again
  resident += 3000;
  in_use -= 3000;
  EXPECT_TRUE(t.check());
  EXPECT_EQ(trims, 2);
  EXPECT_EQ(t.counters().checks, 5u);
  EXPECT_EQ(t.counters().trims, 2u);
}

TEST(HeapTrim, RunsOnTheLoop) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  int trims = 0;
  HeapTrim t({std::chrono::milliseconds(1), 0}, {[] { return size_t{1}; }, [] { return size_t{2}; },
                                                 [&] {
                                                   if (++trims == 3) (*loop)->stop();
                                                 }});
  ASSERT_TRUE(t.start(**loop).ok());
  (*loop)->run();
  EXPECT_EQ(trims, 3);
}

// The real allocator: freed memory below a live block stays resident until
// the trim (what sbcd saw after a burst of transactions).
TEST(HeapTrim, GivesFreedHeapBelowLiveBlocksBackToTheKernel) {
  constexpr size_t kBlocks = 20'000, kSize = 4000;  // 80 MB, each under the mmap threshold
  HeapTrim t({std::chrono::milliseconds(10), 16u << 20});
  std::vector<void*> blocks;
  blocks.reserve(kBlocks);
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::malloc(kSize));
    ASSERT_NE(blocks.back(), nullptr);
    std::memset(blocks.back(), 1, kSize);  // resident
  }
  void* top = std::malloc(kSize);  // live above them: free() cannot shrink the heap
  ASSERT_NE(top, nullptr);
  std::memset(top, 1, kSize);
  for (void* b : blocks) std::free(b);
  size_t before = HeapTrim::resident_bytes();
  ASSERT_GT(before, 0u);
  EXPECT_TRUE(t.check());
  size_t after = HeapTrim::resident_bytes();
  EXPECT_GT(before - after, kBlocks * kSize / 2) << before << " -> " << after;
  EXPECT_GT(t.counters().released_bytes, kBlocks * kSize / 2);
  // Nothing worth trimming left.
  EXPECT_FALSE(t.check());
  std::free(top);
}
