#include "dataplane/filter_set.h"

#include "policy/peer_identification.h"

namespace sbc::dataplane {

int FilterSet::find_class(std::string_view name) const {
  for (size_t i = 0; i < classes.size(); ++i)
    if (classes[i].name == name) return static_cast<int>(i);
  return -1;
}

Result<FilterSet> filters_from_policy(const policy::Policy& p,
                                      const policy::ResolvedSources* resolved) {
  FilterSet f;
  const auto& sec = p.security;
  if (sec.trust_classes.size() > kMaxTrustClasses)
    return make_error("security.trust_classes: the dataplane polices at most " +
                      std::to_string(kMaxTrustClasses) + " classes");
  for (const auto& c : sec.trust_classes) f.classes.push_back({c.name, c.rate, c.burst});
  if (f.classes.empty()) return make_error("security: no trust class");
  int def = f.find_class(sec.default_trust_class);
  if (def < 0) return make_error("security.default_trust_class: unknown class");
  f.default_class = static_cast<uint8_t>(def);
  f.untrusted_cap_rate = p.security.untrusted_cap.rate;
  f.untrusted_cap_burst = p.security.untrusted_cap.burst;
  auto class_or_default = [&](std::string_view name) {
    int i = f.find_class(name);
    return static_cast<uint8_t>(i < 0 ? def : i);
  };
  f.registered_class = class_or_default("registered");
  f.trunk_class = class_or_default("carrier");

  auto leg_index = [&](const std::string& name) {
    for (size_t i = 0; i < p.interfaces.size(); ++i)
      if (p.interfaces[i].name == name) return static_cast<int>(i);
    return -1;
  };
  for (const auto& peer : p.peers) {
    if (peer.auth.mode != policy::AuthMode::ip) continue;
    const int leg = leg_index(peer.leg);
    if (leg < 0) continue;  // the loader refuses this; be safe anyway
    for (const auto& prefix : peer.auth.trusted) {
      AclRule r;
      r.source = prefix.network();
      r.leg = leg;
      r.trust_class = f.trunk_class;
      r.origin = "peer " + peer.name;
      f.rules.push_back(r);
    }
  }
  // A trunk known by name is trusted at the addresses its name gives now
  // (the resolver re-applies the filters when they change).
  if (resolved)
    resolved->for_each(
        [&](const std::string& leg_name, Ipv4Address address, const std::string& peer) {
          const int leg = leg_index(leg_name);
          // Only peers this policy still trusts by name (the resolver's table
          // may date from the previous policy after a reload).
          if (leg < 0 || !policy::trusted_by_name(p, leg_name, peer)) return;
          AclRule r;
          r.source = Ipv4Prefix{address, 32};
          r.leg = leg;
          r.trust_class = f.trunk_class;
          r.origin = "peer " + peer + " (resolved)";
          f.rules.push_back(r);
        });
  for (size_t i = 0; i < sec.acl.size(); ++i) {
    const auto& e = sec.acl[i];
    AclRule r;
    r.deny = e.action == policy::AclAction::deny;
    r.source = e.source.network();
    if (!e.leg.empty()) {
      r.leg = leg_index(e.leg);
      if (r.leg < 0) return make_error("security.acl[" + std::to_string(i) + "]: unknown leg");
    }
    r.protocol = e.protocol == policy::AclProtocol::udp   ? 17
                 : e.protocol == policy::AclProtocol::tcp ? 6
                                                          : 0;
    r.port_lo = e.ports.first;
    r.port_hi = e.ports.last;
    r.trust_class = e.trust_class.empty() ? f.default_class : class_or_default(e.trust_class);
    r.origin = "security.acl[" + std::to_string(i) + "]";
    f.rules.push_back(r);
  }
  return f;
}

}  // namespace sbc::dataplane
