#include "dataplane/deny_list.h"

#include <algorithm>

namespace sbc::dataplane {

Status DenyList::add(Ipv4Prefix prefix, uint16_t port, uint64_t now, std::chrono::milliseconds ttl,
                     std::string reason) {
  if (port && prefix.length != 32)
    return make_error("a source port can only be denied with a single address (/32)");
  if (ttl.count() < 0) return make_error("a deny entry's duration cannot be negative");
  Value v;
  v.reason = std::move(reason);
  if (ttl.count() > 0)
    v.expiry = now + hz_ / 1000 * static_cast<uint64_t>(ttl.count()) +
               hz_ % 1000 * static_cast<uint64_t>(ttl.count()) / 1000;
  const Ipv4Prefix net = prefix.network();
  entries_[{net.address.value, net.length, port}] = std::move(v);
  return ok_status();
}

bool DenyList::remove(Ipv4Prefix prefix, uint16_t port) {
  const Ipv4Prefix net = prefix.network();
  return entries_.erase({net.address.value, net.length, port}) != 0;
}

size_t DenyList::expire(uint64_t now, std::vector<DenyEntry>* removed) {
  return std::erase_if(entries_, [&](const auto& kv) {
    if (kv.second.expiry > now) return false;
    if (removed) {
      DenyEntry e;
      e.prefix = Ipv4Prefix{Ipv4Address{std::get<0>(kv.first)}, std::get<1>(kv.first)};
      e.port = std::get<2>(kv.first);
      removed->push_back(e);
    }
    return true;
  });
}

std::vector<DenyEntry> DenyList::list(uint64_t now) const {
  std::vector<DenyEntry> out;
  for (const auto& [k, v] : entries_) {
    if (v.expiry <= now) continue;
    DenyEntry e;
    e.prefix = Ipv4Prefix{Ipv4Address{std::get<0>(k)}, std::get<1>(k)};
    e.port = std::get<2>(k);
    e.reason = v.reason;
    if (v.expiry != kNoExpiry) {
      // Round up: an entry with 1 tick left still shows as 1 ms.
      const uint64_t left = v.expiry - now;
      e.remaining = std::chrono::milliseconds(
          std::max<int64_t>(1, static_cast<int64_t>(left / (hz_ / 1000 ? hz_ / 1000 : 1))));
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::unique_ptr<const DenySnapshot> DenyList::snapshot() const {
  std::vector<std::pair<uint64_t, uint64_t>> exact;
  std::vector<DenySnapshot::Prefix> prefixes;
  for (const auto& [k, v] : entries_) {
    const auto [net, len, port] = k;
    if (len == 32)
      exact.push_back({DenySnapshot::key(net, port), v.expiry});
    else
      prefixes.push_back({net, Ipv4Prefix{Ipv4Address{net}, len}.mask(), v.expiry});
  }
  std::sort(exact.begin(), exact.end());
  std::vector<uint64_t> keys, expiries;
  keys.reserve(exact.size());
  expiries.reserve(exact.size());
  for (const auto& [k, e] : exact) {
    keys.push_back(k);
    expiries.push_back(e);
  }
  // Longest prefixes first: the order does not change the verdict, but the
  // narrow bans are the likelier hits.
  std::sort(prefixes.begin(), prefixes.end(),
            [](const auto& a, const auto& b) { return a.mask > b.mask; });
  return std::make_unique<const DenySnapshot>(std::move(keys), std::move(expiries),
                                              std::move(prefixes));
}

}  // namespace sbc::dataplane
