// One pinhole: an SBC (leg, address, port) that accepts media from one remote
// and relays it out through its peer pinhole on the other side of the call.
//
// Ownership (DESIGN.md "Tables"): the control thread creates, updates and
// removes entries; workers only read them, except
//  - `remote` (latching): the first worker to accept a packet stores it with
//    a compare-and-swap, once;
//  - the stream counters: written by the one worker whose RX queue the
//    stream's 5-tuple hashes to (a stream only counts after its source is
//    checked, so there is one 5-tuple and so one queue), read at stats time
//    with relaxed loads.
#pragma once

#include <atomic>
#include <cstdint>

#include "dataplane/media_session.h"

namespace sbc::dataplane {

// Hash key: the SBC side of the pinhole. Address and port in network order.
struct PinholeKey {
  uint32_t ip = 0;
  uint16_t port = 0;
  uint16_t leg = 0;
};
static_assert(sizeof(PinholeKey) == 8);

// An address and port packed into one word so they change atomically:
// bit 48 set = valid, bits 16..47 IPv4 (network order as stored), 0..15 port
// (network order as stored). 0 = none.
inline constexpr uint64_t pack_remote(uint32_t ip_n, uint16_t port_n) {
  return uint64_t{1} << 48 | uint64_t{ip_n} << 16 | port_n;
}
inline constexpr uint32_t remote_ip(uint64_t r) {
  return static_cast<uint32_t>(r >> 16);
}
inline constexpr uint16_t remote_port(uint64_t r) {
  return static_cast<uint16_t>(r);
}

// The SDP's view of the remote, with the latching mode in bits 56..63.
// IP or port 0 means "not known".
inline constexpr uint64_t pack_expected(uint32_t ip_n, uint16_t port_n, LatchMode m) {
  return uint64_t{static_cast<uint8_t>(m)} << 56 | uint64_t{ip_n} << 16 | port_n;
}
inline constexpr LatchMode expected_mode(uint64_t e) {
  return static_cast<LatchMode>(e >> 56);
}

// The RTP payload-type rewrite of what a pinhole receives (RFC 4733
// telephone-event numbered differently on the two legs), packed so one
// relaxed load reads it: bit 15 set = rewrite, bits 8..14 the event's type
// as received, bits 0..6 the one sent on; the two are exchanged (the other
// one, if present, becomes the first). 0: none.
inline constexpr uint16_t pack_pt_map(uint8_t from, uint8_t to) {
  return static_cast<uint16_t>(0x8000u | (from & 0x7fu) << 8 | (to & 0x7fu));
}
inline constexpr uint8_t pt_map_from(uint16_t m) {
  return static_cast<uint8_t>(m >> 8 & 0x7f);
}
inline constexpr uint8_t pt_map_to(uint16_t m) {
  return static_cast<uint8_t>(m & 0x7f);
}

struct alignas(64) Pinhole {
  // Set by the control thread before the key is published; constant after.
  PinholeKey key;
  uint32_t peer = 0;  // pool index of the pinhole the media leaves through
  MediaSessionId session = 0;
  uint16_t stream = 0;
  uint8_t side = 0;  // 0: a, 1: b
  bool rtcp = false;

  // Media policing, two GCRAs in TSC cycles (interval 0: off): packets, then
  // bytes (byte_budget.h; 32-bit fields so both fit this line). Control
  // thread stores (open/update), workers load relaxed.
  std::atomic<uint32_t> bw_interval{0};  // cycles per byte
  std::atomic<uint64_t> expected{0};     // control thread stores (update_media)
  std::atomic<uint64_t> remote{0};       // latched remote: worker CAS from 0, control clears
  std::atomic<uint64_t> police_interval{0};
  std::atomic<uint64_t> police_tolerance{0};
  std::atomic<uint32_t> bw_burst{0};  // bytes
  // pack_pt_map(); control thread stores (open/update), workers load relaxed.
  std::atomic<uint16_t> pt_map{0};

  // Per-stream counters (see above for who writes them).
  alignas(64) uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t rtp_seq_gaps = 0;
  uint64_t last_seen_tsc = 0;  // 0: never
  uint64_t police_tat = 0;     // the media policers' buckets, written by that same worker
  uint64_t bw_tat = 0;
  uint16_t last_seq = 0;
  bool have_seq = false;
};
static_assert(sizeof(Pinhole) == 128, "two cache lines: identity and counters");

// A plain add that a concurrent relaxed load can read without a data race; a
// single `add` on x86 (no lock prefix): only one thread ever writes.
inline void counter_add(uint64_t& c, uint64_t n) {
  __atomic_store_n(&c, __atomic_load_n(&c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}
inline uint64_t counter_read(const uint64_t& c) {
  return __atomic_load_n(&c, __ATOMIC_RELAXED);
}

}  // namespace sbc::dataplane
