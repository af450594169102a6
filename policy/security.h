// What the dataplane and the control plane enforce against abuse: static ACL
// entries, trust classes (how much a source may send to the control plane),
// failed-authentication bans, and scanner user agents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "policy/duration.h"
#include "policy/interface.h"
#include "policy/source_position.h"

namespace sbc::policy {

enum class AclAction { allow, deny };
enum class AclProtocol { any, udp, tcp };

// Entries are evaluated in order; the first that matches decides. An allow
// entry may name the trust class its sources get.
struct AclEntry {
  AclAction action = AclAction::deny;
  Ipv4Prefix source;  // 0.0.0.0/0 matches every source
  std::string leg;    // empty: every leg
  AclProtocol protocol = AclProtocol::any;
  PortRange ports{0, 65535};  // destination ports on the SBC
  std::string trust_class;    // allow only; empty: the default class
  SourcePosition defined_at;
};

// Per-source policing of traffic to the control plane (DESIGN.md "police").
struct TrustClass {
  std::string name;
  uint32_t rate = 0;   // packets per second per source
  uint32_t burst = 0;  // bucket depth in packets
};

struct FailedAuthPolicy {
  uint32_t threshold = 5;  // failures within `window` that trigger a ban
  Duration window{std::chrono::seconds(60)};
  Duration ban{std::chrono::minutes(10)};
  Duration max_ban{std::chrono::hours(24)};  // repeat offenders: doubling, capped here
};

// `threshold` reports of one kind about one untrusted source within `window`
// deny it in the dataplane for `ban`.
struct AbuseBanPolicy {
  uint32_t threshold = 3;
  Duration window{std::chrono::seconds(60)};
  Duration ban{std::chrono::minutes(10)};
};

// All untrusted (default-class) punt traffic together, per worker: the cap
// that keeps a distributed flood from starving trusted peers.
struct UntrustedCap {
  uint32_t rate = 2000;   // packets per second
  uint32_t burst = 4000;  // packets
};

struct SecurityPolicy {
  std::vector<AclEntry> acl;
  std::vector<TrustClass> trust_classes;
  std::string default_trust_class = "untrusted";
  FailedAuthPolicy failed_auth;
  // The police stage reports a flooding source about once a second.
  AbuseBanPolicy flood_ban{};
  // Requests answered 400 because they were malformed (sip/request_check).
  AbuseBanPolicy malformed_ban{10, Duration{std::chrono::seconds(60)},
                               Duration{std::chrono::minutes(10)}};
  UntrustedCap untrusted_cap;
  // Case-insensitive substrings of User-Agent that mark a scanner.
  std::vector<std::string> scanner_user_agents;

  const TrustClass* find_trust_class(std::string_view name) const;
  // Pure: whether a User-Agent header value matches a scanner pattern.
  bool is_scanner(std::string_view user_agent) const;
};

// The classes every policy has, so the dataplane always has a bucket for
// unknown sources, even when the operator writes no `security` section.
std::vector<TrustClass> default_trust_classes();
std::vector<std::string> default_scanner_user_agents();

}  // namespace sbc::policy
