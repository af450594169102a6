// Counters the dataplane publishes, summed over worker lcores when asked
// (a scrape, `sbcctl status`); never maintained per packet in this form.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/drop_reason.h"
#include "dataplane/trust_class.h"

namespace sbc::dataplane {

struct LegStats {
  std::string name;
  bool link_up = false;
  uint64_t rx_packets = 0;  // frames received on the port
  uint64_t tx_packets = 0;  // frames the port accepted (relayed + exception)
  uint64_t rx_bytes = 0;    // their lengths (Ethernet header included, no FCS)
  uint64_t tx_bytes = 0;
  uint64_t relayed_packets = 0;    // media forwarded toward another leg
  uint64_t punted_packets = 0;     // handed to the exception TAP
  uint64_t exception_packets = 0;  // sent by the kernel on the TAP, out through the port
  std::array<uint64_t, kDropReasonCount> drops{};
  // Punt traffic by trust class (index into DataplaneStats::trust_classes):
  // passed the police stage, dropped by it (police or police_cap).
  std::array<uint64_t, kMaxTrustClasses> class_punted{};
  std::array<uint64_t, kMaxTrustClasses> class_policed{};
};

// Per port and rule kind: whether the NIC holds those rules (rte_flow,
// rte_mtr). The software stages run either way.
struct OffloadState {
  std::string leg;
  std::string rule_kind;  // "deny", "pinhole", "meter"
  bool offloaded = false;
  bool tried = false;     // false: no rule of this kind was installed yet
  std::string reason;     // why not, when refused
  uint64_t rules = 0;     // rte_flow rules of this kind on the port now
  uint64_t cap_hits = 0;  // rules not offered because the port's cap was reached
};

struct DataplaneStats {
  std::vector<LegStats> legs;
  uint64_t pinholes = 0;  // installed now
  uint64_t pinhole_capacity = 0;
  // Pinholes ever installed and removed (two per stream side pair: RTP, and
  // RTCP unless rtcp-mux): rate() of these is pinholes set up per second.
  uint64_t pinholes_installed = 0;
  uint64_t pinholes_removed = 0;
  uint64_t events_lost = 0;  // event ring full
  unsigned workers = 0;
  uint64_t worker_polls = 0;               // passes over all queues, all workers
  uint64_t worker_sleeps = 0;              // idle back-off sleeps, all workers
  std::vector<std::string> trust_classes;  // names of the filters in force; empty: none applied
  uint64_t deny_entries = 0;               // live deny list entries
  uint64_t trust_overrides = 0;            // sources with a per-source class (promoted)
  // Of those, how many are in each class (index into trust_classes).
  std::array<uint64_t, kMaxTrustClasses> class_sources{};
  std::vector<OffloadState> offload;  // per leg and rule kind (DPDK dataplane only)
  uint64_t neighbours = 0;            // next hops published to the workers
  uint64_t neighbour_changes = 0;     // MACs republished because the kernel's changed
  uint64_t neighbours_expired = 0;    // removed after going unconfirmed by the kernel
};

// One direction of a stream as one pinhole saw it.
struct PinholeStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;              // IPv4 bytes as received
  uint64_t rtp_seq_gaps = 0;       // RTP packets missing from the sequence
  double seconds_since_last = -1;  // -1: never
  bool latched = false;
};

struct MediaStreamStats {
  PinholeStats a_rtp, b_rtp, a_rtcp, b_rtcp;  // a_*: received from side a
};

}  // namespace sbc::dataplane
