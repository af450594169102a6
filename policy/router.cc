#include "policy/router.h"

#include <algorithm>

namespace sbc::policy {
namespace {

// Reads the packed facts, not the Peer record (RoutingSummary).
SkipReason skip_reason(const Peer& peer, const PeerRoutingFacts& f, const Peer* source,
                       bool emergency, const LiveState& live) {
  if (source && source == &peer) return SkipReason::is_source;
  // A peer with an address can always be tried; one without is reachable
  // only at the contact of a live registration.
  if (!f.has_address && !(f.can_register && live.registered(peer))) return SkipReason::offline;
  if (f.named_by_dns && !live.resolved(peer)) return SkipReason::unresolved;
  if (!live.healthy(peer)) return SkipReason::unhealthy;
  if (emergency) return SkipReason::none;  // caps never refuse an emergency call
  if (f.channels_max > 0 && live.channels_in_use(peer) >= f.channels_max)
    return SkipReason::at_channel_cap;
  if (f.cps_capped && !live.cps_available(peer)) return SkipReason::at_cps_cap;
  return SkipReason::none;
}

}  // namespace

const Candidate* RouteDecision::first_usable() const {
  for (const auto& c : candidates)
    if (c.skipped == SkipReason::none) return &c;
  return nullptr;
}

RouteDecision route_call(const Policy& policy, const LiveState& live, const RouteRequest& request) {
  using O = RouteDecision::Outcome;
  RouteDecision d;
  const Peer* source = request.source;
  d.called = source ? source->inbound.apply_called(request.called) : std::string(request.called);
  d.caller = source ? source->inbound.apply_caller(request.caller) : std::string(request.caller);
  if (!std::all_of(d.called.begin(), d.called.end(), is_dial_char)) {
    d.outcome = O::invalid_number;
    return d;
  }
  static const std::vector<uint32_t> kNoGroups;
  const int32_t r = policy.route_table.lookup(d.called, source ? source->id : kNoPeer,
                                              source ? source->group_ids : kNoGroups);
  if (r < 0) {
    d.outcome = O::no_route;
    return d;
  }
  const Route& route = policy.routes[static_cast<size_t>(r)];
  const RouteRoutingFacts& facts = policy.routing.routes[static_cast<size_t>(r)];
  d.route = &route;
  if (!facts.emergency) {
    if (source && live.banned(*source)) {
      d.outcome = O::source_banned;
      return d;
    }
    if (live.overloaded()) {
      d.outcome = O::overloaded;
      return d;
    }
  }
  // Touch the Route record only when it has something to apply.
  const bool rewrite = !facts.manipulation_identity;
  const std::string called = rewrite ? route.manipulation.apply_called(d.called) : d.called;
  const std::string caller = rewrite ? route.manipulation.apply_caller(d.caller) : d.caller;
  d.candidates.reserve(facts.destination_count);
  bool any = false;
  for (uint32_t k = 0; k < facts.destination_count; ++k) {
    const PeerId id = policy.routing.destinations[facts.first_destination + k];
    const Peer& peer = policy.peers[id];
    const PeerRoutingFacts& pf = policy.routing.peers[id];
    Candidate c;
    c.peer = &peer;
    c.called = pf.outbound_identity ? called : peer.outbound.apply_called(called);
    c.caller = pf.outbound_identity ? caller : peer.outbound.apply_caller(caller);
    c.skipped = skip_reason(peer, pf, source, facts.emergency, live);
    any = any || c.skipped == SkipReason::none;
    d.candidates.push_back(std::move(c));
  }
  d.outcome = any ? O::routed : O::all_unavailable;
  return d;
}

const char* to_string(SkipReason r) {
  switch (r) {
    case SkipReason::none:
      return "none";
    case SkipReason::is_source:
      return "is_source";
    case SkipReason::offline:
      return "offline";
    case SkipReason::unhealthy:
      return "unhealthy";
    case SkipReason::unresolved:
      return "unresolved";
    case SkipReason::at_channel_cap:
      return "at_channel_cap";
    case SkipReason::at_cps_cap:
      return "at_cps_cap";
  }
  return "?";
}

const char* to_string(RouteDecision::Outcome o) {
  switch (o) {
    case RouteDecision::Outcome::routed:
      return "routed";
    case RouteDecision::Outcome::no_route:
      return "no_route";
    case RouteDecision::Outcome::all_unavailable:
      return "all_unavailable";
    case RouteDecision::Outcome::source_banned:
      return "source_banned";
    case RouteDecision::Outcome::overloaded:
      return "overloaded";
    case RouteDecision::Outcome::invalid_number:
      return "invalid_number";
  }
  return "?";
}

}  // namespace sbc::policy
