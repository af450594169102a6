#include "policy/policy.h"

#include <algorithm>

namespace sbc::policy {

const Interface* Policy::find_interface(const std::string& name) const {
  for (const auto& i : interfaces)
    if (i.name == name) return &i;
  return nullptr;
}

std::optional<uint32_t> Policy::interface_index(std::string_view name) const {
  for (uint32_t i = 0; i < interfaces.size(); ++i)
    if (interfaces[i].name == name) return i;
  return std::nullopt;
}

const Peer* Policy::find_peer(const std::string& name) const {
  auto it = peer_by_name.find(name);
  return it == peer_by_name.end() ? nullptr : &peers[it->second];
}

const Peer* Policy::find_peer_by_username(const std::string& username) const {
  auto it = peer_by_username.find(username);
  return it == peer_by_username.end() ? nullptr : &peers[it->second];
}

void Policy::build_indexes() {
  peer_by_name.clear();
  peer_by_username.clear();
  trusted_sources = SourceTrustIndex();
  group_ids.clear();
  peer_by_name.reserve(peers.size());
  for (auto& p : peers) {
    p.group_ids.clear();
    for (const auto& g : p.groups) {
      auto it = group_ids.emplace(g, static_cast<uint32_t>(group_ids.size())).first;
      p.group_ids.push_back(it->second);
    }
    std::sort(p.group_ids.begin(), p.group_ids.end());
  }
  for (const auto& p : peers) {
    peer_by_name.emplace(p.name, p.id);
    if (p.auth.mode == AuthMode::digest && !p.auth.username.empty())
      peer_by_username.emplace(p.auth.username, p.id);
    if (p.auth.mode == AuthMode::ip) {
      if (auto leg = interface_index(p.leg))
        for (const auto& prefix : p.auth.trusted) (void)trusted_sources.add(*leg, prefix, p.id);
    }
  }
  for (auto& r : routes) {
    auto peer = peer_by_name.find(r.from_peer);
    r.from_peer_id = r.from_peer.empty() || peer == peer_by_name.end() ? kNoPeer : peer->second;
    auto group = group_ids.find(r.from_group);
    r.from_group_id = r.from_group.empty() || group == group_ids.end() ? kNoGroup : group->second;
  }
  route_table = RouteTable(routes);
  routing = RoutingSummary();
  routing.peers.reserve(peers.size());
  for (const auto& p : peers)
    routing.peers.push_back({p.channels.max, p.address.is_set(), p.can_register(), p.cps.rate > 0,
                             p.outbound.is_identity(), !p.address.dns_name.empty()});
  routing.routes.reserve(routes.size());
  for (const auto& r : routes) {
    routing.routes.push_back({static_cast<uint32_t>(routing.destinations.size()),
                              static_cast<uint32_t>(r.to.size()), r.emergency,
                              r.manipulation.is_identity()});
    routing.destinations.insert(routing.destinations.end(), r.to.begin(), r.to.end());
  }
}

const char* to_string(SipTransport t) {
  switch (t) {
    case SipTransport::udp:
      return "udp";
    case SipTransport::tcp:
      return "tcp";
    case SipTransport::tls:
      return "tls";
  }
  return "?";
}

const char* to_string(TlsVerify v) {
  switch (v) {
    case TlsVerify::none:
      return "none";
    case TlsVerify::servers:
      return "servers";
    case TlsVerify::all:
      return "all";
  }
  return "?";
}

std::optional<SipTransport> parse_sip_transport(std::string_view text) {
  for (SipTransport t : {SipTransport::udp, SipTransport::tcp, SipTransport::tls})
    if (text == to_string(t)) return t;
  return std::nullopt;
}

const char* to_string(PeerKind k) {
  return k == PeerKind::phone ? "phone" : "trunk";
}

const char* to_string(LatchingMode m) {
  switch (m) {
    case LatchingMode::off:
      return "off";
    case LatchingMode::strict:
      return "strict";
    case LatchingMode::any:
      return "any";
  }
  return "?";
}

bool Peer::in_group(const std::string& g) const {
  for (const auto& x : groups)
    if (x == g) return true;
  return false;
}

}  // namespace sbc::policy

namespace sbc::policy {
bool same_interfaces(const Policy& a, const Policy& b) {
  return a.interfaces == b.interfaces;
}
}  // namespace sbc::policy
