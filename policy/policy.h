// The policy: an immutable snapshot of everything an operator configures
// (DESIGN.md "Control plane"). Reload builds a new one and swaps the pointer;
// nothing mutates a loaded Policy, and a call keeps the shared_ptr of the
// snapshot it started with, so it holds every peer, route and timer it needs
// for its whole life.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/interface.h"
#include "policy/media_settings.h"
#include "policy/peer.h"
#include "policy/route.h"
#include "policy/route_table.h"
#include "policy/routing_summary.h"
#include "policy/security.h"
#include "policy/source_trust_index.h"
#include "policy/timers.h"

namespace sbc::policy {

struct Policy {
  std::string source_file;
  std::vector<Interface> interfaces;
  std::vector<std::string> template_names;  // for reports; peers hold their resolved settings
  std::vector<Peer> peers;                  // peers[i].id == i
  std::vector<Route> routes;
  SecurityPolicy security;
  MediaSettings media;
  Timers timers;

  // Indexes over the vectors above, built once by build_indexes().
  std::unordered_map<std::string, PeerId> peer_by_name;
  std::unordered_map<std::string, PeerId> peer_by_username;  // digest peers
  std::unordered_map<std::string, uint32_t> group_ids;       // group name -> index
  SourceTrustIndex trusted_sources;                          // ip peers
  RouteTable route_table;
  RoutingSummary routing;

  const Interface* find_interface(const std::string& name) const;
  std::optional<uint32_t> interface_index(std::string_view name) const;
  const Peer* find_peer(const std::string& name) const;
  const Peer* find_peer_by_username(const std::string& username) const;

  // Fills the indexes from interfaces, peers and routes. The loader has
  // already rejected duplicates, so this cannot fail.
  void build_indexes();
};

using PolicyPtr = std::shared_ptr<const Policy>;

}  // namespace sbc::policy

namespace sbc::policy {
// Whether two policies describe the same legs: a reload may not change them
// (DESIGN.md "Operations": interfaces need a restart of the dataplane).
bool same_interfaces(const Policy& a, const Policy& b);
}  // namespace sbc::policy
