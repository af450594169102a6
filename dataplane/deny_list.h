// The deny list: source prefixes (optionally one source port) with an
// expiry, added by the control plane (failed-auth bans) and by the operator
// (`sbcctl ban`). DenyList is the control thread's source of truth; each
// change produces a DenySnapshot, an immutable lookup structure that the
// DPDK dataplane publishes to its workers with RCU (deny_stage.h). No DPDK
// here, so FakeDataplane keeps the same list.
//
// Time is in caller-defined ticks (TSC cycles in DpdkDataplane, steady-clock
// nanoseconds in FakeDataplane) with `ticks_per_second` to convert.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace sbc::dataplane {

inline constexpr uint64_t kNoExpiry = UINT64_MAX;

// One entry as the control plane sees it.
struct DenyEntry {
  Ipv4Prefix prefix;
  uint16_t port = 0;                       // source port; 0: every port (only with a /32)
  std::chrono::milliseconds remaining{0};  // 0: until removed
  std::string reason;
};

// What workers read: exact /32 entries (with or without a port) in a sorted
// array searched by bisection, and the shorter prefixes in a short array
// scanned in order (operators ban networks rarely; bans from failed
// authentication are /32s).
class DenySnapshot {
 public:
  struct Prefix {
    uint32_t network = 0;  // host order
    uint32_t mask = 0;
    uint64_t expiry = kNoExpiry;
  };
  DenySnapshot(std::vector<uint64_t> keys, std::vector<uint64_t> expiries,
               std::vector<Prefix> prefixes)
      : keys_(std::move(keys)), expiries_(std::move(expiries)), prefixes_(std::move(prefixes)) {
    for (uint64_t k : keys_) {
      const uint32_t b = bit(static_cast<uint32_t>(k >> 16));
      maybe_[b / 64] |= uint64_t{1} << (b % 64);
    }
  }

  // ip and port in network order (port 0: a frame with no port, ARP/ICMP).
  bool denied(uint32_t ip_be, uint16_t port_be, uint64_t now) const {
    const uint32_t ip = __builtin_bswap32(ip_be);
    // A bitmap of the banned addresses' hashes first: most sources are not
    // banned, and one bit test is cheaper than two bisections.
    const uint32_t b = bit(ip);
    if (maybe_[b / 64] & (uint64_t{1} << (b % 64))) {
      if (live_exact(key(ip, 0), now)) return true;
      if (port_be && live_exact(key(ip, __builtin_bswap16(port_be)), now)) return true;
    }
    for (const Prefix& p : prefixes_)
      if ((ip & p.mask) == p.network && now < p.expiry) return true;
    return false;
  }
  bool empty() const { return keys_.empty() && prefixes_.empty(); }
  size_t size() const { return keys_.size() + prefixes_.size(); }

  static uint64_t key(uint32_t ip_host, uint16_t port_host) {
    return (uint64_t{ip_host} << 16) | port_host;
  }

 private:
  bool live_exact(uint64_t k, uint64_t now) const {
    auto it = std::lower_bound(keys_.begin(), keys_.end(), k);
    return it != keys_.end() && *it == k &&
           now < expiries_[static_cast<size_t>(it - keys_.begin())];
  }

  static constexpr uint32_t kBits = 1u << 16;  // 8 KiB
  static uint32_t bit(uint32_t ip_host) { return (ip_host * 0x9e3779b1u) >> 16; }

  uint64_t maybe_[kBits / 64] = {};
  std::vector<uint64_t> keys_;  // sorted
  std::vector<uint64_t> expiries_;
  std::vector<Prefix> prefixes_;
};

class DenyList {
 public:
  explicit DenyList(uint64_t ticks_per_second) : hz_(ticks_per_second) {}

  // Adds or replaces (same prefix and port) an entry; ttl 0: until removed.
  Status add(Ipv4Prefix prefix, uint16_t port, uint64_t now, std::chrono::milliseconds ttl,
             std::string reason);
  bool remove(Ipv4Prefix prefix, uint16_t port);
  // Drops entries whose expiry has passed; returns how many.
  // `removed`, if given, receives their prefixes and ports.
  size_t expire(uint64_t now, std::vector<DenyEntry>* removed = nullptr);
  std::vector<DenyEntry> list(uint64_t now) const;
  std::unique_ptr<const DenySnapshot> snapshot() const;
  size_t size() const { return entries_.size(); }

 private:
  struct Value {
    uint64_t expiry = kNoExpiry;
    std::string reason;
  };
  // (network, length, port)
  using Key = std::tuple<uint32_t, uint8_t, uint16_t>;
  uint64_t hz_;
  std::map<Key, Value> entries_;
};

}  // namespace sbc::dataplane
