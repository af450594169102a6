// The control thread's per-source trust classes (promotions), with expiry,
// from which TrustOverrides snapshots are built for the workers. Ticks as in
// DenyList. No DPDK (FakeDataplane keeps one too).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>

#include "common/ip_address.h"
#include "dataplane/trust_class.h"
#include "dataplane/trust_overrides.h"

namespace sbc::dataplane {

class SourceTrustList {
 public:
  explicit SourceTrustList(uint64_t ticks_per_second) : hz_(ticks_per_second) {}

  void set(Ipv4Address source, uint8_t trust_class, uint64_t now, std::chrono::milliseconds ttl) {
    uint64_t expiry = UINT64_MAX;
    if (ttl.count() > 0) expiry = now + hz_ / 1000 * static_cast<uint64_t>(ttl.count());
    entries_[source.value] = {trust_class, expiry};
  }
  bool clear(Ipv4Address source) { return entries_.erase(source.value) != 0; }
  size_t expire(uint64_t now) {
    return std::erase_if(entries_, [now](const auto& kv) { return kv.second.expiry <= now; });
  }
  std::unique_ptr<const TrustOverrides> snapshot() const {
    std::vector<std::pair<uint32_t, uint8_t>> v;
    v.reserve(entries_.size());
    for (const auto& [ip, e] : entries_) v.push_back({ip, e.trust_class});
    return std::make_unique<const TrustOverrides>(std::move(v));
  }
  // The class of a source, -1 if it has none (tests, status).
  int find(Ipv4Address source) const {
    auto it = entries_.find(source.value);
    return it == entries_.end() ? -1 : it->second.trust_class;
  }
  size_t size() const { return entries_.size(); }
  // Sources per class (the population `sbcctl stats` and the metrics show);
  // one pass over the entries, run when the list changes, not per scrape.
  std::array<uint64_t, kMaxTrustClasses> per_class() const {
    std::array<uint64_t, kMaxTrustClasses> n{};
    for (const auto& [ip, e] : entries_)
      if (e.trust_class < kMaxTrustClasses) ++n[e.trust_class];
    return n;
  }

 private:
  struct Entry {
    uint8_t trust_class = 0;
    uint64_t expiry = UINT64_MAX;
  };
  uint64_t hz_;
  std::map<uint32_t, Entry> entries_;
};

}  // namespace sbc::dataplane
