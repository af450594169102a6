#include "controlplane/outbound_registrar.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#include <array>
#include <cstdlib>
#include <cstring>

#include "controlplane/log.h"
#include "controlplane/nta_retire.h"
#include "controlplane/registrar/hash.h"
#include "sip/auth_header_text.h"

namespace sbc::controlplane {

using std::chrono::milliseconds;
using std::chrono::seconds;
using State = OutboundRegistrationState::State;

struct OutboundRegistrar::Account {
  OutboundRegistrar* self = nullptr;
  std::string peer;
  std::string leg_name;
  policy::OutboundRegistration config;
  std::string request_uri;  // sip:registrar
  std::string aor;          // sip:username@registrar-host
  std::string contact;      // <sip:username@leg-address:port>
  std::string contact_host;
  OutboundRegistrationState machine;
  nta_leg_t* leg = nullptr;
  nta_outgoing_t* orq = nullptr;
  EventLoop::TimerId timer = -1;
  std::optional<registrar::DigestChallenge> challenge;
  bool proxy_challenge = false;  // 407: answer with Proxy-Authorization
  uint32_t nc = 0;               // requests sent with challenge->nonce

  Account(seconds expiry, OutboundRegistrationTimers timers) : machine(expiry, timers) {}
};

namespace {

// "sip:host:port;params" or "host:port" -> "host:port" (the AOR's domain).
std::string hostport_of(const std::string& registrar) {
  std::string s = registrar;
  if (s.rfind("sip:", 0) == 0) s = s.substr(4);
  if (auto at = s.find('@'); at != std::string::npos) s = s.substr(at + 1);
  if (auto end = s.find_first_of(";?>"); end != std::string::npos) s = s.substr(0, end);
  return s;
}

std::string host_of(const std::string& hostport) {
  auto colon = hostport.rfind(':');
  return colon == std::string::npos ? hostport : hostport.substr(0, colon);
}

std::optional<seconds> delta(const char* text) {
  if (!text || !*text) return std::nullopt;
  char* end = nullptr;
  unsigned long v = std::strtoul(text, &end, 10);
  if (end == text) return std::nullopt;
  return seconds(std::min<unsigned long>(v, 86400UL * 365));
}

// The first challenge in the list we know how to answer.
std::optional<registrar::DigestChallenge> usable_challenge(const msg_auth_t* list) {
  for (const msg_auth_t* au = list; au; au = au->au_next) {
    auto h = registrar::parse_auth_header(sip::auth_header_text(au));
    if (!h) continue;
    if (auto ch = registrar::digest_challenge(*h)) return *ch;
  }
  return std::nullopt;
}

}  // namespace

OutboundRegistrar::OutboundRegistrar(EventLoop& loop, AgentForLeg agents,
                                     std::function<policy::PolicyPtr()> current_policy,
                                     OutboundRegistrationTimers timers, AnswerHook on_answer,
                                     RegistrarLookup registrars)
    : loop_(loop),
      agents_(std::move(agents)),
      current_policy_(std::move(current_policy)),
      timers_(timers),
      on_answer_(std::move(on_answer)),
      registrars_(std::move(registrars)) {}

std::optional<std::string> OutboundRegistrar::route_of(const Account& a) const {
  if (!a.config.where.is_name) return std::string();
  auto ep = registrars_ ? registrars_(a.config) : std::nullopt;
  if (!ep) return std::nullopt;
  return "sip:" + ep->to_string();
}

OutboundRegistrar::~OutboundRegistrar() {
  for (auto& [name, a] : accounts_) {
    send_unregister(*a);
    release(*a);
  }
}

void OutboundRegistrar::reconcile() {
  policy::PolicyPtr pol = current_policy_();
  std::map<std::string, const policy::Peer*> wanted;
  for (const auto& p : pol->peers)
    if (p.registration) wanted[p.name] = &p;
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    auto w = wanted.find(it->first);
    bool same = w != wanted.end() && *w->second->registration == it->second->config &&
                w->second->leg == it->second->leg_name;
    if (same) {
      wanted.erase(w);
      ++it;
      continue;
    }
    log::info("outbound_registration", {{"peer", it->first}, {"event", "removed_or_changed"}});
    send_unregister(*it->second);
    release(*it->second);
    it = accounts_.erase(it);
  }
  for (const auto& [name, peer] : wanted) {
    auto a = std::make_unique<Account>(
        std::chrono::duration_cast<seconds>(peer->registration->expiry), timers_);
    a->self = this;
    a->peer = name;
    a->leg_name = peer->leg;
    a->config = *peer->registration;
    std::string hostport = hostport_of(a->config.registrar);
    a->request_uri = a->config.registrar.rfind("sip:", 0) == 0 ? a->config.registrar
                                                               : "sip:" + a->config.registrar;
    a->aor = "sip:" + a->config.username + "@" + host_of(hostport);
    if (const policy::Interface* leg = pol->find_interface(peer->leg)) {
      a->contact_host = leg->address.address.to_string();
      std::string contact = "sip:" + a->config.username + "@" + a->contact_host;
      if (!leg->sip.empty()) {
        contact += ":" + std::to_string(leg->sip.front().port);
        if (leg->sip.front().transport != policy::SipTransport::udp)
          contact += std::string(";transport=") + policy::to_string(leg->sip.front().transport);
      }
      a->contact = "<" + contact + ">";
    }
    Account& ref = *a;
    accounts_[name] = std::move(a);
    start(ref);
  }
}

