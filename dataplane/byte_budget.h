// A media pinhole's bandwidth budget as the relay stage checks it: a GCRA on
// bytes in TSC cycles, packed in 32-bit fields so it fits the pinhole
// entry's first cache line beside the packet-rate GCRA (pinhole.h). Free of
// DPDK so the arithmetic is unit-tested without an EAL.
#pragma once

#include <cstdint>

namespace sbc::dataplane {

// interval: TSC cycles per byte (0: not policed). 32 bits hold 1 byte/s at a
// 4 GHz TSC; the integer division loses under 1% down to 25 cycles a byte,
// which is 100 MB/s at 2.5 GHz, far above any audio budget.
// burst: bytes the bucket may run ahead of the rate.
struct ByteBudget {
  uint32_t interval = 0;
  uint32_t burst = 0;
};

inline ByteBudget byte_budget(uint32_t bytes_per_second, uint32_t burst_bytes, uint64_t tsc_hz) {
  if (bytes_per_second == 0) return {};
  uint64_t interval = tsc_hz / bytes_per_second;
  if (interval == 0) interval = 1;
  if (interval > UINT32_MAX) interval = UINT32_MAX;
  return {static_cast<uint32_t>(interval), burst_bytes};
}

// One packet of `len` bytes against the bucket `tat`: it conforms while the
// bucket is at most `burst` bytes ahead of now, and then charges its length.
// So a burst is `burst` bytes plus the packet that crosses it, and a packet
// larger than the burst still passes when the bucket is empty (no size ever
// starves). Two multiplies and a compare.
inline bool byte_conform(uint64_t& tat, const ByteBudget& b, uint32_t len, uint64_t now) {
  if (b.interval == 0) return true;
  const uint64_t start = tat > now ? tat : now;
  if (start - now > uint64_t{b.burst} * b.interval) return false;
  tat = start + uint64_t{len} * b.interval;
  return true;
}

}  // namespace sbc::dataplane
