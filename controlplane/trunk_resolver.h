// Trunks (and carriers' registrars) named by DNS: each name is resolved per
// RFC 3263 4.2 without NAPTR (SRV _sip._udp/_sip._tcp/_sips._tcp.NAME, the
// targets' A records, ordered per RFC 2782; no SRV: the name's A records at
// the written port or 5060/5061) and looked up again when the answer's TTL
// (clamped to timers.dns_ttl_min..dns_ttl_max) runs out. A failed lookup is
// retried after timers.dns_retry and the last good answer stays in use; a
// name that never resolved leaves its trunk unusable for routing (skipped as
// `unresolved`, so calls fail over) and says so in the log, the metrics and
// `sbcctl peers`.
//
// Everything runs on the event loop over DnsQuery (sresolv in sbcd, a fake in
// the unit tests); a lookup never blocks it and is bounded by
// timers.dns_timeout.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/call_timers.h"
#include "controlplane/dns_query.h"
#include "controlplane/dns_targets.h"
#include "controlplane/monotonic_clock.h"
#include "policy/policy.h"
#include "policy/resolved_sources.h"

namespace sbc::controlplane {

// What is resolved: a host name, the port written beside it (none: SRV
// decides) and the transport (which SRV name, which default port).
struct DnsSpec {
  std::string host;
  std::optional<uint16_t> port;
  policy::SipTransport transport = policy::SipTransport::udp;
  friend auto operator<=>(const DnsSpec&, const DnsSpec&) = default;
  friend bool operator==(const DnsSpec&, const DnsSpec&) = default;
  std::string to_string() const;
};

// The name a peer's address gives, if it is one; its registrar's, likewise.
std::optional<DnsSpec> address_spec(const policy::Peer& peer);
std::optional<DnsSpec> registrar_spec(const policy::Peer& peer);

struct DnsStatus {
  enum class State {
    resolving,  // the first lookup is under way
    resolved,   // the last lookup gave addresses
    stale,      // the last lookup failed: the previous answer is still used
    failed,     // never resolved: the trunk cannot be reached
  };
  State state = State::resolving;
  std::vector<DnsTarget> targets;  // the last good answer, RFC 2782 priority order
  bool from_srv = false;
  std::string last_error;  // why the last lookup failed ("nxdomain", "timeout"...); empty if ok
  std::chrono::seconds ttl{0};  // of the last good answer, clamped
  MonoTime next_lookup{};       // when the name is looked up again
  uint64_t lookups_ok = 0;
  uint64_t lookups_failed = 0;

  bool usable() const;  // has at least one address to send to
};

const char* to_string(DnsStatus::State s);

class TrunkResolver {
 public:
  // Told after every lookup that finished; `changed`: its state or its
  // addresses differ from before.
  using ChangeHook = std::function<void(const DnsSpec&, const DnsStatus&, bool changed)>;

  TrunkResolver(DnsQuery& dns, CallTimers& timers, const MonotonicClock& clock, RandomUpTo random);
  ~TrunkResolver();
  TrunkResolver(const TrunkResolver&) = delete;
  TrunkResolver& operator=(const TrunkResolver&) = delete;

  void on_change(ChangeHook h) { on_change_ = std::move(h); }

  // Brings the names in line with a policy (at start and after every
  // reload): new names are looked up at once, names no peer uses any more
  // are dropped, the others keep their answer and schedule.
  void reconcile(policy::PolicyPtr policy);

  const DnsStatus* status(const DnsSpec& spec) const;
  // Where the next request for that name goes (RFC 2782 draw each time).
  std::optional<Endpoint> endpoint(const DnsSpec& spec) const;
  // A peer whose address is a DNS name has somewhere to send to; peers
  // without a name always count as resolved.
  bool resolved(const policy::Peer& peer) const;
  // The addresses of trunks that are trusted by their resolved addresses.
  const policy::ResolvedSources& sources() const { return sources_; }
  size_t names() const { return entries_.size(); }

 private:
  struct Entry;
  struct Lookup;
  void start(Entry& e);
  void on_srv(Entry& e, const DnsAnswer& a);
  void on_a_only(Entry& e, const DnsAnswer& a);
  void on_target_a(Entry& e, size_t index, const DnsAnswer& a);
  void finish(Entry& e, std::optional<std::vector<DnsTarget>> targets, uint32_t ttl,
              const std::string& error);
  void cancel_lookup(Entry& e);
  void schedule(Entry& e, std::chrono::milliseconds delay);
  void rebuild_sources();

  DnsQuery& dns_;
  CallTimers& timers_;
  const MonotonicClock& clock_;
  RandomUpTo random_;
  ChangeHook on_change_;
  policy::PolicyPtr policy_;
  std::map<DnsSpec, std::unique_ptr<Entry>> entries_;
  policy::ResolvedSources sources_;
};

}  // namespace sbc::controlplane
