#include "policy/resolved_sources.h"

namespace sbc::policy {

bool ResolvedSources::add(const std::string& leg, Ipv4Address address, const std::string& peer) {
  auto [it, fresh] = by_leg_[leg].try_emplace(address.value, peer);
  return fresh || it->second == peer;
}

const std::string* ResolvedSources::find(std::string_view leg, Ipv4Address address) const {
  auto l = by_leg_.find(std::string(leg));
  if (l == by_leg_.end()) return nullptr;
  auto a = l->second.find(address.value);
  return a == l->second.end() ? nullptr : &a->second;
}

}  // namespace sbc::policy
