// Routing a dialled number: the pure decision of where a call goes, with the
// reason every skipped candidate was skipped, so an operator can see why a
// call went to the second carrier (DESIGN.md "Peers").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/live_state.h"
#include "policy/policy.h"

namespace sbc::policy {

enum class SkipReason {
  none,            // usable: try it
  is_source,       // routing the call back to the peer it came from would loop
  offline,         // a phone with no registration, or a peer with no address
  unhealthy,       // OPTIONS probing says it is down
  unresolved,      // its address is a DNS name that has never resolved
  at_channel_cap,  // all its channels are in use
  at_cps_cap,      // its calls-per-second bucket is empty
};

struct Candidate {
  const Peer* peer = nullptr;
  std::string called;  // the number as this peer gets it (after its outbound manipulation)
  std::string caller;
  SkipReason skipped = SkipReason::none;
};

struct RouteRequest {
  const Peer* source = nullptr;  // the identified caller's peer; null: unidentified
  std::string_view called;       // as dialled (Request-URI user part)
  std::string_view caller;       // caller ID as received
};

struct RouteDecision {
  enum class Outcome {
    routed,           // at least one candidate is usable
    no_route,         // no route matches the number for this source
    all_unavailable,  // a route matched but every candidate was skipped
    source_banned,    // the caller's peer is banned (never for emergency routes)
    overloaded,       // shedding non-emergency calls
    invalid_number,   // the number holds characters that are not dialable
  };
  Outcome outcome = Outcome::no_route;
  const Route* route = nullptr;
  std::string called;  // after the source's inbound manipulation: what was matched
  std::string caller;
  std::vector<Candidate> candidates;  // in failover order, skipped ones included

  // The first usable candidate, or null.
  const Candidate* first_usable() const;
};

RouteDecision route_call(const Policy& policy, const LiveState& live, const RouteRequest& request);

const char* to_string(SkipReason r);
const char* to_string(RouteDecision::Outcome o);

}  // namespace sbc::policy
