// The byte GCRA of a media pinhole at known times (no EAL: a made-up TSC).
#include "dataplane/byte_budget.h"

#include <gtest/gtest.h>

namespace sbc::dataplane {
namespace {

constexpr uint64_t kHz = 1'000'000'000;  // 1 GHz: one cycle a nanosecond

TEST(ByteBudget, ParametersFromRateAndBurst) {
  const ByteBudget b = byte_budget(20'000, 8'200, kHz);
  EXPECT_EQ(b.interval, 50'000u);  // cycles per byte
  EXPECT_EQ(b.burst, 8'200u);
  EXPECT_EQ(byte_budget(0, 100, kHz).interval, 0u);  // not policed
  // Faster than the clock: at least one cycle a byte, never "off".
  EXPECT_EQ(byte_budget(UINT32_MAX, 1, 1'000).interval, 1u);
  // Slower than 32 bits of cycles a byte: clamped, still policed.
  EXPECT_EQ(byte_budget(1, 1, uint64_t{1} << 40).interval, UINT32_MAX);
}

TEST(ByteBudget, BurstThenRefillAtTheRate) {
  const ByteBudget b = byte_budget(1'000, 3'000, kHz);  // 1 ms a byte
  uint64_t tat = 0;
  uint64_t now = 5'000'000'000;
  // 1,000-byte packets at once: the bucket may run 3,000 bytes ahead, so
  // the 4th (3,000 ahead) passes and the 5th (4,000 ahead) does not.
  int passed = 0;
  for (int i = 0; i < 10; ++i) passed += byte_conform(tat, b, 1'000, now);
  EXPECT_EQ(passed, 4);
  // One second refills 1,000 bytes: one more packet.
  now += kHz;
  EXPECT_TRUE(byte_conform(tat, b, 1'000, now));
  EXPECT_FALSE(byte_conform(tat, b, 1, now));
  // Small packets pass where large ones did not: 4,000 ahead - 1,000 drained.
  now += kHz;
  EXPECT_TRUE(byte_conform(tat, b, 10, now));
}

TEST(ByteBudget, APacketLargerThanTheBurstPassesOnAnEmptyBucket) {
  const ByteBudget b = byte_budget(1'000, 100, kHz);
  uint64_t tat = 0;
  EXPECT_TRUE(byte_conform(tat, b, 1'500, kHz));
  EXPECT_FALSE(byte_conform(tat, b, 1, kHz));
}

TEST(ByteBudget, IntervalZeroIsUnlimited) {
  uint64_t tat = 0;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(byte_conform(tat, ByteBudget{}, 1'500, 1));
  EXPECT_EQ(tat, 0u);
}

}  // namespace
}  // namespace sbc::dataplane
