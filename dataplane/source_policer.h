// Per-source policing state of one worker: a direct-mapped table of GCRA
// buckets keyed by source address, plus the worker's bucket for the global
// untrusted cap. Per worker, so it needs no lock and no atomic: with RSS a
// source's signalling lands on one queue; if it spreads over N workers it
// gets N times its rate (docs/protection.md).
//
// A slot whose source differs is taken over with a full bucket: an attacker
// cycling addresses evicts others' buckets, which makes them more lenient,
// never stricter; the untrusted cap bounds what all of them punt together.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/filter_tables.h"

namespace sbc::dataplane {

class SourcePolicer {
 public:
  static constexpr uint32_t kSlots = 1u << 16;  // 1 MiB per worker (16-byte slots)

  SourcePolicer() : slots_(new Slot[kSlots]()) {}

  // True when a packet from `src_be` in a class with parameters `p`
  // conforms at `now` (TSC); its bucket is charged.
  // A source whose class changed (promotion, demotion) starts with a full
  // bucket of its new class.
  bool conform(uint32_t src_be, uint8_t cls, const PoliceParams& p, uint64_t now) {
    Slot& s = slots_[hash(src_be) & (kSlots - 1)];
    if (s.src != src_be || s.cls != cls || !s.used) {
      s.src = src_be;
      s.cls = cls;
      s.used = 1;
      s.reported = 0;
      s.tat = 0;
    }
    return police_conform(s.tat, p, now);
  }
  bool conform_cap(const PoliceParams& p, uint64_t now) { return police_conform(cap_tat_, p, now); }

  // After a per-source drop (conform just returned false for `src_be`):
  // true once per source per report epoch (2^31 TSC cycles, ~0.9 s at
  // 2.45 GHz), so a flood yields about one SourceAbuse event a second.
  bool should_report(uint32_t src_be, uint64_t now) {
    Slot& s = slots_[hash(src_be) & (kSlots - 1)];
    const uint16_t epoch = static_cast<uint16_t>(now >> 31);
    if (s.reported && s.report_epoch == epoch) return false;
    s.reported = 1;
    s.report_epoch = epoch;
    return true;
  }

 private:
  struct Slot {
    uint32_t src = 0;
    uint8_t cls = 0;
    uint8_t used = 0;
    uint8_t reported = 0;
    uint8_t pad = 0;
    uint16_t report_epoch = 0;
    uint64_t tat = 0;
  };
  static uint32_t hash(uint32_t x) {
    // Murmur3's finaliser: cheap, and spreads neighbouring addresses.
    x ^= x >> 16;
    x *= 0x85ebca6b;
    x ^= x >> 13;
    x *= 0xc2b2ae35;
    x ^= x >> 16;
    return x;
  }
  std::unique_ptr<Slot[]> slots_;
  uint64_t cap_tat_ = 0;
};

}  // namespace sbc::dataplane
