// Per-worker, per-leg packet counters. Each worker writes only its own block
// (plain adds, no lock prefix); readers sum all blocks with relaxed loads at
// scrape time (DESIGN.md "Counters").
#pragma once

#include <cstdint>

#include "dataplane/drop_reason.h"
#include "dataplane/leg.h"
#include "dataplane/pinhole.h"
#include "dataplane/trust_class.h"

namespace sbc::dataplane {

struct alignas(64) LegCounters {
  uint64_t rx = 0;
  uint64_t tx = 0;
  uint64_t rx_bytes = 0;  // frame lengths, Ethernet header included, no FCS
  uint64_t tx_bytes = 0;
  uint64_t relayed = 0;
  uint64_t punted = 0;
  uint64_t exception = 0;
  uint64_t drops[kDropReasonCount] = {};
  // Punt traffic by the trust class the police stage applied.
  uint64_t class_punted[kMaxTrustClasses] = {};
  uint64_t class_policed[kMaxTrustClasses] = {};
};

struct alignas(64) WorkerCounters {
  LegCounters legs[kMaxLegs];
  uint64_t events_lost = 0;
  uint64_t polls = 0;
  uint64_t idle_sleeps = 0;
};

}  // namespace sbc::dataplane
