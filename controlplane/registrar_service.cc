#include "controlplane/registrar_service.h"
#include "sip/auth_header_text.h"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "controlplane/log.h"
#include "controlplane/registrar/auth_params.h"
#include "controlplane/registrar/hash.h"
#include "sip/request_source.h"

namespace sbc::controlplane {
namespace {

std::optional<uint16_t> port_of(const char* text) {
  if (!text || !*text) return std::nullopt;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text, text + std::strlen(text), v);
  if (ec != std::errc() || *p || v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

registrar::Transport transport_of(const std::string& proto) {
  if (proto == "tcp") return registrar::Transport::kTcp;
  if (proto == "tls") return registrar::Transport::kTls;
  return registrar::Transport::kUdp;
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
  return std::string(v);
}

}  // namespace

RegistrarService::RegistrarService(EventLoop& loop, RegistrarServiceConfig config,
                                   std::function<policy::PolicyPtr()> current_policy,
                                   SilentDrop& silent)
    : loop_(loop),
      config_(std::move(config)),
      current_policy_(std::move(current_policy)),
      silent_(silent) {}

RegistrarService::~RegistrarService() {
  if (flush_timer_ >= 0) loop_.cancel(flush_timer_);
  if (sweep_timer_ >= 0) loop_.cancel(sweep_timer_);
  // Whatever is pending reaches the database on a clean stop.
  if (db_) {
    if (auto s = db_->flush(); !s)
      log::error("registrations_flush_failed", {{"reason", s.error().message}});
  }
}

registrar::RegistrarConfig RegistrarService::registrar_config(const policy::Policy& p) const {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  registrar::RegistrarConfig c;
  c.min_expires = static_cast<uint32_t>(duration_cast<seconds>(p.timers.registration_min).count());
  c.max_expires = static_cast<uint32_t>(duration_cast<seconds>(p.timers.registration_max).count());
  c.default_expires =
      static_cast<uint32_t>(duration_cast<seconds>(p.timers.registration_default).count());
  // NATed phones refresh within the NAT keepalive so their router's pinhole
  // stays open, but never below what the registrar accepts at all.
  c.nat_max_expires = std::max<uint32_t>(
      c.min_expires, static_cast<uint32_t>(duration_cast<seconds>(p.timers.nat_keepalive).count()));
  return c;
}

Result<std::unique_ptr<RegistrarService>> RegistrarService::start(
    EventLoop& loop, RegistrarServiceConfig config,
    std::function<policy::PolicyPtr()> current_policy, SilentDrop& silent) {
  std::unique_ptr<RegistrarService> self(
      new RegistrarService(loop, std::move(config), std::move(current_policy), silent));
  policy::PolicyPtr p = self->current_policy_();
  if (!registrar::random_bytes(self->key_)) return make_error("no randomness for the nonce key");
  self->auth_ = std::make_unique<registrar::DigestAuthenticator>(
      registrar::AuthConfig{
          self->config_.realm, {}, self->config_.offer_sha256, self->config_.offer_md5},
      self->clock_, self->key_);
  registrar::AuthFailureConfig fc;
  const auto& fa = p->security.failed_auth;
  fc.window = std::chrono::duration_cast<registrar::Seconds>(fa.window);
  fc.source_threshold = fa.threshold;
  fc.user_threshold = fa.threshold * 2;
  fc.address_threshold = fa.threshold * 4;
  fc.ban_duration = std::chrono::duration_cast<registrar::Seconds>(fa.ban);
  self->failures_ = std::make_unique<registrar::AuthFailureTracker>(fc, self->clock_);

  auto rc = self->registrar_config(*p);
  if (auto v = registrar::validate(rc); !v)
    return make_error("registration timers: " + v.error().message);
  auto db = registrar::BindingStore::open({self->config_.database});
  if (!db)
    return make_error("registrations database " + self->config_.database + ": " +
                      db.error().message);
  self->db_ = std::move(*db);
  self->store_ = std::make_unique<registrar::LocationStore>(rc, self->clock_, self->db_.get());
  auto loaded = self->db_->load(self->clock_.now());
  if (!loaded) return make_error("registrations database: " + loaded.error().message);
  size_t restored = 0;
  for (auto& sb : *loaded)
    if (self->store_->restore(sb.aor, std::move(sb.binding))) ++restored;
  log::info("registrations_loaded",
            {{"database", self->config_.database}, {"bindings", std::to_string(restored)}});

  RegistrarService* raw = self.get();
  auto lookup = [raw](std::string_view username,
                      std::string_view realm) -> std::optional<registrar::StoredCredential> {
    if (realm != raw->config_.realm) return std::nullopt;
    policy::PolicyPtr pol = raw->current_policy_();
    const policy::Peer* peer = pol->find_peer_by_username(std::string(username));
    if (!peer || peer->auth.mode != policy::AuthMode::digest) return std::nullopt;
    return registrar::StoredCredential{peer->auth.password, peer->auth.ha1, {}};
  };
  self->registrar_ =
      std::make_unique<registrar::Registrar>(*self->auth_, *self->failures_, *self->store_, lookup);
  auto flush = loop.every(self->config_.flush_interval, [raw] {
    if (raw->db_->pending() == 0) return;
    if (auto s = raw->db_->flush(); !s)
      log::error("registrations_flush_failed", {{"reason", s.error().message}});
  });
  if (!flush) return flush.error();
  self->flush_timer_ = *flush;
  auto sweep = loop.every(self->config_.sweep_interval, [raw] {
    auto expired = raw->registrar_->sweep();
    if (expired.empty() || !raw->on_change_) return;
    std::vector<std::string> aors;
    for (const auto& e : expired) aors.push_back(e.aor);
    raw->on_change_(aors);
  });
  if (!sweep) return sweep.error();
  self->sweep_timer_ = *sweep;
  return self;
}

std::string RegistrarService::aor_of(std::string_view user) const {
  return "sip:" + std::string(user) + "@" + config_.realm;
}

registrar::RegistrationState RegistrarService::state_of(const policy::Peer& peer) const {
  return store_->state(aor_of(peer.auth.username));
}

std::vector<registrar::Binding> RegistrarService::bindings_of(const policy::Peer& peer) const {
  return store_->lookup(aor_of(peer.auth.username));
}

int RegistrarService::handle(nta_incoming_t* irq, const sip_t* sip) {
  int status = answer(irq, sip);
  if (on_change_) {
    std::vector<std::string> aors;
    if (sip->sip_to && sip->sip_to->a_url->url_user)
      aors.push_back(aor_of(sip->sip_to->a_url->url_user));
    on_change_(aors);
  }
  return status;
}

int RegistrarService::answer(nta_incoming_t* irq, const sip_t* sip) {
  ++counters_.requests;
  su_home_t home[1] = {SU_HOME_INIT(home)};
  struct HomeGuard {
    su_home_t* h;
    ~HomeGuard() { su_home_deinit(h); }
  } guard{home};

  auto src = sip::request_source(irq);
  if (!src) {
    nta_incoming_treply(irq, SIP_400_BAD_REQUEST, TAG_END());
    return 400;
  }
  auto reply = [&](int status, const char* phrase) {
    nta_incoming_treply(irq, status, phrase, TAG_END());
    return status;
  };
  if (!sip->sip_to || !sip->sip_to->a_url->url_user) return reply(400, "To has no user part");

  registrar::RegisterInput in;
  std::string authorization = sip::auth_header_text(sip->sip_authorization);
  // RFC 2617 3.2.2.5: the digest uri names the Request-URI; credentials
  // computed for another URI are not for this request. (A malformed header
  // is left to the registrar, which answers it 400 and counts nothing.)
  if (!authorization.empty()) {
    if (auto h = registrar::parse_auth_header(authorization); h) {
      const char* rq = url_as_string(home, sip->sip_request->rq_url);
      if (const std::string* uri = h->find("uri"); uri && rq && *uri != rq)
        return reply(400, "Digest uri does not match the Request-URI");
    }
  }
  in.authorization = authorization;
  in.via_host = sip->sip_via && sip->sip_via->v_host ? sip->sip_via->v_host : "";
  in.via_port = sip->sip_via ? port_of(sip->sip_via->v_port) : std::nullopt;
  registrar::RegisterRequest& r = in.request;
  // The AOR is the To user in the SBC's realm: phones address the SBC by IP
  // or by a name, and either way they are the same phone.
  r.aor = aor_of(sip->sip_to->a_url->url_user);
  r.call_id = sip->sip_call_id ? sip->sip_call_id->i_id : "";
  r.cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
  r.received = registrar::Source{src->address, src->port, transport_of(src->transport)};
  if (sip->sip_user_agent && sip->sip_user_agent->g_string)
    r.user_agent = sip->sip_user_agent->g_string;
  // Saturate, never wrap: Expires: 4294967296 is "very long" (capped to the
  // maximum later), not 0 (which would remove the binding).
  if (sip->sip_expires)
    r.expires_header = static_cast<uint32_t>(
        std::min<unsigned long>(sip->sip_expires->ex_delta, std::numeric_limits<uint32_t>::max()));

  size_t n = 0;
  for (const sip_contact_t* m = sip->sip_contact; m; m = m->m_next) {
    if (++n > 64) return reply(403, "Too many contacts");
    if (m->m_url->url_type == url_any) {
      r.star = true;
      continue;
    }
    if (n == 1) {
      in.contact_host = m->m_url->url_host ? m->m_url->url_host : "";
      in.contact_port = port_of(m->m_url->url_port);
    }
    registrar::ContactSpec c;
    char* uri = url_as_string(home, m->m_url);
    c.uri = uri ? uri : "";
    if (m->m_expires) {
      auto e = registrar::parse_delta_seconds(m->m_expires);
      if (!e) return reply(400, "Bad expires parameter");
      c.expires = *e;
    }
    if (m->m_q) {
      auto q = registrar::parse_qvalue(m->m_q);
      if (!q) return reply(400, "Bad q parameter");
      c.q = *q;
    }
    if (const char* inst = msg_params_find(m->m_params, "+sip.instance="))
      c.instance_id = unquote(inst);
    if (const char* reg = msg_params_find(m->m_params, "reg-id=")) {
      auto v = registrar::parse_delta_seconds(reg);
      if (!v) return reply(400, "Bad reg-id parameter");
      c.reg_id = *v;
    }
    r.contacts.push_back(std::move(c));
  }
  if (r.star && r.contacts.size() > 0) return reply(400, "Contact * with other contacts");

  registrar::RegisterDecision d = registrar_->handle(std::move(in));
  for (const auto& ban : d.new_bans)
    log::warn("banned", {{"kind", std::string(registrar::ban_kind_name(ban.kind))},
                         {"who", ban.key},
                         {"reason", ban.reason}});
  if (on_ban_)
    for (const auto& ban : d.new_bans) on_ban_(ban);
  switch (d.status) {
    case 0:
      // Banned: a scanner learns nothing (silent_drop.h: how far nta lets us).
      ++counters_.dropped;
      return silent_.drop(irq, sip);
    case 200: {
      ++counters_.ok;
      std::string contacts;
      auto now = clock_.now();
      if (on_authenticated_) {
        std::chrono::seconds longest{0};
        for (const auto& b : d.bindings) longest = std::max(longest, b.remaining(now));
        on_authenticated_(src->address, longest);
      }
      for (const auto& b : d.bindings) {
        if (!contacts.empty()) contacts += ", ";
        contacts += "<" + b.contact + ">;expires=" + std::to_string(b.remaining(now).count());
      }
      nta_incoming_treply(irq, SIP_200_OK,
                          TAG_IF(!contacts.empty(), SIPTAG_CONTACT_STR(contacts.c_str())),
                          TAG_END());
      return 200;
    }
    case 401: {
      ++counters_.challenged;
      const auto& c = d.www_authenticate;
      nta_incoming_treply(
          irq, SIP_401_UNAUTHORIZED,
          TAG_IF(c.size() > 0, SIPTAG_WWW_AUTHENTICATE_STR(c.size() > 0 ? c[0].c_str() : "")),
          TAG_IF(c.size() > 1, SIPTAG_WWW_AUTHENTICATE_STR(c.size() > 1 ? c[1].c_str() : "")),
          TAG_END());
      return 401;
    }
    case 423: {
      ++counters_.refused;
      std::string min = std::to_string(d.min_expires);
      nta_incoming_treply(irq, SIP_423_INTERVAL_TOO_BRIEF, SIPTAG_MIN_EXPIRES_STR(min.c_str()),
                          TAG_END());
      return 423;
    }
    default:
      ++counters_.refused;
      return reply(d.status, d.reason.empty() ? "Refused" : d.reason.c_str());
  }
}

}  // namespace sbc::controlplane
