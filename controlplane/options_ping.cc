#include "controlplane/options_ping.h"

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

#include "controlplane/nta_retire.h"

namespace sbc::controlplane {

OptionsPing::~OptionsPing() {
  for (auto& [raw, p] : pings_) {
    if (p->timeout >= 0) loop_.cancel(p->timeout);
    if (p->orq) nta_outgoing_destroy(p->orq);
    if (p->leg) nta_leg_destroy(p->leg);
  }
}

void OptionsPing::send(nta_agent_t* agent, const OptionsTarget& t,
                       std::chrono::milliseconds timeout, Done done) {
  auto ping = std::make_unique<Ping>();
  Ping* raw = ping.get();
  ping->self = this;
  ping->sent = clock_.now();
  ping->done = std::move(done);
  pings_[raw] = std::move(ping);
  if (agent)
    raw->leg = nta_leg_tcreate(agent, nullptr, nullptr, SIPTAG_FROM_STR(t.from.c_str()),
                               SIPTAG_TO_STR(t.to.c_str()), TAG_END());
  if (raw->leg) {
    nta_leg_tag(raw->leg, nullptr);
    raw->orq = nta_outgoing_tcreate(
        raw->leg, &OptionsPing::on_response, reinterpret_cast<nta_outgoing_magic_t*>(raw),
        t.next_hop.empty() ? nullptr : URL_STRING_MAKE(t.next_hop.c_str()), SIP_METHOD_OPTIONS,
        URL_STRING_MAKE(t.request_uri.c_str()), SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
  }
  if (!raw->orq) {
    // Could not even be sent: answer on the next turn, like a timeout.
    auto t0 = loop_.after(std::chrono::milliseconds(0), [this, raw] { finish(raw, 0); });
    if (t0) raw->timeout = *t0;
    return;
  }
  auto tm = loop_.after(timeout, [this, raw] {
    raw->timeout = -1;
    finish(raw, 0);
  });
  if (tm) raw->timeout = *tm;
}

int OptionsPing::on_response(nta_outgoing_magic_t* magic, nta_outgoing_t*, const sip_t* sip) {
  auto* p = reinterpret_cast<Ping*>(magic);
  int status = sip && sip->sip_status ? sip->sip_status->st_status : 0;
  if (status >= 100 && status < 200) return 0;
  // nta reports its own timeouts and transport errors with no message or a
  // locally made 408/503: the caller judges them like any answer.
  p->self->finish(p, status);
  return 0;
}

void OptionsPing::finish(Ping* p, int status) {
  auto it = pings_.find(p);
  if (it == pings_.end()) return;
  std::unique_ptr<Ping> ping = std::move(it->second);
  pings_.erase(it);
  if (ping->timeout >= 0) loop_.cancel(ping->timeout);
  auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - ping->sent);
  // nta must not find the freed Ping if it reports on the transaction again.
  retire_later(loop_, ping->orq, ping->leg);
  ping->done(status, rtt);
}

}  // namespace sbc::controlplane
