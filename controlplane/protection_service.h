// The control plane's side of dataplane protection (docs/protection.md):
// turns the policy's security section and IP-authenticated trunks into
// dataplane filters (on start and on every reload), enforces the
// registrar's failed-authentication bans in the dataplane's deny list,
// promotes sources that authenticated to the `registered` trust class, and
// serves the operator's `bans`, `ban` and `unban` admin commands.
//
// Works with no dataplane (sbcd --no-dataplane): bans of single addresses
// then go to the registrar's ban list only (enforced at the SIP layer).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "controlplane/admin_protocol.h"
#include "controlplane/registrar/auth_failure_tracker.h"
#include "dataplane/dataplane.h"
#include "policy/policy.h"

namespace sbc::controlplane {

class AdminServer;

class ProtectionService {
 public:
  // Either may be null; both must outlive this object.
  ProtectionService(dataplane::Dataplane* dp, registrar::AuthFailureTracker* failures)
      : dp_(dp), failures_(failures) {}

  // Builds the filters of `p` and swaps them in. On error the previous
  // filters stay in force.
  // resolved: addresses of trunks known by DNS name (trusted like fixed prefixes).
  Status apply_policy(const policy::Policy& p, const policy::ResolvedSources* resolved = nullptr);

  // A ban the registrar decided (failed authentication): an address, or an
  // address and source port, denied in the dataplane for the ban's duration.
  // Username bans stay at the SIP layer (a username is not in a packet).
  void on_ban(const registrar::Ban& ban);
  // A source that authenticated and holds bindings for `ttl`: its signalling
  // is policed at the registered class's rate from now on; ttl 0 (its last
  // binding removed) demotes it.
  void on_authenticated(Ipv4Address source, std::chrono::seconds ttl);
  // A SourceAbuse event: the dataplane policed this source (about once a
  // second while it floods). An untrusted source reported flood_ban.threshold
  // times within its window is denied for its ban duration; a source in any
  // other class is only counted (a trusted trunk over its rate is an
  // operator's question, not a ban).
  void on_source_abuse(const dataplane::DataplaneEvent& e);
  // A request from `source` answered 400 because it was malformed. The caller
  // reports only sources that are not trusted peers; malformed_ban.threshold
  // of them within its window deny the source.
  void on_malformed_request(Ipv4Address source);

  void register_admin_commands(AdminServer& admin);

  // The admin commands (args without the command word); public for tests.
  admin::Reply bans_command(const std::vector<std::string>& args) const;
  admin::Reply ban_command(const std::vector<std::string>& args);
  admin::Reply unban_command(const std::vector<std::string>& args);

  uint64_t bans_from_auth() const { return bans_from_auth_; }
  uint64_t bans_from_abuse() const { return bans_from_abuse_; }
  uint64_t bans_from_malformed() const { return bans_from_malformed_; }

 private:
  dataplane::Dataplane* dp_;
  registrar::AuthFailureTracker* failures_;
  std::string registered_class_;  // empty: no filters applied yet
  int default_class_ = -1;
  using Clock = std::chrono::steady_clock;
  using Reports = std::map<uint32_t, std::vector<Clock::time_point>>;
  // One more report about `source`; past the rule's threshold within its
  // window the source is denied for the rule's ban.
  void report(Reports& reports, const policy::AbuseBanPolicy& rule, Ipv4Address source,
              std::string_view what, uint64_t& bans);
  policy::AbuseBanPolicy flood_ban_, malformed_ban_;
  // Report times per source (bounded: cleared past kMaxTracked sources).
  Reports floods_, malformed_;
  static constexpr size_t kMaxTracked = 100'000;
  uint64_t bans_from_auth_ = 0;
  uint64_t bans_from_abuse_ = 0;
  uint64_t bans_from_malformed_ = 0;
};

// "198.18.0.0/16", "198.18.0.7" (a /32) or "198.18.0.7:5060" (one address
// and source port).
struct DenyTarget {
  Ipv4Prefix prefix;
  uint16_t port = 0;
};
Result<DenyTarget> parse_deny_target(std::string_view text);
std::string to_string(const DenyTarget& t);

}  // namespace sbc::controlplane
