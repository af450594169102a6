#include "controlplane/options_prober.h"

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

#include "controlplane/log.h"

namespace sbc::controlplane {

OptionsProber::OptionsProber(EventLoop& loop, PeerHealth& health, AgentForLeg agents,
                             std::function<policy::PolicyPtr()> current_policy,
                             ChangeHook on_change)
    : loop_(loop),
      health_(health),
      agents_(std::move(agents)),
      current_policy_(std::move(current_policy)),
      on_change_(std::move(on_change)) {}

OptionsProber::~OptionsProber() {
  if (tick_timer_ >= 0) loop_.cancel(tick_timer_);
  for (auto& [raw, p] : in_flight_) {
    if (p->timeout >= 0) loop_.cancel(p->timeout);
    if (p->orq) nta_outgoing_destroy(p->orq);
    if (p->leg) nta_leg_destroy(p->leg);
  }
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
    if (peer.probe.interval.count() <= 0 || !peer.address.ip) continue;
    auto [it, fresh] = next_due_.try_emplace(peer.name, now);
    if (now < it->second) continue;
    bool busy = false;
    for (const auto& [raw, probe] : in_flight_) busy = busy || probe->peer == peer.name;
    if (busy) continue;  // the previous probe has not finished: no pile-up
    it->second = now + peer.probe.interval;
    send(peer);
  }
}

void OptionsProber::send(const policy::Peer& peer) {
  nta_agent_t* agent = agents_(peer.leg);
  const policy::Interface* leg = current_policy_()->find_interface(peer.leg);
  if (!agent || !leg) return;
  std::string target =
      peer.address.ip->to_string() + ":" + std::to_string(peer.address.port.value_or(5060));
  std::string uri = "sip:" + target;
  if (peer.address.transport == policy::SipTransport::tcp) uri += ";transport=tcp";
  std::string from = "<sip:probe@" + leg->address.address.to_string() + ">";
  std::string to = "<sip:" + target + ">";

  auto probe = std::make_unique<Probe>();
  probe->self = this;
  probe->peer = peer.name;
  probe->sent = clock_.now();
  probe->leg = nta_leg_tcreate(agent, nullptr, nullptr, SIPTAG_FROM_STR(from.c_str()),
                               SIPTAG_TO_STR(to.c_str()), TAG_END());
  if (!probe->leg) return;
  nta_leg_tag(probe->leg, nullptr);
  probe->orq = nta_outgoing_tcreate(probe->leg, &OptionsProber::on_response,
                                    reinterpret_cast<nta_outgoing_magic_t*>(probe.get()), nullptr,
                                    SIP_METHOD_OPTIONS, URL_STRING_MAKE(uri.c_str()),
                                    SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
  Probe* raw = probe.get();
  if (!probe->orq) {
    nta_leg_destroy(probe->leg);
    probe->leg = nullptr;
    in_flight_[raw] = std::move(probe);
    finish(raw, 0);
    return;
  }
  auto timeout = current_policy_()->timers.probe_timeout;
  auto t = loop_.after(std::chrono::duration_cast<std::chrono::milliseconds>(timeout), [this, raw] {
    raw->timeout = -1;
    finish(raw, 0);
  });
  if (t) probe->timeout = *t;
  in_flight_[raw] = std::move(probe);
}

int OptionsProber::on_response(nta_outgoing_magic_t* magic, nta_outgoing_t*, const sip_t* sip) {
  auto* p = reinterpret_cast<Probe*>(magic);
  int status = sip && sip->sip_status ? sip->sip_status->st_status : 0;
  if (status >= 100 && status < 200) return 0;
  // nta reports its own timeouts and transport errors with no message or a
  // locally made 408/503: both count as a failed probe.
  p->self->finish(p, status);
  return 0;
}

void OptionsProber::finish(Probe* p, int status) {
  auto it = in_flight_.find(p);
  if (it == in_flight_.end()) return;
  std::unique_ptr<Probe> probe = std::move(it->second);
  in_flight_.erase(it);
  if (probe->timeout >= 0) loop_.cancel(probe->timeout);
  auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - probe->sent);

  policy::PolicyPtr pol = current_policy_();
  if (const policy::Peer* peer = pol->find_peer(probe->peer)) {
    bool changed = health_.record(*peer, status, rtt);
    const PeerHealthState* h = health_.find(peer->name);
    if (changed)
      log::info("peer_health", {{"peer", peer->name},
                                {"state", to_string(h->state)},
                                {"status", std::to_string(status)}});
    if (on_change_) on_change_(*peer, *h);
  }
  // Never destroy nta objects inside their own callback: after this turn.
  nta_outgoing_t* orq = probe->orq;
  nta_leg_t* leg = probe->leg;
  (void)loop_.after(std::chrono::milliseconds(0), [orq, leg] {
    if (orq) nta_outgoing_destroy(orq);
    if (leg) nta_leg_destroy(leg);
  });
}

}  // namespace sbc::controlplane
