#include "controlplane/options_prober.h"

#include "controlplane/log.h"

namespace sbc::controlplane {

OptionsProber::OptionsProber(EventLoop& loop, PeerHealth& health, AgentForLeg agents,
                             std::function<policy::PolicyPtr()> current_policy,
                             ChangeHook on_change, NameLookup names)
    : loop_(loop),
      health_(health),
      agents_(std::move(agents)),
      current_policy_(std::move(current_policy)),
      on_change_(std::move(on_change)),
      names_(std::move(names)),
      ping_(loop) {}

OptionsProber::~OptionsProber() {
  if (tick_timer_ >= 0) loop_.cancel(tick_timer_);
}

Status OptionsProber::start(std::chrono::milliseconds tick) {
  auto t = loop_.every(tick, [this] { this->tick(); });
  if (!t) return t.error();
  tick_timer_ = *t;
  return ok_status();
}

void OptionsProber::tick() {
  policy::PolicyPtr p = current_policy_();
  MonoTime now = clock_.now();
  for (const auto& peer : p->peers) {
    if (peer.probe.interval.count() <= 0 || !peer.address.is_set()) continue;
    auto [it, fresh] = next_due_.try_emplace(peer.name, now);
    if (now < it->second) continue;
    if (in_flight_.count(peer.name)) continue;  // the previous probe has not finished: no pile-up
    // A name: where this probe goes (one RFC 2782 draw), drawn only when due.
    std::optional<Endpoint> resolved;
    if (!peer.address.ip) {
      resolved = names_ ? names_(peer) : std::nullopt;
      if (!resolved) continue;  // no address yet: nothing to probe, asked again next tick
    }
    it->second = now + peer.probe.interval;
    send(peer, resolved);
  }
}

void OptionsProber::send(const policy::Peer& peer, const std::optional<Endpoint>& resolved) {
  policy::PolicyPtr pol = current_policy_();
  const policy::Interface* leg = pol->find_interface(peer.leg);
  if (!leg) return;
  // A name stays in the URIs as written; the probe goes where it resolved.
  std::string target =
      peer.address.ip
          ? peer.address.ip->to_string() + ":" + std::to_string(peer.address.port.value_or(5060))
          : peer.address.dns_name +
                (peer.address.port ? ":" + std::to_string(*peer.address.port) : "");
  OptionsTarget t;
  t.request_uri = "sip:" + target;
  if (peer.address.transport == policy::SipTransport::tcp) t.request_uri += ";transport=tcp";
  if (resolved)
    t.next_hop = "sip:" + resolved->to_string() +
                 (peer.address.transport == policy::SipTransport::tcp ? ";transport=tcp" : "");
  t.from = "<sip:probe@" + leg->address.address.to_string() + ">";
  t.to = "<sip:" + target + ">";
  in_flight_.insert(peer.name);
  std::string name = peer.name;
  ping_.send(agents_(peer.leg), t,
             std::chrono::duration_cast<std::chrono::milliseconds>(pol->timers.probe_timeout),
             [this, name](int status, std::chrono::microseconds rtt) {
               in_flight_.erase(name);
               policy::PolicyPtr now_policy = current_policy_();
               const policy::Peer* p = now_policy->find_peer(name);
               if (!p) return;  // removed by a reload meanwhile
               bool changed = health_.record(*p, status, rtt);
               const PeerHealthState* h = health_.find(name);
               if (changed)
                 log::info("peer_health", {{"peer", name},
                                           {"state", to_string(h->state)},
                                           {"status", std::to_string(status)}});
               if (on_change_) on_change_(*p, *h);
             });
}

}  // namespace sbc::controlplane