void OutboundRegistrar::start(Account& a) {
  nta_agent_t* agent = agents_(a.leg_name);
  if (agent && !a.contact.empty())
    a.leg = nta_leg_tcreate(agent, nullptr, nullptr, SIPTAG_FROM_STR(("<" + a.aor + ">").c_str()),
                            SIPTAG_TO_STR(("<" + a.aor + ">").c_str()), TAG_END());
  if (a.leg) nta_leg_tag(a.leg, nullptr);
  send(a, false);
}

void OutboundRegistrar::send(Account& a, bool with_credentials) {
  a.timer = -1;
  std::string expires = std::to_string(a.machine.expiry_to_request().count());
  std::string auth = with_credentials ? authorization(a) : std::string();
  const std::optional<std::string> route = route_of(a);
  if (!route)
    log::warn(
        "outbound_registration",
        {{"peer", a.peer}, {"event", "registrar_unresolved"}, {"registrar", a.config.registrar}});
  if (a.leg && route)
    a.orq = nta_outgoing_tcreate(
        a.leg, &OutboundRegistrar::on_response, reinterpret_cast<nta_outgoing_magic_t*>(&a),
        route->empty() ? nullptr : URL_STRING_MAKE(route->c_str()), SIP_METHOD_REGISTER,
        URL_STRING_MAKE(a.request_uri.c_str()), SIPTAG_CONTACT_STR(a.contact.c_str()),
        SIPTAG_EXPIRES_STR(expires.c_str()), SIPTAG_MAX_FORWARDS_STR("70"),
        TAG_IF(!auth.empty() && !a.proxy_challenge, SIPTAG_AUTHORIZATION_STR(auth.c_str())),
        TAG_IF(!auth.empty() && a.proxy_challenge, SIPTAG_PROXY_AUTHORIZATION_STR(auth.c_str())),
        TAG_END());
  if (!a.orq) {
    // No leg (no agent on that leg, no address), a registrar name with no
    // address, or nta refused: judged like
    // an unanswered request, on the next turn (never re-entrantly).
    std::string name = a.peer;
    auto t = loop_.after(milliseconds(0), [this, name] {
      auto it = accounts_.find(name);
      if (it == accounts_.end()) return;
      it->second->timer = -1;
      on_final(it->second.get(), nullptr);
    });
    if (t) a.timer = *t;
  }
}

std::string OutboundRegistrar::authorization(Account& a) {
  if (!a.challenge) return {};
  std::array<uint8_t, 8> raw{};
  (void)registrar::random_bytes(raw);
  std::string cnonce =
      registrar::to_hex(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  return registrar::digest_authorization(*a.challenge, a.config.username, a.config.password,
                                         "REGISTER", a.request_uri, cnonce, ++a.nc);
}

void OutboundRegistrar::send_unregister(Account& a) {
  if (!a.leg || a.machine.state() != State::registered) return;
  const std::optional<std::string> route = route_of(a);
  if (!route) return;  // its name lost every address: nowhere to send it
  std::string auth = authorization(a);
  nta_outgoing_t* orq = nta_outgoing_tcreate(
      a.leg, ignore_outgoing_response, nullptr,
      route->empty() ? nullptr : URL_STRING_MAKE(route->c_str()), SIP_METHOD_REGISTER,
      URL_STRING_MAKE(a.request_uri.c_str()), SIPTAG_CONTACT_STR(a.contact.c_str()),
      SIPTAG_EXPIRES_STR("0"), SIPTAG_MAX_FORWARDS_STR("70"),
      TAG_IF(!auth.empty() && !a.proxy_challenge, SIPTAG_AUTHORIZATION_STR(auth.c_str())),
      TAG_IF(!auth.empty() && a.proxy_challenge, SIPTAG_PROXY_AUTHORIZATION_STR(auth.c_str())),
      TAG_END());
  log::info("outbound_registration",
            {{"peer", a.peer}, {"event", orq ? "unregister_sent" : "unregister_not_sent"}});
  // Fire and forget: nta keeps retransmitting a destroyed client transaction
  // until it completes; the answer is not awaited.
  if (orq) nta_outgoing_destroy(orq);
}

int OutboundRegistrar::on_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq,
                                   const sip_t* sip) {
  auto* a = reinterpret_cast<Account*>(magic);
  int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  if (status < 200) return 0;
  // Nothing may reach the account if nta reports on it again (nta_retire.h).
  a->orq = nullptr;
  retire_later(a->self->loop_, orq);
  a->self->on_final(a, sip);
  return 0;
}

