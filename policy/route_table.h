// Longest-prefix lookup of dialled numbers over a route plan. A digit trie:
// one step per dialled character, independent of the number of routes, so a
// plan of 100,000 prefixes costs what a plan of ten does (perf/policy).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "policy/route.h"

namespace sbc::policy {

class RouteTable {
 public:
  RouteTable() = default;
  explicit RouteTable(const std::vector<Route>& routes);

  // The index into `routes` (the vector the table was built from) of the
  // route with the longest prefix of `number` whose source matches
  // (`source_matches(route)`), preferring the more specific source at equal
  // length; -1 when none. Taking `routes` here rather than keeping a pointer
  // keeps a copied or moved Policy safe.
  template <class SourceMatches>
  int32_t longest_match(const std::vector<Route>& routes, std::string_view number,
                        SourceMatches&& source_matches) const;

  // The same decision from the integers the table holds (routes' ids from
  // Policy::build_indexes): the route index, or -1. `source` is kNoPeer for
  // an unidentified caller; `groups` are its sorted group ids. This is the
  // router's path: it reads only trie nodes and their entries, never a Route,
  // which keeps a 100,000-route plan's lookups in few cache lines.
  int32_t lookup(std::string_view number, PeerId source, const std::vector<uint32_t>& groups) const;

  size_t node_count() const { return nodes_.size(); }

 private:
  static constexpr size_t kAlphabet = 13;  // 0-9 * # +
  static int slot(char c);
  struct Node {
    std::array<uint32_t, kAlphabet> child{};  // 0: none (node 0 is the root, never a child)
    uint32_t first_route = 0;                 // into by_node_, [first, first + count)
    uint32_t route_count = 0;
  };
  struct Entry {
    uint32_t route;
    uint32_t key;  // from_peer_id (rank 2), from_group_id (rank 1), unused (rank 0)
    uint32_t rank;
  };
  std::vector<Node> nodes_;
  std::vector<uint32_t> by_node_;  // route indices, grouped per node, most specific first
  std::vector<Entry> entries_;     // the same order as by_node_
};

template <class SourceMatches>
int32_t RouteTable::longest_match(const std::vector<Route>& routes, std::string_view number,
                                  SourceMatches&& source_matches) const {
  if (nodes_.empty()) return -1;
  int32_t best = -1;
  uint32_t n = 0;
  size_t i = 0;
  while (true) {
    const Node& node = nodes_[n];
    for (uint32_t k = 0; k < node.route_count; ++k) {
      const uint32_t r = by_node_[node.first_route + k];
      if (source_matches(routes[r])) {
        best = static_cast<int32_t>(r);
        break;  // grouped most specific first
      }
    }
    if (i == number.size()) break;
    const int s = slot(number[i++]);
    if (s < 0 || node.child[static_cast<size_t>(s)] == 0) break;
    n = node.child[static_cast<size_t>(s)];
  }
  return best;
}

}  // namespace sbc::policy
