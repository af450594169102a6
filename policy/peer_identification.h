// Who sent a request: the pure decision the control plane makes before it
// authenticates, admits or routes anything (DESIGN.md "Peers").
#pragma once

#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "policy/policy.h"
#include "policy/resolved_sources.h"

namespace sbc::policy {

struct RequestOrigin {
  std::string_view leg;  // the leg the request arrived on
  Ipv4Address source;    // its source address (after the dataplane, so not spoofable on TCP)
  std::string_view auth_username;  // from Authorization/Proxy-Authorization; empty if none
};

struct Identification {
  enum class Outcome {
    by_source_address,  // an IP-authenticated peer: trusted, no challenge
    by_username,        // a digest peer: the control plane must still check the digest
    no_credentials,     // not a trusted source and no credentials: challenge it
    unknown_username,   // credentials for a username no peer has
    wrong_leg,          // the username or address belongs to a peer on another leg
    unknown_leg,        // the leg is not in this policy (a reload removed it mid-flight)
  };
  Outcome outcome = Outcome::no_credentials;
  const Peer* peer = nullptr;  // set for by_source_address and by_username

  bool identified() const { return peer != nullptr; }
};

// IP trust is checked first: a carrier that also sends credentials is still
// the carrier. Static trusted prefixes come before `resolved` (the addresses
// of trunks known by DNS name; null: none). Digest peers are matched by
// username on their own leg only.
// The peer `peer_name` if it is trusted on `leg` by the addresses its DNS name
// resolves to, in this policy (a resolver's table may date from the previous
// one for a moment after a reload); null otherwise.
const Peer* trusted_by_name(const Policy& policy, std::string_view leg,
                            const std::string& peer_name);

Identification identify_peer(const Policy& policy, const RequestOrigin& origin,
                             const ResolvedSources* resolved = nullptr);

const char* to_string(Identification::Outcome o);

}  // namespace sbc::policy
