// Internet checksum helpers (RFC 1071, incremental update per RFC 1624),
// free of DPDK so tests can verify rewritten packets independently of the
// code that rewrote them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sbc::dataplane {

// One's-complement sum of `len` bytes read as big-endian 16-bit words, not
// folded and not inverted.
inline uint32_t ones_sum(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (; len > 1; p += 2, len -= 2) sum += static_cast<uint32_t>(p[0]) << 8 | p[1];
  if (len) sum += static_cast<uint32_t>(p[0]) << 8;
  return sum;
}

inline uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The checksum field value (host order) for the given bytes.
inline uint16_t internet_checksum(const uint8_t* p, size_t len) {
  return static_cast<uint16_t>(~fold(ones_sum(p, len)));
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changing from
// `from` to `to`. All values host order.
inline uint16_t checksum_update16(uint16_t check, uint16_t from, uint16_t to) {
  uint32_t sum =
      static_cast<uint16_t>(~check) + static_cast<uint32_t>(static_cast<uint16_t>(~from)) + to;
  return static_cast<uint16_t>(~fold(sum));
}

inline uint16_t checksum_update32(uint16_t check, uint32_t from, uint32_t to) {
  check =
      checksum_update16(check, static_cast<uint16_t>(from >> 16), static_cast<uint16_t>(to >> 16));
  return checksum_update16(check, static_cast<uint16_t>(from), static_cast<uint16_t>(to));
}

}  // namespace sbc::dataplane
