#include "policy/source_trust_index.h"

#include <algorithm>
#include <functional>

namespace sbc::policy {

std::optional<PeerId> SourceTrustIndex::add(uint32_t leg, Ipv4Prefix prefix, PeerId peer) {
  const Ipv4Prefix net = prefix.network();
  auto [it, inserted] = by_length_[net.length].emplace(key(leg, net.address.value), peer);
  if (!inserted) return it->second;
  if (std::find(lengths_.begin(), lengths_.end(), net.length) == lengths_.end()) {
    lengths_.push_back(net.length);
    std::sort(lengths_.begin(), lengths_.end(), std::greater<>());
  }
  return std::nullopt;
}

std::optional<PeerId> SourceTrustIndex::find(uint32_t leg, Ipv4Address source) const {
  for (uint8_t len : lengths_) {
    const uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    const auto& map = by_length_[len];
    if (auto it = map.find(key(leg, source.value & mask)); it != map.end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace sbc::policy
