#include "controlplane/trunk_resolver.h"

#include <algorithm>
#include <set>

#include "controlplane/log.h"

namespace sbc::controlplane {

using std::chrono::milliseconds;

std::string DnsSpec::to_string() const {
  std::string s = host;
  if (port) s += ":" + std::to_string(*port);
  if (transport != policy::SipTransport::udp)
    s += std::string(";transport=") + policy::to_string(transport);
  return s;
}

std::optional<DnsSpec> address_spec(const policy::Peer& peer) {
  if (peer.address.dns_name.empty()) return std::nullopt;
  return DnsSpec{peer.address.dns_name, peer.address.port, peer.address.transport};
}

std::optional<DnsSpec> registrar_spec(const policy::Peer& peer) {
  if (!peer.registration || !peer.registration->where.is_name) return std::nullopt;
  // REGISTERs go out over UDP from the trunk's leg (outbound_registrar.h).
  return DnsSpec{peer.registration->where.host, peer.registration->where.port,
                 policy::SipTransport::udp};
}

bool DnsStatus::usable() const {
  return std::any_of(targets.begin(), targets.end(),
                     [](const DnsTarget& t) { return !t.addresses.empty(); });
}

const char* to_string(DnsStatus::State s) {
  switch (s) {
    case DnsStatus::State::resolving:
      return "resolving";
    case DnsStatus::State::resolved:
      return "resolved";
    case DnsStatus::State::stale:
      return "stale";
    case DnsStatus::State::failed:
      return "failed";
  }
  return "?";
}

struct TrunkResolver::Lookup {
  uint64_t generation = 0;
  std::vector<DnsQuery::Id> queries;  // in flight
  CallTimers::Id deadline = 0;
  bool from_srv = false;
  std::vector<DnsTarget> targets;  // SRV targets waiting for their A records
  size_t waiting = 0;
  uint32_t ttl = UINT32_MAX;
  std::string error;  // of the last target that did not resolve
};

struct TrunkResolver::Entry {
  DnsSpec spec;
  DnsStatus status;
  std::optional<Lookup> lookup;
  CallTimers::Id timer = 0;  // the next lookup
  uint64_t generation = 0;
};

TrunkResolver::TrunkResolver(DnsQuery& dns, CallTimers& timers, const MonotonicClock& clock,
                             RandomUpTo random)
    : dns_(dns), timers_(timers), clock_(clock), random_(std::move(random)) {}

TrunkResolver::~TrunkResolver() {
  for (auto& [spec, e] : entries_) {
    cancel_lookup(*e);
    timers_.cancel(e->timer);
  }
}

void TrunkResolver::reconcile(policy::PolicyPtr policy) {
  policy_ = std::move(policy);
  std::set<DnsSpec> wanted;
  for (const auto& p : policy_->peers) {
    if (auto s = address_spec(p)) wanted.insert(*s);
    if (auto s = registrar_spec(p)) wanted.insert(*s);
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (wanted.count(it->first)) {
      wanted.erase(it->first);
      ++it;
      continue;
    }
    cancel_lookup(*it->second);
    timers_.cancel(it->second->timer);
    it = entries_.erase(it);
  }
  for (const auto& spec : wanted) {
    auto e = std::make_unique<Entry>();
    e->spec = spec;
    Entry& ref = *e;
    entries_[spec] = std::move(e);
    start(ref);
  }
  rebuild_sources();
}

void TrunkResolver::start(Entry& e) {
  cancel_lookup(e);
  e.lookup.emplace();
  const uint64_t gen = e.lookup->generation = ++e.generation;
  const DnsSpec spec = e.spec;
  // Finds the entry a callback belongs to, if that lookup is still the live one.
  auto live = [this, spec, gen]() -> Entry* {
    auto it = entries_.find(spec);
    if (it == entries_.end() || !it->second->lookup || it->second->lookup->generation != gen)
      return nullptr;
    return it->second.get();
  };
  e.lookup->deadline = timers_.after(
      std::chrono::duration_cast<milliseconds>(policy_->timers.dns_timeout), [this, live] {
        if (Entry* x = live()) {
          x->lookup->deadline = 0;
          finish(*x, std::nullopt, 0, "timeout");
        }
      });
  if (spec.port) {
    // A port written beside the name: no SRV (RFC 3263 4.2).
    e.lookup->queries.push_back(dns_.query(DnsType::a, spec.host, [this, live](const DnsAnswer& a) {
      if (Entry* x = live()) on_a_only(*x, a);
    }));
    return;
  }
  e.lookup->queries.push_back(dns_.query(DnsType::srv, srv_name(spec.host, spec.transport),
                                         [this, live](const DnsAnswer& a) {
                                           if (Entry* x = live()) on_srv(*x, a);
                                         }));
}

void TrunkResolver::on_srv(Entry& e, const DnsAnswer& a) {
  using S = DnsAnswer::Status;
  Lookup& l = *e.lookup;
  l.queries.clear();
  if (a.status == S::no_such_name || a.status == S::no_records) {
    // No SRV for the name: its A records at the default port (RFC 3263 4.2).
    const uint64_t gen = l.generation;
    const DnsSpec spec = e.spec;
    l.queries.push_back(dns_.query(DnsType::a, spec.host, [this, spec, gen](const DnsAnswer& x) {
      auto it = entries_.find(spec);
      if (it != entries_.end() && it->second->lookup && it->second->lookup->generation == gen)
        on_a_only(*it->second, x);
    }));
    return;
  }
  if (a.status != S::ok) {
    finish(e, std::nullopt, 0, std::string("srv ") + to_string(a.status));
    return;
  }
  l.from_srv = true;
  l.ttl = a.ttl;
  for (const auto& s : a.srv) {
    // "." alone: the service is decidedly not available there (RFC 2782).
    if (s.target.empty() || s.target == ".") continue;
    l.targets.push_back({s.priority, s.weight, s.port, s.target, {}});
  }
  if (l.targets.empty()) {
    finish(e, std::nullopt, 0, "srv names no target");
    return;
  }
  const uint64_t gen = l.generation;
  const DnsSpec spec = e.spec;
  l.waiting = l.targets.size();
  for (size_t i = 0; i < l.targets.size(); ++i) {
    std::string host = l.targets[i].host;
    if (host.ends_with('.')) host.pop_back();
    l.queries.push_back(dns_.query(DnsType::a, host, [this, spec, gen, i](const DnsAnswer& x) {
      auto it = entries_.find(spec);
      if (it != entries_.end() && it->second->lookup && it->second->lookup->generation == gen)
        on_target_a(*it->second, i, x);
    }));
  }
}

void TrunkResolver::on_a_only(Entry& e, const DnsAnswer& a) {
  e.lookup->queries.clear();
  if (a.status != DnsAnswer::Status::ok || a.a.empty()) {
    finish(e, std::nullopt, 0, to_string(a.status));
    return;
  }
  DnsTarget t;
  t.port = e.spec.port.value_or(default_port(e.spec.transport));
  t.host = e.spec.host;
  t.addresses = a.a;
  finish(e, std::vector<DnsTarget>{t}, a.ttl, "");
}

void TrunkResolver::on_target_a(Entry& e, size_t index, const DnsAnswer& a) {
  Lookup& l = *e.lookup;
  if (a.status == DnsAnswer::Status::ok) {
    l.targets[index].addresses = a.a;
    l.ttl = std::min(l.ttl, a.ttl);
  } else {
    l.error = l.targets[index].host + " " + to_string(a.status);
  }
  if (--l.waiting > 0) return;
  l.queries.clear();
  std::vector<DnsTarget> usable;
  for (auto& t : l.targets)
    if (!t.addresses.empty()) usable.push_back(std::move(t));
  if (usable.empty()) {
    finish(e, std::nullopt, 0, "no srv target resolved (" + l.error + ")");
    return;
  }
  finish(e, std::move(usable), l.ttl, "");
}

void TrunkResolver::finish(Entry& e, std::optional<std::vector<DnsTarget>> targets, uint32_t ttl,
                           const std::string& error) {
  const bool from_srv = e.lookup && e.lookup->from_srv;
  cancel_lookup(e);
  DnsStatus& s = e.status;
  const DnsStatus::State before = s.state;
  const std::vector<DnsTarget> old_targets = s.targets;
  const policy::Timers& t = policy_->timers;
  milliseconds delay;
  if (targets) {
    std::stable_sort(targets->begin(), targets->end(), [](const DnsTarget& a, const DnsTarget& b) {
      return a.priority < b.priority;
    });
    s.targets = std::move(*targets);
    s.from_srv = from_srv;
    s.ttl = clamp_ttl(ttl, t.dns_ttl_min, t.dns_ttl_max);
    s.state = DnsStatus::State::resolved;
    s.last_error.clear();
    ++s.lookups_ok;
    delay = s.ttl;
  } else {
    // The last good answer stays in use until a lookup gives a new one.
    s.state = s.usable() ? DnsStatus::State::stale : DnsStatus::State::failed;
    s.last_error = error;
    ++s.lookups_failed;
    delay = std::chrono::duration_cast<milliseconds>(t.dns_retry);
  }
  s.next_lookup = clock_.now() + delay;
  schedule(e, delay);
  rebuild_sources();
  if (on_change_) on_change_(e.spec, s, s.state != before || s.targets != old_targets);
}

void TrunkResolver::cancel_lookup(Entry& e) {
  if (!e.lookup) return;
  for (DnsQuery::Id id : e.lookup->queries) dns_.cancel(id);
  timers_.cancel(e.lookup->deadline);
  e.lookup.reset();
}

void TrunkResolver::schedule(Entry& e, milliseconds delay) {
  timers_.cancel(e.timer);
  const DnsSpec spec = e.spec;
  e.timer = timers_.after(delay, [this, spec] {
    auto it = entries_.find(spec);
    if (it == entries_.end()) return;
    it->second->timer = 0;
    start(*it->second);
  });
}

void TrunkResolver::rebuild_sources() {
  sources_.clear();
  if (!policy_) return;
  for (const auto& p : policy_->peers) {
    if (!p.auth.trust_resolved) continue;
    auto spec = address_spec(p);
    const DnsStatus* s = spec ? status(*spec) : nullptr;
    if (!s) continue;
    for (const auto& target : s->targets)
      for (Ipv4Address a : target.addresses)
        if (!sources_.add(p.leg, a, p.name))
          log::warn("dns_address_shared", {{"peer", p.name},
                                           {"address", a.to_string()},
                                           {"reason",
                                            "another trunk on this leg resolved to it first: "
                                            "calls from it are that trunk's"}});
  }
}

const DnsStatus* TrunkResolver::status(const DnsSpec& spec) const {
  auto it = entries_.find(spec);
  return it == entries_.end() ? nullptr : &it->second->status;
}

std::optional<Endpoint> TrunkResolver::endpoint(const DnsSpec& spec) const {
  const DnsStatus* s = status(spec);
  if (!s) return std::nullopt;
  return next_endpoint(s->targets, random_);
}

bool TrunkResolver::resolved(const policy::Peer& peer) const {
  auto spec = address_spec(peer);
  if (!spec) return true;
  const DnsStatus* s = status(*spec);
  return s && s->usable();
}

}  // namespace sbc::controlplane
