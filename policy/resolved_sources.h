// Source addresses of trunks known by DNS name (ip auth, no trusted
// prefixes): the addresses their names resolved to, per leg. The control
// plane's resolver rebuilds it after every answer; identify_peer consults it
// after the policy's static trusted prefixes, so a carrier known by name is
// still recognised when it calls from the addresses its name gives.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "common/ip_address.h"

namespace sbc::policy {

class ResolvedSources {
 public:
  // Returns false (and keeps the first) if another peer already holds that
  // address on that leg: two trunks resolving to one host cannot be told apart.
  bool add(const std::string& leg, Ipv4Address address, const std::string& peer);
  // The peer name, or null.
  const std::string* find(std::string_view leg, Ipv4Address address) const;
  void clear() { by_leg_.clear(); }
  // Every (leg, address, peer), in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [leg, addresses] : by_leg_)
      for (const auto& [address, peer] : addresses) f(leg, Ipv4Address{address}, peer);
  }
  bool empty() const { return by_leg_.empty(); }

 private:
  std::unordered_map<std::string, std::unordered_map<uint32_t, std::string>> by_leg_;
};

}  // namespace sbc::policy
