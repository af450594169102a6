// The registrar's one entry point for the SIP layer: a REGISTER in, a
// decision out (what to answer, with which headers, and what changed).
// Composes the ban check, digest authentication, failure counting, NAT
// detection and the location store; the caller (nta glue) only translates
// Sofia structures into RegisterInput and the decision back into a response.
//
// Order, and why:
//  1. banned source or user -> drop (no answer: a scanner learns nothing);
//  2. no/malformed/failed/stale credentials -> 401/400, failures counted;
//     unknown users take the same path as wrong passwords;
//  3. authenticated user not allowed this AOR -> 403;
//  4. NAT detection, then the location store (423/400/403/503 or 200).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/registrar/auth_failure_tracker.h"
#include "controlplane/registrar/clock.h"
#include "controlplane/registrar/digest_authenticator.h"
#include "controlplane/registrar/location_store.h"
#include "controlplane/registrar/nat_detection.h"

namespace sbc::registrar {

struct RegisterInput {
  std::string_view authorization;  // Authorization header value, "" if none
  // Top Via sent-by and the first Contact's host/port (for NAT detection).
  std::string_view via_host;
  std::optional<uint16_t> via_port;
  std::string_view contact_host;
  std::optional<uint16_t> contact_port;
  // The request as the location store takes it; request.received is the
  // transport source and request.behind_nat is filled in here.
  RegisterRequest request;
};

struct RegisterDecision {
  // 0: drop silently (banned). Else the SIP status to answer with.
  int status = 0;
  std::string reason;
  std::vector<std::string> www_authenticate;  // for 401: one header each
  uint32_t min_expires = 0;                   // for 423
  std::vector<Binding> bindings;              // for 200: the Contact list
  AuthVerdict auth = AuthVerdict::kFailed;
  std::string username;
  NatResult nat;
  std::vector<Ban> new_bans;  // push address bans to the dataplane deny list
};

// May this authenticated user register this AOR? The default (nullptr)
// allows it when the AOR's user part equals the username.
using AorPermission = std::function<bool(std::string_view username, std::string_view aor)>;

class Registrar {
 public:
  Registrar(DigestAuthenticator& auth, AuthFailureTracker& failures, LocationStore& store,
            CredentialLookup lookup, AorPermission permission = nullptr);

  RegisterDecision handle(RegisterInput input);

  // From the caller's periodic timer: expires bindings, nonces, bans and
  // counters. Returns the expired bindings (withdraw their dataplane trust).
  std::vector<ExpiredBinding> sweep();

 private:
  DigestAuthenticator& auth_;
  AuthFailureTracker& failures_;
  LocationStore& store_;
  CredentialLookup lookup_;
  AorPermission permission_;
};

// "sip:alice@example.com;x=y" -> "alice"; "" when there is no user part.
std::string_view aor_user(std::string_view aor);

}  // namespace sbc::registrar
