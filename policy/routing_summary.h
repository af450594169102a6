// The few facts per peer and per route that routing reads, packed apart
// from the full Peer and Route records (hot/cold split). With 10,000 peers
// and 100,000 routes the records take tens of megabytes and every field
// read is a cache miss; these arrays take about 1.5 MB and keep a routing
// decision to a handful of misses (perf/README.md "Policy").
#pragma once

#include <cstdint>
#include <vector>

#include "policy/peer.h"

namespace sbc::policy {

struct PeerRoutingFacts {
  uint32_t channels_max = 0;  // 0: no cap
  bool has_address = false;
  bool can_register = false;
  bool cps_capped = false;
  bool outbound_identity = true;  // its outbound manipulation changes nothing
  bool named_by_dns = false;      // its address is a DNS name: usable once resolved
};

struct RouteRoutingFacts {
  uint32_t first_destination = 0;  // into RoutingSummary::destinations
  uint32_t destination_count = 0;
  bool emergency = false;
  bool manipulation_identity = true;
};

struct RoutingSummary {
  std::vector<PeerRoutingFacts> peers;    // by PeerId
  std::vector<RouteRoutingFacts> routes;  // by route index
  std::vector<PeerId> destinations;       // every route's `to`, concatenated
};

}  // namespace sbc::policy
