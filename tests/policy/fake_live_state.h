// A LiveState backed by plain tables, as the control plane's would be.
#pragma once

#include <set>
#include <string>
#include <unordered_map>

#include "policy/live_state.h"

namespace sbc::policy::testing {

class FakeLiveState : public LiveState {
 public:
  std::set<std::string> registered_peers, unhealthy_peers, cps_exhausted, banned_peers,
      unresolved_peers;
  std::unordered_map<std::string, uint32_t> channels;
  bool overload = false;

  bool registered(const Peer& p) const override { return registered_peers.count(p.name) > 0; }
  bool healthy(const Peer& p) const override { return unhealthy_peers.count(p.name) == 0; }
  uint32_t channels_in_use(const Peer& p) const override {
    auto it = channels.find(p.name);
    return it == channels.end() ? 0 : it->second;
  }
  bool cps_available(const Peer& p) const override { return cps_exhausted.count(p.name) == 0; }
  bool banned(const Peer& p) const override { return banned_peers.count(p.name) > 0; }
  bool overloaded() const override { return overload; }
  bool resolved(const Peer& p) const override { return unresolved_peers.count(p.name) == 0; }
};

}  // namespace sbc::policy::testing
