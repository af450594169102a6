#include "policy/route_table.h"

#include <algorithm>

namespace sbc::policy {

bool is_dial_char(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || c == '+';
}

int RouteTable::slot(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c == '*') return 10;
  if (c == '#') return 11;
  if (c == '+') return 12;
  return -1;
}

RouteTable::RouteTable(const std::vector<Route>& routes) {
  nodes_.emplace_back();
  std::vector<std::vector<uint32_t>> at_node(1);
  for (uint32_t r = 0; r < routes.size(); ++r) {
    uint32_t n = 0;
    bool valid = true;
    for (char c : routes[r].prefix) {
      const int s = slot(c);
      if (s < 0) {
        valid = false;  // the loader rejects such prefixes; never index with them
        break;
      }
      uint32_t& child = nodes_[n].child[static_cast<size_t>(s)];
      if (child == 0) {
        child = static_cast<uint32_t>(nodes_.size());
        nodes_.emplace_back();  // invalidates `child`: not used after this
        at_node.emplace_back();
      }
      n = nodes_[n].child[static_cast<size_t>(s)];
    }
    if (valid) at_node[n].push_back(r);
  }
  for (uint32_t n = 0; n < nodes_.size(); ++n) {
    auto& list = at_node[n];
    // Most specific source first; among equals, the one defined first.
    std::stable_sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
      return routes[a].source_rank() > routes[b].source_rank();
    });
    nodes_[n].first_route = static_cast<uint32_t>(by_node_.size());
    nodes_[n].route_count = static_cast<uint32_t>(list.size());
    by_node_.insert(by_node_.end(), list.begin(), list.end());
    for (uint32_t r : list) {
      const Route& rt = routes[r];
      const int rank = rt.source_rank();
      entries_.push_back({r,
                          rank == 2   ? rt.from_peer_id
                          : rank == 1 ? rt.from_group_id
                                      : 0u,
                          static_cast<uint32_t>(rank)});
    }
  }
}

int32_t RouteTable::lookup(std::string_view number, PeerId source,
                           const std::vector<uint32_t>& groups) const {
  if (nodes_.empty()) return -1;
  auto matches = [&](const Entry& e) {
    switch (e.rank) {
      case 2:
        return e.key == source && source != kNoPeer;
      case 1:
        return std::binary_search(groups.begin(), groups.end(), e.key);
      default:
        return true;
    }
  };
  int32_t best = -1;
  uint32_t n = 0;
  size_t i = 0;
  while (true) {
    const Node& node = nodes_[n];
    for (uint32_t k = 0; k < node.route_count; ++k) {
      const Entry& e = entries_[node.first_route + k];
      if (matches(e)) {
        best = static_cast<int32_t>(e.route);
        break;
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
