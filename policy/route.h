// A route: which peers take numbers that start with a prefix, in failover
// order (DESIGN.md "Peers").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/number_rewrite.h"
#include "policy/peer.h"
#include "policy/source_position.h"

namespace sbc::policy {

struct Route {
  std::string prefix;      // digits, '+', '*', '#'; empty: the default route
  std::string from_peer;   // empty: any source
  std::string from_group;  // empty: any source
  // The same two as indexes (Policy::build_indexes), so a lookup compares
  // integers held in the route table instead of touching the route.
  PeerId from_peer_id = kNoPeer;
  uint32_t from_group_id = kNoGroup;
  std::vector<PeerId> to;     // failover order
  Manipulation manipulation;  // applied after matching, before the destination's outbound
  // Emergency numbers are never refused by caps, bans of the caller's peer or
  // overload shedding: a caller who reaches 112 must get through.
  bool emergency = false;
  SourcePosition defined_at;

  bool has_source() const { return !from_peer.empty() || !from_group.empty(); }
  // Specificity among routes with the same prefix: a named peer beats a group
  // beats any source.
  int source_rank() const { return !from_peer.empty() ? 2 : !from_group.empty() ? 1 : 0; }
};

// Characters a dialled number (and so a prefix) may hold.
bool is_dial_char(char c);

}  // namespace sbc::policy
