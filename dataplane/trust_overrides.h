// Per-source trust written by the control thread (a phone that
// authenticated is promoted; DESIGN.md "police"), so a REGISTER never
// rebuilds the ACL. Immutable once built: the control thread builds a new
// one per change and publishes it with RCU (protection_tables.h). Sorted
// addresses, searched by bisection: about 14 probes at 10,000 phones.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace sbc::dataplane {

class TrustOverrides {
 public:
  // (address in host order, class index), any order.
  explicit TrustOverrides(std::vector<std::pair<uint32_t, uint8_t>> entries) {
    std::sort(entries.begin(), entries.end());
    for (const auto& [ip, cls] : entries) {
      ips_.push_back(ip);
      classes_.push_back(cls);
    }
  }
  // The class for a source (network order), -1 when it has none.
  int find(uint32_t ip_be) const {
    if (ips_.empty()) return -1;
    const uint32_t ip = __builtin_bswap32(ip_be);
    auto it = std::lower_bound(ips_.begin(), ips_.end(), ip);
    return it != ips_.end() && *it == ip ? classes_[static_cast<size_t>(it - ips_.begin())] : -1;
  }
  size_t size() const { return ips_.size(); }

 private:
  std::vector<uint32_t> ips_;
  std::vector<uint8_t> classes_;
};

}  // namespace sbc::dataplane
