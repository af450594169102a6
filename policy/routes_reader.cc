// The `routes` section: prefixes, sources, failover lists.
#include <algorithm>
#include <set>
#include <unordered_set>

#include "policy/section_readers.h"

namespace sbc::policy {

std::optional<std::string> prefix_error(const std::string& s) {
  constexpr size_t kMaxPrefixLength = 32;
  if (s == "default") return std::nullopt;
  if (s.empty() || s.size() > kMaxPrefixLength || !std::all_of(s.begin(), s.end(), is_dial_char))
    return "invalid number prefix '" + s + "' (1-" + std::to_string(kMaxPrefixLength) +
           " of 0-9 * # +, or 'default' for the default route)";
  if (s.find('+', 1) != std::string::npos) return "'+' may only lead a prefix";
  return std::nullopt;
}

namespace {}  // namespace

void read_routes(YamlReader& r, const YAML::Node& list, Policy& p) {
  if (!list.IsDefined() || list.IsNull()) return;
  if (!r.expect_sequence(list, "routes")) return;
  std::unordered_set<std::string> groups;
  for (const auto& peer : p.peers) groups.insert(peer.groups.begin(), peer.groups.end());
  // Peers that failed to load are not in p.peers, but their names are known
  // to the operator: a route to one of them is reported as unknown, which is
  // true of the policy as loaded. Only say so once per name.
  p.routes.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string f = indexed("routes", i);
    if (!r.expect_map(n, f, {"prefix", "from", "from_group", "to", "manipulation", "emergency"}))
      continue;
    Route route;
    route.defined_at = r.position(n);
    bool ok = true;
    if (auto v = r.required(n, f, "prefix"); v.IsDefined()) {
      if (auto s = r.string(v, f + ".prefix")) {
        if (auto why = prefix_error(*s)) {
          r.error(v, f + ".prefix", *why);
          ok = false;
        } else {
          route.prefix = *s == "default" ? "" : *s;
        }
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
    const YAML::Node from = n["from"], from_group = n["from_group"];
    if (from.IsDefined() && from_group.IsDefined()) {
      r.error(n, f, "set from or from_group, not both");
      ok = false;
    } else if (from.IsDefined()) {
      if (auto s = r.string(from, f + ".from")) {
        if (!p.find_peer(*s)) {
          r.error(from, f + ".from", "unknown peer '" + *s + "'");
          ok = false;
        }
        route.from_peer = *s;
      } else {
        ok = false;
      }
    } else if (from_group.IsDefined()) {
      if (auto s = r.string(from_group, f + ".from_group")) {
        if (!groups.count(*s)) {
          r.error(from_group, f + ".from_group", "no peer is in group '" + *s + "'");
          ok = false;
        }
        route.from_group = *s;
      } else {
        ok = false;
      }
    }
    if (auto v = r.required(n, f, "to"); v.IsDefined()) {
      if (auto names = r.string_list(v, f + ".to")) {
        if (names->empty()) {
          r.error(v, f + ".to", "a route needs at least one destination");
          ok = false;
        }
        std::set<std::string> seen;
        for (size_t k = 0; k < names->size(); ++k) {
          const std::string& name = (*names)[k];
          const YAML::Node at = v.IsSequence() ? v[k] : v;
          const std::string tf = v.IsSequence() ? indexed(f + ".to", k) : f + ".to";
          const Peer* peer = p.find_peer(name);
          if (!peer) {
            r.error(at, tf, "unknown peer '" + name + "'");
            ok = false;
          } else if (!seen.insert(name).second) {
            r.error(at, tf, "peer '" + name + "' listed twice");
            ok = false;
          } else {
            route.to.push_back(peer->id);
          }
        }
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto v = n["manipulation"]; v.IsDefined()) {
      if (auto m = read_manipulation(r, v, f + ".manipulation"))
        route.manipulation = *m;
      else
        ok = false;
    }
    if (auto v = n["emergency"]; v.IsDefined()) {
      if (auto b = r.boolean(v, f + ".emergency"))
        route.emergency = *b;
      else
        ok = false;
    }
    if (ok) p.routes.push_back(std::move(route));
  }
}

}  // namespace sbc::policy
