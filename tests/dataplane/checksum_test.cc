#include "dataplane/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace sbc::dataplane {
namespace {

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
  const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(fold(ones_sum(d, sizeof d)), 0xddf2);
  EXPECT_EQ(internet_checksum(d, sizeof d), static_cast<uint16_t>(~0xddf2));
}

TEST(Checksum, IncrementalUpdateEqualsRecomputation) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> buf(40);
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    buf[10] = buf[11] = 0;
    uint16_t ck = internet_checksum(buf.data(), buf.size());
    const uint32_t from =
        static_cast<uint32_t>(buf[12] << 24 | buf[13] << 16 | buf[14] << 8 | buf[15]);
    const uint32_t to = static_cast<uint32_t>(rng());
    buf[12] = static_cast<uint8_t>(to >> 24);
    buf[13] = static_cast<uint8_t>(to >> 16);
    buf[14] = static_cast<uint8_t>(to >> 8);
    buf[15] = static_cast<uint8_t>(to);
    const uint16_t incremental = checksum_update32(ck, from, to);
    const uint16_t full = internet_checksum(buf.data(), buf.size());
    // One's complement has two zeros; both are the same checksum.
    EXPECT_TRUE(incremental == full || (incremental == 0xffff && full == 0) ||
                (incremental == 0 && full == 0xffff))
        << round;
  }
}

}  // namespace
}  // namespace sbc::dataplane