void OutboundRegistrar::on_final(Account* a, const sip_t* sip) {
  RegisterAnswer ans;
  ans.status = sip && sip->sip_status ? sip->sip_status->st_status : 0;
  if (sip) {
    for (const sip_contact_t* m = sip->sip_contact; m && !ans.granted; m = m->m_next)
      if (m->m_url->url_host && a->contact_host == m->m_url->url_host && m->m_url->url_user &&
          a->config.username == m->m_url->url_user)
        ans.granted = delta(m->m_expires);
    if (!ans.granted && sip->sip_expires) ans.granted = seconds(sip->sip_expires->ex_delta);
    if (sip->sip_retry_after) ans.retry_after = seconds(sip->sip_retry_after->af_delta);
    if (sip->sip_min_expires) ans.min_expires = seconds(sip->sip_min_expires->me_delta);
    if (ans.status == 401 || ans.status == 407) {
      auto ch = usable_challenge(ans.status == 401 ? sip->sip_www_authenticate
                                                   : sip->sip_proxy_authenticate);
      if (ch) {
        if (!a->challenge || a->challenge->nonce != ch->nonce) a->nc = 0;
        a->challenge = *ch;
        a->proxy_challenge = ans.status == 407;
        ans.challenge_usable = true;
        ans.challenge_stale = ch->stale;
      }
    }
  }
  State before = a->machine.state();
  auto d = a->machine.on_answer(ans);
  if (a->machine.state() != before || a->machine.state() == State::failing)
    log::info("outbound_registration",
              {{"peer", a->peer},
               {"state", to_string(a->machine.state())},
               {"status", std::to_string(ans.status)},
               {"failures", std::to_string(a->machine.consecutive_failures())}});
  if (on_answer_ && d.action == OutboundRegistrationState::Action::wait) on_answer_(status_of(*a));
  // Sent on a later turn: never a new transaction from inside this one's callback.
  schedule(*a, d.action == OutboundRegistrationState::Action::wait ? d.delay : milliseconds(0),
           d.action == OutboundRegistrationState::Action::send_with_credentials);
}

void OutboundRegistrar::schedule(Account& a, milliseconds delay, bool with_credentials) {
  if (a.timer >= 0) loop_.cancel(a.timer);
  std::string name = a.peer;
  auto t = loop_.after(delay, [this, name, with_credentials] {
    auto it = accounts_.find(name);
    if (it != accounts_.end()) send(*it->second, with_credentials);
  });
  a.timer = t ? *t : -1;
}

void OutboundRegistrar::release(Account& a) {
  if (a.timer >= 0) loop_.cancel(a.timer);
  a.timer = -1;
  if (a.orq) nta_outgoing_destroy(a.orq);
  a.orq = nullptr;
  if (a.leg) nta_leg_destroy(a.leg);
  a.leg = nullptr;
}

OutboundAccountStatus OutboundRegistrar::status_of(const Account& a) const {
  OutboundAccountStatus s;
  s.peer = a.peer;
  s.registrar = a.request_uri;
  s.aor = a.aor;
  s.state = a.machine.state();
  s.last_status = a.machine.last_status();
  s.failures = a.machine.consecutive_failures();
  s.granted = a.machine.granted();
  return s;
}

std::optional<OutboundAccountStatus> OutboundRegistrar::status(const std::string& peer) const {
  auto it = accounts_.find(peer);
  if (it == accounts_.end()) return std::nullopt;
  return status_of(*it->second);
}

std::vector<OutboundAccountStatus> OutboundRegistrar::statuses() const {
  std::vector<OutboundAccountStatus> out;
  for (const auto& [name, a] : accounts_) out.push_back(status_of(*a));
  return out;
}

}  // namespace sbc::controlplane
