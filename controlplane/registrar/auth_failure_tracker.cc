#include "controlplane/registrar/auth_failure_tracker.h"

namespace sbc::registrar {
namespace {

std::string source_key(Ipv4Address a, uint16_t port) {
  return a.to_string() + ":" + std::to_string(port);
}

}  // namespace

std::string_view ban_kind_name(BanKind k) {
  switch (k) {
    case BanKind::kAddress:
      return "address";
    case BanKind::kAddressPort:
      return "address:port";
    case BanKind::kUsername:
      return "username";
  }
  return "address";
}

uint32_t AuthFailureTracker::Counters::add(const std::string& key, Time now, Seconds window,
                                           size_t cap) {
  expire(now, window);
  auto it = map_.find(key);
  if (it != map_.end() && now < it->second.start + window) return ++it->second.count;
  while (map_.size() >= cap && !order_.empty()) {
    auto& [k, start] = order_.front();
    auto victim = map_.find(k);
    if (victim != map_.end() && victim->second.start == start) map_.erase(victim);
    order_.pop_front();
  }
  map_[key] = Counter{now, 1};
  order_.emplace_back(key, now);
  return 1;
}

void AuthFailureTracker::Counters::expire(Time now, Seconds window) {
  while (!order_.empty() && order_.front().second + window <= now) {
    auto it = map_.find(order_.front().first);
    if (it != map_.end() && it->second.start == order_.front().second) map_.erase(it);
    order_.pop_front();
  }
}

AuthFailureTracker::AuthFailureTracker(AuthFailureConfig config, const Clock& clock)
    : config_(config), clock_(clock) {
  if (config_.max_tracked == 0) config_.max_tracked = 1;
}

std::vector<Ban> AuthFailureTracker::record_failure(Ipv4Address address, uint16_t port,
                                                    std::string_view username,
                                                    bool address_in_use) {
  Time now = clock_.now();
  std::vector<Ban> out;
  auto maybe_ban = [&](BanKind kind, const std::string& key, uint32_t count, uint32_t threshold,
                       const char* what) {
    if (threshold == 0 || count < threshold || live_ban(kind, key)) return;
    Ban b{kind, key,
          std::to_string(count) + " failed authentications " + what + " within " +
              std::to_string(config_.window.count()) + "s",
          now, now + config_.ban_duration};
    bans_[{kind, key}] = b;
    out.push_back(std::move(b));
  };

  std::string src = source_key(address, port);
  uint32_t n = by_source_.add(src, now, config_.window, config_.max_tracked);
  maybe_ban(BanKind::kAddressPort, src, n, config_.source_threshold, ("from " + src).c_str());

  if (!username.empty()) {
    std::string user(username);
    n = by_user_.add(user, now, config_.window, config_.max_tracked);
    maybe_ban(BanKind::kUsername, user, n, config_.user_threshold, ("for user " + user).c_str());
  }

  std::string addr = address.to_string();
  n = by_address_.add(addr, now, config_.window, config_.max_tracked);
  if (!address_in_use)
    maybe_ban(BanKind::kAddress, addr, n, config_.address_threshold,
              ("from address " + addr).c_str());
  return out;
}

void AuthFailureTracker::record_success(Ipv4Address address, uint16_t port,
                                        std::string_view username) {
  by_source_.clear(source_key(address, port));
  if (!username.empty()) by_user_.clear(std::string(username));
}

std::optional<Ban> AuthFailureTracker::live_ban(BanKind kind, const std::string& key) const {
  auto it = bans_.find({kind, key});
  if (it == bans_.end() || it->second.until <= clock_.now()) return std::nullopt;
  return it->second;
}

std::optional<Ban> AuthFailureTracker::banned(Ipv4Address address, uint16_t port,
                                              std::string_view username) const {
  if (auto b = live_ban(BanKind::kAddress, address.to_string())) return b;
  if (auto b = live_ban(BanKind::kAddressPort, source_key(address, port))) return b;
  if (!username.empty())
    if (auto b = live_ban(BanKind::kUsername, std::string(username))) return b;
  return std::nullopt;
}

std::vector<Ban> AuthFailureTracker::bans() const {
  std::vector<Ban> out;
  Time now = clock_.now();
  for (const auto& [k, b] : bans_)
    if (b.until > now) out.push_back(b);
  return out;
}

bool AuthFailureTracker::unban(BanKind kind, std::string_view key) {
  bool removed = bans_.erase({kind, std::string(key)}) > 0;
  // A fresh start: otherwise the next single failure would re-ban at once.
  if (kind == BanKind::kAddressPort) by_source_.clear(std::string(key));
  if (kind == BanKind::kUsername) by_user_.clear(std::string(key));
  if (kind == BanKind::kAddress) by_address_.clear(std::string(key));
  return removed;
}

void AuthFailureTracker::ban(BanKind kind, std::string key, std::string reason, Seconds duration) {
  Time now = clock_.now();
  bans_[{kind, key}] = Ban{kind, key, std::move(reason), now, now + duration};
}

void AuthFailureTracker::sweep() {
  Time now = clock_.now();
  std::erase_if(bans_, [&](const auto& kv) { return kv.second.until <= now; });
  by_source_.expire(now, config_.window);
  by_user_.expire(now, config_.window);
  by_address_.expire(now, config_.window);
}

size_t AuthFailureTracker::tracked_counters() const {
  return by_source_.size() + by_user_.size() + by_address_.size();
}

}  // namespace sbc::registrar
