#include "controlplane/nat_keepalive.h"

#include "controlplane/registrar/registrar.h"

namespace sbc::controlplane {

NatKeepalive::NatKeepalive(EventLoop& loop, const registrar::LocationStore& store,
                           AgentForLeg agents, std::function<policy::PolicyPtr()> current_policy,
                           std::string realm)
    : loop_(loop),
      store_(store),
      agents_(std::move(agents)),
      current_policy_(std::move(current_policy)),
      realm_(std::move(realm)),
      ping_(loop) {}

NatKeepalive::~NatKeepalive() {
  if (timer_ >= 0) loop_.cancel(timer_);
}

Status NatKeepalive::start(std::chrono::milliseconds tick, size_t max_per_tick) {
  max_per_tick_ = max_per_tick;
  auto t = loop_.every(tick, [this] { this->tick(); });
  if (!t) return t.error();
  timer_ = *t;
  return ok_status();
}

void NatKeepalive::tick() {
  policy::PolicyPtr pol = current_policy_();
  const auto interval = pol->timers.nat_keepalive;
  const MonoTime now = clock_.now();
  size_t sent = 0;
  std::unordered_map<std::string, MonoTime> seen;
  store_.for_each_binding([&](std::string_view aor, const registrar::Binding& b) {
    if (!b.behind_nat) return;
    std::string key = std::string(aor) + "|" + b.key();
    auto it = last_sent_.find(key);
    MonoTime last = it == last_sent_.end() ? MonoTime{} : it->second;
    if (it != last_sent_.end() && now - last < interval) {
      seen.emplace(key, last);
      return;
    }
    if (sent >= max_per_tick_) {  // the rest go on the next ticks
      if (it != last_sent_.end()) seen.emplace(key, last);
      return;
    }
    const policy::Peer* peer = pol->find_peer_by_username(std::string(registrar::aor_user(aor)));
    const policy::Interface* leg = peer ? pol->find_interface(peer->leg) : nullptr;
    if (!leg) return;
    OptionsTarget t;
    t.request_uri = b.contact;
    t.next_hop = "sip:" + b.received.address.to_string() + ":" + std::to_string(b.received.port);
    t.from = "<sip:keepalive@" + leg->address.address.to_string() + ">";
    t.to = "<" + std::string(aor) + ">";
    ++counters_.sent;
    ++sent;
    seen.emplace(key, now);
    ping_.send(agents_(peer->leg), t,
               std::chrono::duration_cast<std::chrono::milliseconds>(pol->timers.probe_timeout),
               [this](int status, std::chrono::microseconds) {
                 // Any answer means the path through the NAT is open.
                 if (status >= 200 && status != 408 && status != 503)
                   ++counters_.answered;
                 else
                   ++counters_.unanswered;
                 if (on_result_) on_result_();
               });
  });
  last_sent_ = std::move(seen);  // forgets bindings that expired or left NAT
}

}  // namespace sbc::controlplane
