// Which IP-authenticated peer a source address belongs to, per leg: longest
// prefix wins, so a /32 for one carrier host can sit inside a /24 trusted for
// another peer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/ip_address.h"
#include "policy/peer.h"

namespace sbc::policy {

class SourceTrustIndex {
 public:
  // `leg` is the index of the peer's leg in Policy::interfaces. Returns the
  // peer already holding exactly this (leg, prefix), if any, and keeps it.
  std::optional<PeerId> add(uint32_t leg, Ipv4Prefix prefix, PeerId peer);
  std::optional<PeerId> find(uint32_t leg, Ipv4Address source) const;
  bool empty() const { return lengths_.empty(); }

 private:
  static uint64_t key(uint32_t leg, uint32_t network) { return (uint64_t{leg} << 32) | network; }
  std::array<std::unordered_map<uint64_t, PeerId>, 33> by_length_;
  std::vector<uint8_t> lengths_;  // the lengths in use, longest first
};

}  // namespace sbc::policy
