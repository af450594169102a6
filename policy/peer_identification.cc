#include "policy/peer_identification.h"

namespace sbc::policy {

const Peer* trusted_by_name(const Policy& policy, std::string_view leg,
                            const std::string& peer_name) {
  const Peer* p = policy.find_peer(peer_name);
  return p && p->auth.trust_resolved && p->leg == leg ? p : nullptr;
}

Identification identify_peer(const Policy& policy, const RequestOrigin& origin,
                             const ResolvedSources* resolved) {
  using O = Identification::Outcome;
  const auto leg = policy.interface_index(origin.leg);
  if (!leg) return {O::unknown_leg, nullptr};
  if (auto id = policy.trusted_sources.find(*leg, origin.source))
    return {O::by_source_address, &policy.peers[*id]};
  if (resolved) {
    // Held by name: the resolver's table may date from the previous policy
    // for a moment after a reload, so the peer is checked against this one.
    if (const std::string* name = resolved->find(origin.leg, origin.source))
      if (const Peer* p = trusted_by_name(policy, origin.leg, *name))
        return {O::by_source_address, p};
  }
  if (origin.auth_username.empty()) return {O::no_credentials, nullptr};
  const Peer* p = policy.find_peer_by_username(std::string(origin.auth_username));
  if (!p) return {O::unknown_username, nullptr};
  if (p->leg != origin.leg) return {O::wrong_leg, nullptr};
  return {O::by_username, p};
}

const char* to_string(Identification::Outcome o) {
  switch (o) {
    case Identification::Outcome::by_source_address:
      return "by_source_address";
    case Identification::Outcome::by_username:
      return "by_username";
    case Identification::Outcome::no_credentials:
      return "no_credentials";
    case Identification::Outcome::unknown_username:
      return "unknown_username";
    case Identification::Outcome::wrong_leg:
      return "wrong_leg";
    case Identification::Outcome::unknown_leg:
      return "unknown_leg";
  }
  return "?";
}

}  // namespace sbc::policy
