#include "controlplane/nta_call_signalling.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_addrinfo.h>
#include <sofia-sip/url.h>
#include <sys/random.h>

#include <cstring>

#include "controlplane/b2bua.h"
#include "controlplane/log.h"
#include "sip/allowed_methods.h"
#include "sip/asserted_identity.h"
#include "sip/auth_header_text.h"
#include "sip/refer_rewrite.h"
#include "sip/reliable_provisional.h"
#include "sip/request_source.h"
#include "sip/session_timer_headers.h"

namespace sbc::controlplane {
namespace {

// Unpredictable tokens for Call-IDs and nonces: nothing in them says where
// or when they were made.
std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = getrandom(buf.data() + got, bytes - got, 0);
    if (n <= 0) break;  // only EINTR in practice; the rest stays zero-filled
    got += static_cast<size_t>(n);
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : buf) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string body_of(const sip_t* sip) {
  if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data) return {};
  return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

std::string unquote(const char* v) {
  std::string s = v ? v : "";
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// P-Asserted-Identity is not in Sofia's default header set (its agents use
// the default parser), so it arrives as an unknown header; Privacy is known.
sip::CallerIdentity caller_identity(const sip_t* sip) {
  sip::CallerIdentity id;
  for (const sip_unknown_t* u = sip->sip_unknown; u; u = u->un_next) {
    if (u->un_name && u->un_value && strcasecmp(u->un_name, "P-Asserted-Identity") == 0) {
      id.asserted = u->un_value;
      break;  // the first one (a second may only add a tel: URI)
    }
  }
  if (sip->sip_privacy && sip->sip_privacy->priv_values) {
    for (const msg_param_t* v = sip->sip_privacy->priv_values; *v; ++v)
      id.privacy += (id.privacy.empty() ? "" : ";") + std::string(*v);
  }
  return id;
}

const char* phrase_of(int status) {
  const char* p = sip_status_phrase(status);
  return p ? p : "";
}

}  // namespace

struct NtaCallSignalling::Dialog {
  NtaCallSignalling* self = nullptr;
  SipHandle handle = 0;
  bool a_side = false;
  std::string leg_name;
  Leg leg;
  nta_leg_t* dialog = nullptr;
  nta_incoming_t* invite_in = nullptr;   // A: the caller's INVITE
  nta_outgoing_t* invite_out = nullptr;  // B: our INVITE
  nta_outgoing_t* ack = nullptr;         // B: kept so nta re-sends it when the 2xx is retransmitted
  // BYEs, re-INVITEs (kept so a retransmitted 2xx finds them) and their ACKs.
  std::vector<nta_outgoing_t*> requests;
  bool final_sent = false;  // A: a final response went out
  bool confirmed = false;   // a 2xx went out (A) or came in (B)
  bool bye_sent = false;
  bool released = false;
  // B: the RSeq of the last reliable 18x passed on (a retransmission
  // repeats it); A: the reliable 18x sent, destroyed with the dialog.
  uint32_t last_rseq = 0;
  std::vector<nta_reliable_t*> reliables;
  registrar::Source source;  // A: where the INVITE came from (nonces are bound to it)
  bool stale = false;        // A: right password, old nonce: the challenge says stale
  // Where in-dialog requests are sent when not to the remote Contact: a
  // phone's address as its REGISTER (B) or its INVITE (A) came from, so
  // they pass its NAT binding like the responses do. Empty: the Contact.
  std::string send_to;
  const url_string_t* next_hop() const {
    return send_to.empty() ? nullptr : URL_STRING_MAKE(send_to.c_str());
  }
  // The session timer negotiated on this leg (Call decides, this writes it).
  LegSessionTimer session;
  // Session-Expires for a message on this leg; empty when it has no timer.
  std::string session_expires(bool sbc_is_uac) const {
    if (!session.active()) return {};
    return sip::session_expires_value(session.interval, refresher_param(session, sbc_is_uac));
  }
  // A 2xx that makes the peer (the UAC of its request) the refresher
  // requires it to know timers (RFC 4028 9).
  bool response_requires_timer() const { return session.active() && !session.sbc_refreshes; }
};

NtaCallSignalling::NtaCallSignalling(EventLoop& loop, std::map<std::string, Leg> legs,
                                     std::string realm)
    : loop_(loop), legs_(std::move(legs)), realm_(std::move(realm)) {}

NtaCallSignalling::~NtaCallSignalling() {
  if (flush_timer_ >= 0) loop_.cancel(flush_timer_);
  for (auto& [h, d] : dialogs_) {
    d->released = true;
    released_.push_back(std::move(d));
  }
  dialogs_.clear();
  destroy_released();
}

NtaCallSignalling::Dialog* NtaCallSignalling::find(SipHandle h) const {
  auto it = dialogs_.find(h);
  return it == dialogs_.end() ? nullptr : it->second.get();
}

NtaCallSignalling::Dialog* NtaCallSignalling::create(bool a_side, const std::string& leg) {
  auto d = std::make_unique<Dialog>();
  d->self = this;
  d->handle = next_handle_++;
  d->a_side = a_side;
  d->leg_name = leg;
  d->leg = legs_.at(leg);
  Dialog* raw = d.get();
  dialogs_.emplace(raw->handle, std::move(d));
  ++counters_.dialogs;
  return raw;
}

// ---------------------------------------------------------------- A side

int NtaCallSignalling::on_invite(const std::string& leg, nta_incoming_t* irq, const sip_t* sip) {
  if (!b2bua_ || !legs_.count(leg)) return 500;
  // Only SDP is understood; anything else would be relayed blind.
  if (sip->sip_payload && sip->sip_payload->pl_len &&
      (!sip->sip_content_type || !sip->sip_content_type->c_type ||
       strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0)) {
    nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA, SIPTAG_ACCEPT_STR("application/sdp"),
                        TAG_END());
    return 415;
  }

  // Extensions the caller requires (RFC 3261 8.2.2.3): this B2BUA supports
  // session timers (RFC 4028) and reliable provisional responses (RFC 3262,
  // relayed end to end, docs/b2bua.md) and nothing else, so such a call
  // would break halfway: 420 at once, naming them.
  if (sip->sip_require) {
    std::string unsupported;
    for (const sip_require_t* r = sip->sip_require; r; r = r->k_next)
      for (const msg_param_t* t = r->k_items; t && *t; ++t)
        if (strcasecmp(*t, "timer") != 0 && strcasecmp(*t, "100rel") != 0)
          unsupported += (unsupported.empty() ? "" : ", ") + sip::safe_header_value(*t);
    if (!unsupported.empty()) {
      ++counters_.extension_refused;
      log::info("invite_refused", {{"reason", "requires " + unsupported}});
      nta_incoming_treply(irq, SIP_420_BAD_EXTENSION, SIPTAG_UNSUPPORTED_STR(unsupported.c_str()),
                          TAG_END());
      return 420;
    }
  }

  auto src = sip::request_source(irq);
  auto refuse_banned = [&](const registrar::Ban& ban) {
    ++counters_.banned;
    log::info("invite_refused",
              {{"source", src ? src->address.to_string() : "?"}, {"reason", ban.reason}});
    nta_incoming_treply(irq, SIP_403_FORBIDDEN, TAG_END());
    return 403;
  };
  // A banned scanner costs no dialog and no parsing of its credentials.
  if (auth_.failures && src)
    if (auto ban = auth_.failures->banned(src->address, src->port)) return refuse_banned(*ban);

  Dialog* d = create(true, leg);
  nta_agent_t* agent = d->leg.agent->agent();
  // The A dialog as the UAS sees it: local is the request's To, remote its From.
  d->dialog =
      nta_leg_tcreate(agent, &NtaCallSignalling::on_dialog_request,
                      reinterpret_cast<nta_leg_magic_t*>(d), SIPTAG_CALL_ID(sip->sip_call_id),
                      SIPTAG_FROM(sip->sip_to), SIPTAG_TO(sip->sip_from), TAG_END());
  if (!d->dialog || !nta_leg_tag(d->dialog, nullptr)) {
    release(d->handle);
    return 500;
  }
  nta_incoming_tag(irq, nta_leg_get_tag(d->dialog));
  nta_leg_server_route(d->dialog, sip->sip_record_route, sip->sip_contact);
  // A caller behind NAT (over UDP, its Contact is not where the INVITE came
  // from): in-dialog requests go back to the source, through its binding.
  if (src && src->transport == "udp" && sip->sip_contact && sip->sip_contact->m_url->url_host) {
    const url_t* c = sip->sip_contact->m_url;
    uint16_t port = c->url_port ? static_cast<uint16_t>(std::atoi(c->url_port)) : 5060;
    if (c->url_host != src->address.to_string() || port != src->port)
      d->send_to = "sip:" + src->address.to_string() + ":" + std::to_string(src->port);
  }
  d->invite_in = irq;
  nta_incoming_bind(irq, &NtaCallSignalling::on_ack_or_cancel,
                    reinterpret_cast<nta_incoming_magic_t*>(d));
  nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());

  InboundCall in;
  in.a = d->handle;
  in.leg = leg;
  if (src) {
    in.source = src->address;
    d->source = {src->address, src->port,
                 src->transport == "tcp" ? registrar::Transport::kTcp : registrar::Transport::kUdp};
  }
  if (sip->sip_request->rq_url->url_user) in.called = sip->sip_request->rq_url->url_user;
  if (sip->sip_from->a_url->url_user) in.caller = sip->sip_from->a_url->url_user;
  in.sdp = body_of(sip);
  in.max_forwards = sip->sip_max_forwards ? static_cast<int>(sip->sip_max_forwards->mf_count) : 70;
  in.identity = caller_identity(sip);
  in.session_timer = sip::session_timer_headers(sip);
  in.rel100 = sip::rel100_support(sip);

  std::string auth_username;
  bool verified = false;
  if (sip->sip_proxy_authorization) {
    auth_username = unquote(msg_params_find(sip->sip_proxy_authorization->au_params, "username="));
    if (auth_.authenticator) {
      auto* home = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
      // Not sip_header_as_string: it drops a trailing qop=auth (auth_header_text.h).
      const std::string header = sip::auth_header_text(sip->sip_proxy_authorization);
      const char* ruri = home ? url_as_string(home, sip->sip_request->rq_url) : nullptr;
      auto r = auth_.authenticator->verify(header, "INVITE", d->source, auth_.lookup);
      // The credentials must name this request's URI (RFC 2617 3.2.2.5), or
      // the SBC itself without a user part, as some clients (sipp among
      // them) send. A replayed header fails anyway: the nonce is bound to the
      // source and its nonce-count is tracked.
      std::string sbc_uri =
          "sip:" +
          std::string(sip->sip_request->rq_url->url_host ? sip->sip_request->rq_url->url_host : "");
      if (sip->sip_request->rq_url->url_port)
        sbc_uri += ":" + std::string(sip->sip_request->rq_url->url_port);
      verified =
          r.verdict == registrar::AuthVerdict::kOk && ruri && (r.uri == ruri || r.uri == sbc_uri);
      d->stale = r.verdict == registrar::AuthVerdict::kStale ||
                 r.verdict == registrar::AuthVerdict::kReplay;
      auth_username = r.username;
      if (auth_.failures && !r.username.empty()) {
        if (auto ban = auth_.failures->banned(d->source.address, d->source.port, r.username)) {
          // nta destroys the transaction after the 403 we return: the
          // dialog must not destroy it again.
          d->invite_in = nullptr;
          release(d->handle);
          if (home) su_home_unref(home);
          return refuse_banned(*ban);
        }
        if (verified)
          auth_.failures->record_success(d->source.address, d->source.port, r.username);
        else if (r.verdict == registrar::AuthVerdict::kFailed)
          for (const auto& ban : auth_.failures->record_failure(
                   d->source.address, d->source.port, r.username,
                   auth_.address_in_use && auth_.address_in_use(d->source.address)))
            if (auth_.on_ban) auth_.on_ban(ban);
      }
      if (!verified) {
        ++counters_.auth_failed;
        log::info("invite_auth_failed",
                  {{"username", r.username},
                   {"source", d->source.to_string()},
                   {"verdict", std::string(registrar::auth_verdict_name(r.verdict))},
                   {"detail", r.verdict == registrar::AuthVerdict::kOk
                                  ? "digest uri '" + r.uri + "' is not the Request-URI '" +
                                        std::string(ruri ? ruri : "") + "'"
                                  : r.detail}});
      }
      if (home) su_home_unref(home);
    }
  }
  // A phone (it proved itself with digest) may sit behind NAT: requests to
  // it inside the call go where its INVITE came from, not to its Contact.
  if (verified && src && src->transport != "tls")
    d->send_to = "sip:" + src->address.to_string() + ":" + std::to_string(src->port) +
                 (src->transport == "tcp" ? ";transport=tcp" : "");
  b2bua_->on_invite(in, auth_username, verified);
  return 0;
}

int NtaCallSignalling::on_ack_or_cancel(nta_incoming_magic_t* magic, nta_incoming_t* irq,
                                        const sip_t* sip) {
  auto* d = reinterpret_cast<Dialog*>(magic);
  if (d && !d->released && d->a_side && !sip && !d->final_sent && nta_incoming_status(irq) < 200) {
    // nta is ending the INVITE itself (503 right after this): a reliable
    // 18x the caller never PRACKed (RFC 3262 3, after 64*T1). For the call
    // it is as if the caller had given up.
    d->final_sent = true;
    ++d->self->counters_.reliable_timed_out;
    log::info("reliable_provisional_timeout", {{"handle", std::to_string(d->handle)}});
    d->self->b2bua_->on_a_cancel(d->handle);
    return 0;
  }
  if (!d || d->released || !sip || !sip->sip_request) return 0;
  NtaCallSignalling* self = d->self;
  if (sip->sip_request->rq_method == sip_method_cancel) {
    // nta has answered the CANCEL 200; Call answers the INVITE 487 (or nta
    // does, if the call had already moved on).
    self->b2bua_->on_a_cancel(d->handle);
  } else if (sip->sip_request->rq_method == sip_method_ack) {
    // A re-INVITE's transaction is kept until its ACK (destroyed earlier,
    // nta would swallow the ACK, and a late offer's answer with it).
    for (auto& [id, tx] : self->offers_in_)
      if (tx->irq == irq) {
        tx->acked = true;
        self->schedule_flush();
      }
    if (d->a_side)
      self->b2bua_->on_a_ack(d->handle, body_of(sip));
    else
      self->b2bua_->on_b_ack(d->handle, body_of(sip));
  }
  return 0;
}

void NtaCallSignalling::provisional_a(SipHandle a, int status, std::string_view sdp) {
  Dialog* d = find(a);
  if (!d || !d->invite_in || d->final_sent || status <= 100 || status >= 200) return;
  std::string body(sdp);
  nta_incoming_treply(d->invite_in, status, phrase_of(status),
                      SIPTAG_CONTACT(nta_agent_contact(d->leg.agent->agent())),
                      TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                      TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())), TAG_END());
}

Result<SipHandle> NtaCallSignalling::reliable_provisional_a(SipHandle a, int status,
                                                            std::string_view sdp) {
  Dialog* d = find(a);
  if (!d || !d->invite_in || d->final_sent || status <= 100 || status >= 200)
    return make_error("no INVITE to answer");
  std::string body(sdp);
  // nta gives it the next RSeq of this transaction, adds Require: 100rel,
  // retransmits it until the PRACK (on_prack), and holds a 2xx until a
  // reliable 18x with SDP is PRACKed (RFC 3262 3).
  nta_reliable_t* rel = nta_reliable_treply(
      d->invite_in, &NtaCallSignalling::on_prack, reinterpret_cast<nta_reliable_magic_t*>(this),
      status, phrase_of(status), SIPTAG_CONTACT(nta_agent_contact(d->leg.agent->agent())),
      TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
      TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())), TAG_END());
  if (!rel) return make_error("the caller's INVITE allows no reliable provisional response");
  SipHandle id = next_handle_++;
  reliables_[rel] = {id, a};
  d->reliables.push_back(rel);
  ++counters_.reliable_out;
  return id;
}

int NtaCallSignalling::on_prack(nta_reliable_magic_t* magic, nta_reliable_t* rel,
                                nta_incoming_t* prack, const sip_t* sip) {
  auto* self = reinterpret_cast<NtaCallSignalling*>(magic);
  // No PRACK: nta flushed it unacknowledged (a final response went out, or
  // the caller never answered); nothing is waiting for it.
  if (!self || !prack || !sip) return 200;
  auto refuse = [&](int status, const char* why) {
    ++self->counters_.in_dialog_refused;
    log::info("in_dialog_refused", {{"method", "PRACK"}, {"reason", why}});
    nta_incoming_treply(prack, status, phrase_of(status), TAG_END());
    nta_incoming_destroy(prack);  // inside its callback: nta frees it when done
    return 0;
  };
  auto it = self->reliables_.find(rel);
  if (it == self->reliables_.end()) return refuse(481, "that response was PRACKed already");
  const ReliableOut out = it->second;
  self->reliables_.erase(it);
  Dialog* d = self->find(out.dialog);
  if (!d || d->released) return refuse(481, "the call has gone");
  std::string body = body_of(sip);
  if (!body.empty() && (!sip->sip_content_type || !sip->sip_content_type->c_type ||
                        strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0))
    return refuse(415, "a body that is not SDP");
  auto tx = std::make_unique<PrackTx>();
  tx->self = self;
  tx->id = self->next_handle_++;
  tx->dialog = out.dialog;
  tx->irq = prack;
  SipHandle id = tx->id;
  self->pracks_in_.emplace(id, std::move(tx));
  ++self->counters_.pracks_in;
  self->b2bua_->on_prack(out.dialog, id, out.id, body);
  return 0;  // answered through answer_prack (perhaps already)
}

void NtaCallSignalling::answer_prack(SipHandle prack, int status, std::string_view sdp) {
  auto it = pracks_in_.find(prack);
  if (it == pracks_in_.end() || it->second->done) return;
  PrackTx& tx = *it->second;
  std::string body(sdp);
  nta_incoming_treply(tx.irq, status, phrase_of(status),
                      TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                      TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())), TAG_END());
  tx.done = true;
  schedule_flush();  // destroyed on the loop (nta keeps it for retransmissions)
}

void NtaCallSignalling::answer_a(SipHandle a, std::string_view sdp) {
  Dialog* d = find(a);
  if (!d || !d->invite_in || d->final_sent) return;
  std::string body(sdp);
  d->final_sent = true;
  d->confirmed = true;
  std::string se = d->session_expires(false);
  nta_incoming_treply(
      d->invite_in, SIP_200_OK, SIPTAG_CONTACT(nta_agent_contact(d->leg.agent->agent())),
      SIPTAG_ALLOW_STR(sip::kAllowedMethods), SIPTAG_SUPPORTED_STR("timer"),
      TAG_IF(!se.empty(), SIPTAG_SESSION_EXPIRES_STR(se.c_str())),
      TAG_IF(d->response_requires_timer(), SIPTAG_REQUIRE_STR("timer")),
      SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
}

void NtaCallSignalling::reject_a(SipHandle a, const FinalAnswer& answer) {
  Dialog* d = find(a);
  if (!d || !d->invite_in || d->final_sent) return;
  d->final_sent = true;
  std::string p(answer.phrase.empty() ? phrase_of(answer.status) : answer.phrase);
  std::string retry = answer.retry_after ? std::to_string(*answer.retry_after) : "";
  std::string min_se = answer.min_se ? std::to_string(*answer.min_se) : "";
  nta_incoming_treply(d->invite_in, answer.status, p.c_str(),
                      TAG_IF(!retry.empty(), SIPTAG_RETRY_AFTER_STR(retry.c_str())),
                      TAG_IF(!min_se.empty(), SIPTAG_MIN_SE_STR(min_se.c_str())), TAG_END());
}

void NtaCallSignalling::challenge_a(SipHandle a) {
  Dialog* d = find(a);
  if (!d || !d->invite_in || d->final_sent) return;
  d->final_sent = true;
  std::vector<std::string> c;
  if (auth_.authenticator) c = auth_.authenticator->challenges(d->source, d->stale);
  if (c.empty())  // no authenticator: an honest challenge nobody can answer yet
    c.push_back("Digest realm=\"" + realm_ + "\", nonce=\"" + random_hex(16) +
                "\", algorithm=MD5, qop=\"auth\"");
  nta_incoming_treply(
      d->invite_in, SIP_407_PROXY_AUTH_REQUIRED, SIPTAG_PROXY_AUTHENTICATE_STR(c[0].c_str()),
      TAG_IF(c.size() > 1, SIPTAG_PROXY_AUTHENTICATE_STR(c.size() > 1 ? c[1].c_str() : "")),
      TAG_END());
  // The retry keeps this Call-ID and From tag and has no To tag (RFC 3261
  // 22.2): while this leg lives nta hands the retry to it (answered 481).
  // The 407's ACK is absorbed by the transaction, not the leg: drop it now.
  nta_leg_destroy(d->dialog);
  d->dialog = nullptr;
}

// ---------------------------------------------------------------- B side

Result<SipHandle> NtaCallSignalling::invite_b(const OutgoingInvite& inv) {
  const policy::Peer* peer = inv.peer;
  if (!peer) return make_error("no destination peer");
  if (!legs_.count(peer->leg))
    return make_error("peer " + peer->name + ": no agent on leg " + peer->leg);
  std::optional<Registered> reg;
  std::string resolved;  // a trunk named by DNS: "IP:PORT" its name gives now
  if (!peer->address.ip && !peer->address.dns_name.empty()) {
    auto r = name_of_ ? name_of_(*peer) : std::nullopt;
    if (!r)
      return make_error("peer " + peer->name + ": its name " + peer->address.dns_name +
                        " has not resolved to an address");
    resolved = *r;
  } else if (!peer->address.ip) {
    if (contact_of_) reg = contact_of_(*peer);
    if (!reg) return make_error("peer " + peer->name + " has no address and no live registration");
  }
  if (!sip::plain_user(inv.called))
    return make_error("called number '" + inv.called + "' not usable");
  if (inv.max_forwards < 0) return make_error("Max-Forwards exhausted");

  Dialog* d = create(false, peer->leg);
  nta_agent_t* agent = d->leg.agent->agent();
  std::string caller = sip::plain_user(inv.caller) ? inv.caller : "anonymous";
  std::string from = "<sip:" + caller + "@" + d->leg.address.to_string() + ">";
  std::string ruri, to, route;
  if (reg) {
    // A phone: the Request-URI is its Contact; the INVITE goes where its
    // REGISTER came from (through the NAT binding that REGISTER opened).
    ruri = reg->contact;
    to = "<" + reg->contact + ">";
    route = "sip:" + reg->address.to_string() + ":" + std::to_string(reg->port) +
            (reg->tcp ? ";transport=tcp" : "");
    d->send_to = route;
  } else {
    // A name stays in the URIs as written (the carrier's domain); the
    // INVITE goes to the address it resolved to.
    std::string peer_host =
        peer->address.ip
            ? peer->address.ip->to_string() + ":" +
                  std::to_string(peer->address.port.value_or(5060))
            : peer->address.dns_name +
                  (peer->address.port ? ":" + std::to_string(*peer->address.port) : "");
    std::string transport;
    if (peer->address.transport != policy::SipTransport::udp)
      transport = std::string(";transport=") + policy::to_string(peer->address.transport);
    to = "<sip:" + inv.called + "@" + peer_host + ">";
    ruri = "sip:" + inv.called + "@" + peer_host + transport;
    if (!resolved.empty()) route = "sip:" + resolved + transport;
  }
  std::string call_id = random_hex(16);
  std::string max_forwards = std::to_string(inv.max_forwards);
  std::string pai = inv.asserted_identity.empty()
                        ? ""
                        : "P-Asserted-Identity: " + sip::safe_header_value(inv.asserted_identity);
  if (pai == "P-Asserted-Identity: ") pai.clear();
  std::string se = inv.session_expires ? sip::session_expires_value(inv.session_expires,
                                                                    sip::Refresher::unspecified)
                                       : "";
  std::string min_se = inv.min_se ? std::to_string(inv.min_se) : "";

  d->dialog =
      nta_leg_tcreate(agent, &NtaCallSignalling::on_dialog_request,
                      reinterpret_cast<nta_leg_magic_t*>(d), SIPTAG_CALL_ID_STR(call_id.c_str()),
                      SIPTAG_FROM_STR(from.c_str()), SIPTAG_TO_STR(to.c_str()), TAG_END());
  if (!d->dialog || !nta_leg_tag(d->dialog, nullptr)) {
    SipHandle h = d->handle;
    release(h);
    return make_error("cannot create the dialog toward " + peer->name);
  }
  d->invite_out = nta_outgoing_tcreate(
      d->dialog, &NtaCallSignalling::on_invite_response, reinterpret_cast<nta_outgoing_magic_t*>(d),
      route.empty() ? nullptr : URL_STRING_MAKE(route.c_str()), SIP_METHOD_INVITE,
      URL_STRING_MAKE(ruri.c_str()), SIPTAG_CONTACT(nta_agent_contact(agent)),
      SIPTAG_MAX_FORWARDS_STR(max_forwards.c_str()), SIPTAG_ALLOW_STR(sip::kAllowedMethods),
      // RFC 4028: the callee chooses the refresher; its 2xx says who.
      // RFC 3262 only when the caller can take reliable 18x too: they are
      // relayed end to end, so a callee never requires what A cannot do.
      SIPTAG_SUPPORTED_STR(inv.offer_100rel ? "timer, 100rel" : "timer"),
      TAG_IF(!se.empty(), SIPTAG_SESSION_EXPIRES_STR(se.c_str())),
      TAG_IF(!min_se.empty(), SIPTAG_MIN_SE_STR(min_se.c_str())),
      TAG_IF(!pai.empty(), SIPTAG_HEADER_STR(pai.c_str())),
      TAG_IF(!inv.privacy.empty(), SIPTAG_PRIVACY_STR(inv.privacy.c_str())),
      // No body: a late offer, passed on as one (the offer comes in the 2xx).
      TAG_IF(!inv.sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
      TAG_IF(!inv.sdp.empty(), SIPTAG_PAYLOAD_STR(inv.sdp.c_str())), TAG_END());
  if (!d->invite_out) {
    SipHandle h = d->handle;
    release(h);
    return make_error("cannot send the INVITE to " + peer->name);
  }
  return d->handle;
}

int NtaCallSignalling::on_invite_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq,
                                          const sip_t* sip) {
  auto* d = reinterpret_cast<Dialog*>(magic);
  if (!d || d->released) return 0;
  int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  // A forking callee (RFC 3261 13.2.2.4): every early dialog's 18x goes to
  // the call, the first 2xx wins, and nothing after it (a retransmission, a
  // late 18x or failure) reaches the call. A 2xx from another fork never
  // comes here: nta (NTATAG_UA) ACKs it and sends it a BYE.
  if (d->confirmed) return 0;
  uint32_t rseq = 0;
  if (status > 100 && status < 200) {
    auto r = d->self->reliable_rseq(*d, sip);
    if (!r) return 0;  // a retransmission: relayed once
    rseq = *r;
  }
  if (status >= 200 && status < 300) {
    d->confirmed = true;
    if (sip && sip->sip_to) nta_leg_rtag(d->dialog, sip->sip_to->a_tag);
    if (sip) nta_leg_client_reroute(d->dialog, sip->sip_record_route, sip->sip_contact, 1);
  }
  // Local timeouts and transport errors arrive as 408/503 without a message.
  d->self->b2bua_->on_b_response(d->handle, status, body_of(sip), sip::session_timer_headers(sip),
                                 rseq);
  return 0;
}

std::optional<uint32_t> NtaCallSignalling::reliable_rseq(Dialog& d, const sip_t* sip) {
  using Kind = sip::ProvisionalReliability::Kind;
  auto rel = sip::provisional_reliability(sip);
  if (rel.kind == Kind::unreliable) return 0;
  if (rel.kind == Kind::missing_rseq) {
    // It cannot be PRACKed (RAck names the RSeq): passed on as an
    // ordinary 18x; the callee's retransmissions end on their own.
    ++counters_.reliable_without_rseq;
    log::info("reliable_provisional_without_rseq", {{"handle", std::to_string(d.handle)}});
    return 0;
  }
  // A PRACK goes in the early dialog of this response's To tag; the leg is
  // one dialog, so a second fork's reliable 18x (its own RSeq space) is
  // passed on unreliably.
  const char* tag = sip->sip_to ? sip->sip_to->a_tag : nullptr;
  const char* have = nta_leg_get_rtag(d.dialog);
  if (!tag || (have && strcasecmp(have, tag) != 0)) {
    ++counters_.reliable_other_fork;
    log::info("reliable_provisional_other_fork", {{"handle", std::to_string(d.handle)}});
    return 0;
  }
  // nta filters retransmissions only once a PRACK went out; until the
  // caller's PRACK arrives they come here, and an RSeq not above the last
  // one is one of them (RFC 3262 4).
  if (rel.rseq <= d.last_rseq) {
    ++counters_.reliable_retransmitted;
    return std::nullopt;
  }
  if (!have) nta_leg_rtag(d.dialog, tag);
  // The PRACK goes to the callee's Contact, through its Record-Route.
  nta_leg_client_reroute(d.dialog, sip->sip_record_route, sip->sip_contact, 1);
  d.last_rseq = rel.rseq;
  ++counters_.reliable_in;
  return rel.rseq;
}

Result<SipHandle> NtaCallSignalling::prack_b(SipHandle b, uint32_t rseq, std::string_view sdp) {
  Dialog* d = find(b);
  if (!d || !d->invite_out || !d->dialog || d->bye_sent || !nta_leg_get_rtag(d->dialog))
    return make_error("no early dialog to PRACK in");
  auto tx = std::make_unique<PrackTx>();
  tx->self = this;
  tx->id = next_handle_++;
  tx->dialog = b;
  std::string body(sdp);
  // RAck: this RSeq and the INVITE's CSeq; nta then drops retransmissions
  // of that response by itself.
  tx->orq = nta_outgoing_prack(d->dialog, d->invite_out, &NtaCallSignalling::on_prack_response,
                               reinterpret_cast<nta_outgoing_magic_t*>(tx.get()), d->next_hop(),
                               nullptr, NTATAG_RSEQ(rseq),
                               TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                               TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())), TAG_END());
  if (!tx->orq) return make_error("cannot send the PRACK");
  SipHandle id = tx->id;
  pracks_out_.emplace(id, std::move(tx));
  ++counters_.pracks_out;
  return id;
}

int NtaCallSignalling::on_prack_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq,
                                         const sip_t* sip) {
  auto* tx = reinterpret_cast<PrackTx*>(magic);
  int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  if (!tx || tx->done || status < 200) return 0;
  tx->done = true;
  tx->self->schedule_flush();  // the orq goes on the loop, not inside its own callback
  tx->self->b2bua_->on_prack_response(tx->id, status);
  return 0;
}

void NtaCallSignalling::cancel_b(SipHandle b) {
  Dialog* d = find(b);
  if (!d || !d->invite_out || d->confirmed) return;
  // Before any provisional response nta holds the CANCEL until one arrives
  // (RFC 3261 9.1); with none, timer B ends the INVITE with 408.
  nta_outgoing_cancel(d->invite_out);
}

void NtaCallSignalling::ack_b(SipHandle b, std::string_view sdp) {
  Dialog* d = find(b);
  if (!d || !d->invite_out || !d->confirmed || d->ack) return;
  // The ACK of a 2xx is its own transaction, in the dialog, with the
  // INVITE's CSeq number (RFC 3261 13.2.2.4).
  std::string cseq = std::to_string(nta_outgoing_cseq(d->invite_out)) + " ACK";
  std::string body(sdp);
  d->ack = nta_outgoing_tcreate(d->dialog, nullptr, nullptr, d->next_hop(), SIP_METHOD_ACK, nullptr,
                                SIPTAG_CSEQ_STR(cseq.c_str()),
                                TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                                TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())), TAG_END());
  if (!d->ack) log::warn("ack_failed", {{"handle", std::to_string(b)}});
}

// ---------------------------------------------------------------- both

void NtaCallSignalling::bye(SipHandle h) {
  Dialog* d = find(h);
  if (!d || !d->dialog || !d->confirmed || d->bye_sent) return;
  d->bye_sent = true;
  nta_outgoing_t* orq = nta_outgoing_tcreate(d->dialog, &NtaCallSignalling::on_other_response,
                                             reinterpret_cast<nta_outgoing_magic_t*>(d),
                                             d->next_hop(), SIP_METHOD_BYE, nullptr, TAG_END());
  if (orq)
    d->requests.push_back(orq);
  else
    log::warn("bye_failed", {{"handle", std::to_string(h)}});
}

int NtaCallSignalling::on_other_response(nta_outgoing_magic_t*, nta_outgoing_t*, const sip_t*) {
  return 0;  // a BYE's answer changes nothing: the call has ended already
}

int NtaCallSignalling::on_dialog_request(nta_leg_magic_t* magic, nta_leg_t*, nta_incoming_t* irq,
                                         const sip_t* sip) {
  auto* d = reinterpret_cast<Dialog*>(magic);
  if (!d || d->released) return 481;
  return d->self->dialog_request(*d, irq, sip);
}

int NtaCallSignalling::dialog_request(Dialog& d, nta_incoming_t* irq, const sip_t* sip) {
  switch (sip->sip_request->rq_method) {
    case sip_method_bye:
      nta_incoming_treply(irq, SIP_200_OK, TAG_END());
      b2bua_->on_bye(d.handle);
      return 200;
    case sip_method_ack:
      if (d.a_side)
        b2bua_->on_a_ack(d.handle, body_of(sip));
      else
        b2bua_->on_b_ack(d.handle, body_of(sip));
      return 200;             // never answered; tells nta the transaction is done
    case sip_method_info:     // DTMF (application/dtmf-relay), ...
    case sip_method_options:  // the far end's liveness or capabilities, end to end
    case sip_method_message:
    case sip_method_refer:   // call transfer (RFC 3515)
    case sip_method_notify:  // the REFER's outcome, back to the referrer
      return relay_request(d, irq, sip);
    case sip_method_invite:
    case sip_method_update:
      return take_offer(d, irq, sip);
    default:
      ++counters_.in_dialog_refused;
      log::info("in_dialog_refused", {{"handle", std::to_string(d.handle)},
                                      {"method", sip->sip_request->rq_method_name},
                                      {"reason", "not relayed by this version"}});
      return 501;
  }
}

int NtaCallSignalling::take_offer(Dialog& d, nta_incoming_t* irq, const sip_t* sip) {
  const bool update = sip->sip_request->rq_method == sip_method_update;
  std::string body = body_of(sip);
  // An UPDATE without a body offers nothing (a session or target refresh):
  // the session stays as it is, so it is answered here, and refreshes this
  // leg's session timer.
  if (update && body.empty()) {
    std::string se = d.session_expires(false);
    nta_incoming_treply(
        irq, SIP_200_OK, SIPTAG_CONTACT(nta_agent_contact(d.leg.agent->agent())),
        SIPTAG_SUPPORTED_STR("timer"), TAG_IF(!se.empty(), SIPTAG_SESSION_EXPIRES_STR(se.c_str())),
        TAG_IF(d.response_requires_timer(), SIPTAG_REQUIRE_STR("timer")), TAG_END());
    b2bua_->on_session_refresh(d.handle);
    return 200;
  }
  if (!body.empty() && (!sip->sip_content_type || !sip->sip_content_type->c_type ||
                        strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0)) {
    nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA, SIPTAG_ACCEPT_STR("application/sdp"),
                        TAG_END());
    return 415;
  }
  auto tx = std::make_unique<OfferTx>();
  tx->self = this;
  tx->id = next_handle_++;
  tx->dialog = d.handle;
  tx->method = update ? OfferMethod::update : OfferMethod::reinvite;
  tx->irq = irq;
  // The ACK of our 2xx may arrive while nta still holds this transaction:
  // then it comes here, not to the dialog (and may carry a late offer's answer).
  if (!update)
    nta_incoming_bind(irq, &NtaCallSignalling::on_ack_or_cancel,
                      reinterpret_cast<nta_incoming_magic_t*>(&d));
  SipHandle id = tx->id;
  offers_in_.emplace(id, std::move(tx));
  ++counters_.offers_in;
  b2bua_->on_offer(d.handle, id, update ? OfferMethod::update : OfferMethod::reinvite, body);
  return 0;  // answered through answer_offer (perhaps already)
}

void NtaCallSignalling::answer_offer(SipHandle offer, int status, std::string_view sdp,
                                     std::string_view warning, std::optional<int> retry_after) {
  auto it = offers_in_.find(offer);
  if (it == offers_in_.end() || it->second->done) return;
  OfferTx& tx = *it->second;
  Dialog* d = find(tx.dialog);
  std::string body(sdp);
  // The text goes in a quoted string: no quote, backslash or line break of its own.
  std::string text(warning);
  for (char& c : text)
    if (c == '"' || c == '\\' || c == '\r' || c == '\n') c = '\'';
  std::string warn = text.empty() ? "" : "399 sbc \"" + text + "\"";
  std::string retry = retry_after ? std::to_string(*retry_after) : "";
  const bool ok = status >= 200 && status < 300;
  std::string se = ok && d ? d->session_expires(false) : "";
  nta_incoming_treply(
      tx.irq, status, phrase_of(status),
      TAG_IF(ok && d, SIPTAG_CONTACT(d ? nta_agent_contact(d->leg.agent->agent()) : nullptr)),
      TAG_IF(!se.empty(), SIPTAG_SESSION_EXPIRES_STR(se.c_str())),
      TAG_IF(!se.empty() && d->response_requires_timer(), SIPTAG_REQUIRE_STR("timer")),
      TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
      TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())),
      TAG_IF(!warn.empty(), SIPTAG_WARNING_STR(warn.c_str())),
      TAG_IF(retry_after.has_value(), SIPTAG_RETRY_AFTER_STR(retry.c_str())), TAG_END());
  tx.done = true;
  tx.keep_until_ack = ok && tx.method == OfferMethod::reinvite;
  schedule_flush();  // the transaction is destroyed on the loop (nta keeps it for retransmissions)
}

void NtaCallSignalling::ack_offer(SipHandle out, std::string_view sdp) {
  auto it = offers_out_.find(out);
  if (it == offers_out_.end() || !it->second->awaiting_ack) return;
  OfferTx& tx = *it->second;
  tx.awaiting_ack = false;
  Dialog* d = find(tx.dialog);
  if (d && tx.orq) {
    std::string cseq = std::to_string(nta_outgoing_cseq(tx.orq)) + " ACK";
    std::string body(sdp);
    nta_outgoing_t* ack =
        nta_outgoing_tcreate(d->dialog, nullptr, nullptr, d->next_hop(), SIP_METHOD_ACK, nullptr,
                             SIPTAG_CSEQ_STR(cseq.c_str()),
                             TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                             TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())), TAG_END());
    if (ack)
      d->requests.push_back(ack);
    else
      log::warn("ack_failed", {{"handle", std::to_string(tx.dialog)}});
    d->requests.push_back(tx.orq);  // lives with its dialog (a retransmitted 2xx finds it)
    tx.orq = nullptr;
  }
  schedule_flush();
}

Result<SipHandle> NtaCallSignalling::send_offer(SipHandle dialog, OfferMethod m,
                                                std::string_view sdp) {
  return send_in_dialog(dialog, m, sdp, false);
}

Result<SipHandle> NtaCallSignalling::refresh_session(SipHandle dialog, std::string_view sdp) {
  return send_in_dialog(dialog, sdp.empty() ? OfferMethod::update : OfferMethod::reinvite, sdp,
                        true);
}

void NtaCallSignalling::session_timer(SipHandle dialog, const LegSessionTimer& t) {
  if (Dialog* d = find(dialog)) d->session = t;
}

Result<SipHandle> NtaCallSignalling::send_in_dialog(SipHandle dialog, OfferMethod m,
                                                    std::string_view sdp, bool refresh) {
  Dialog* d = find(dialog);
  if (!d || !d->dialog || !d->confirmed || d->bye_sent)
    return make_error("dialog " + std::to_string(dialog) + " is not established");
  auto tx = std::make_unique<OfferTx>();
  tx->self = this;
  tx->id = next_handle_++;
  tx->dialog = dialog;
  tx->method = m;
  std::string body(sdp);
  nta_agent_t* agent = d->leg.agent->agent();
  tx->late = body.empty() && !refresh;
  tx->refresh = refresh;
  const bool invite = m == OfferMethod::reinvite;
  std::string se = d->session_expires(true);
  tx->orq = nta_outgoing_tcreate(
      d->dialog, &NtaCallSignalling::on_offer_response,
      reinterpret_cast<nta_outgoing_magic_t*>(tx.get()), d->next_hop(),
      invite ? sip_method_invite : sip_method_update, invite ? "INVITE" : "UPDATE", nullptr,
      SIPTAG_CONTACT(nta_agent_contact(agent)), SIPTAG_SUPPORTED_STR("timer"),
      TAG_IF(!se.empty(), SIPTAG_SESSION_EXPIRES_STR(se.c_str())),
      TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
      TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())), TAG_END());
  if (!tx->orq) return make_error(std::string("cannot send the ") + to_string(m));
  SipHandle id = tx->id;
  offers_out_.emplace(id, std::move(tx));
  ++(refresh ? counters_.refreshes_out : counters_.offers_out);
  return id;
}

int NtaCallSignalling::on_offer_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq,
                                         const sip_t* sip) {
  auto* tx = reinterpret_cast<OfferTx*>(magic);
  int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  if (!tx || tx->done || status < 200) return 0;
  NtaCallSignalling* self = tx->self;
  tx->done = true;
  Dialog* d = self->find(tx->dialog);
  if (d && status < 300 && tx->method == OfferMethod::reinvite && tx->late) {
    // Its 2xx brought the offer: the ACK carries the answer, once the
    // B2BUA has it (ack_offer); the orq stays with the tx until then.
    tx->awaiting_ack = true;
    SipHandle late_id = tx->id;
    self->b2bua_->on_offer_response(late_id, status, body_of(sip));
    return 0;
  }
  if (d && status < 300 && tx->method == OfferMethod::reinvite) {
    // Our own ACK, at once: the answer is already in the 2xx (RFC 3261 13.2.2.4).
    std::string cseq = std::to_string(nta_outgoing_cseq(orq)) + " ACK";
    nta_outgoing_t* ack =
        nta_outgoing_tcreate(d->dialog, nullptr, nullptr, d->next_hop(), SIP_METHOD_ACK, nullptr,
                             SIPTAG_CSEQ_STR(cseq.c_str()), TAG_END());
    if (ack)
      d->requests.push_back(ack);
    else
      log::warn("ack_failed", {{"handle", std::to_string(tx->dialog)}});
  }
  SipHandle id = tx->id;
  std::string body = body_of(sip);
  // The orq lives with its dialog from now on (a retransmitted 2xx finds it)
  // and goes when the dialog does; never destroyed inside its own callback.
  if (d) {
    d->requests.push_back(orq);
    tx->orq = nullptr;
  }
  self->schedule_flush();
  if (tx->refresh)
    self->b2bua_->on_refresh_response(id, status);
  else
    self->b2bua_->on_offer_response(id, status, body);
  return 0;
}

std::string NtaCallSignalling::sbc_hostport(const Dialog& d) {
  const sip_contact_t* m = nta_agent_contact(d.leg.agent->agent());
  if (!m || !m->m_url->url_host) return d.leg.address.to_string();
  std::string hp = m->m_url->url_host;
  if (m->m_url->url_port) hp += std::string(":") + m->m_url->url_port;
  return hp;
}

int NtaCallSignalling::relay_request(Dialog& from, nta_incoming_t* irq, const sip_t* sip) {
  const sip_method_t method = sip->sip_request->rq_method;
  Dialog* to = find(b2bua_->peer_dialog(from.handle));
  if (!to || !to->dialog || !to->confirmed || to->bye_sent) {
    // No answered call to pass it to (the call is going, or not answered yet).
    ++counters_.in_dialog_refused;
    return 481;
  }
  auto refuse = [&](int status, const char* why) {
    ++counters_.in_dialog_refused;
    log::info("in_dialog_refused", {{"handle", std::to_string(from.handle)},
                                    {"method", sip->sip_request->rq_method_name},
                                    {"reason", why}});
    nta_incoming_treply(irq, status, phrase_of(status), TAG_END());
    return status;
  };
  // What crosses besides the body: only what the method needs, rewritten so
  // that nothing of one side reaches the other (sip/refer_rewrite.h).
  std::string refer_to, referred_by, refer_sub, event, body = body_of(sip);
  const sip_content_type_t* type = sip->sip_content_type;
  if (method == sip_method_refer) {
    auto target = sip::refer_to_toward(sip->sip_refer_to, sbc_hostport(*to));
    if (!target) return refuse(400, "Refer-To not usable");
    refer_to = *target;
    referred_by = sip::referred_by_toward(sip->sip_referred_by, sbc_hostport(*to)).value_or("");
    // RFC 4488: a referrer that wants no NOTIFYs says so; the other side hears it.
    for (const sip_unknown_t* u = sip->sip_unknown; u; u = u->un_next)
      if (u->un_name && u->un_value && strcasecmp(u->un_name, "Refer-Sub") == 0)
        refer_sub = strcasecmp(u->un_value, "false") == 0 ? "Refer-Sub: false" : "";
  } else if (method == sip_method_notify) {
    // Only the implicit subscription of a relayed REFER is ours to pass on.
    if (!sip->sip_event || !sip->sip_event->o_type || strcasecmp(sip->sip_event->o_type, "refer"))
      return refuse(489, "not an Event: refer");
    event = "refer";
    if (sip->sip_event->o_id) {
      // Its id is the CSeq of the REFER this side got; the other side knows its own.
      auto it = refer_cseqs_.find({from.handle, std::strtoul(sip->sip_event->o_id, nullptr, 10)});
      if (it == refer_cseqs_.end()) return refuse(481, "no REFER with that id was relayed");
      event += ";id=" + std::to_string(it->second);
    }
    if (type && type->c_type && strcasecmp(type->c_type, "message/sipfrag") == 0) {
      body = sip::sipfrag_status_line(body);
      // RFC 3515 2.4.5: the NOTIFY carries the status of the referred request.
      if (body.empty()) return refuse(400, "a sipfrag without a status line");
    }
  }
  if (!body.empty() && (!type || !type->c_type)) return refuse(400, "a body without a type");
  auto r = std::make_unique<Relay>();
  r->self = this;
  r->from = from.handle;
  r->to = to->handle;
  r->irq = irq;
  r->orq = nta_outgoing_tcreate(
      to->dialog, &NtaCallSignalling::on_relay_response,
      reinterpret_cast<nta_outgoing_magic_t*>(r.get()), to->next_hop(), method,
      sip->sip_request->rq_method_name, nullptr,
      TAG_IF(!refer_to.empty(), SIPTAG_REFER_TO_STR(refer_to.c_str())),
      TAG_IF(!referred_by.empty(), SIPTAG_REFERRED_BY_STR(referred_by.c_str())),
      TAG_IF(!refer_sub.empty(), SIPTAG_HEADER_STR(refer_sub.c_str())),
      TAG_IF(!event.empty(), SIPTAG_EVENT_STR(event.c_str())),
      TAG_IF(method == sip_method_notify && sip->sip_subscription_state,
             SIPTAG_SUBSCRIPTION_STATE(sip->sip_subscription_state)),
      // The whole header: its parameters (multipart boundary, charset,
      // ISUP version) belong to the body.
      TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE(type)),
      TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())), TAG_END());
  if (!r->orq) return refuse(500, "cannot send it on");
  if (method == sip_method_refer) {
    // The NOTIFYs of the other side name this REFER by the CSeq it got.
    // Bounded per dialog: a peer looping REFERs in a long call keeps only
    // the latest kRefersKept (the oldest subscriptions' NOTIFYs get 481).
    const std::pair<SipHandle, uint32_t> first{to->handle, 0};
    auto lo = refer_cseqs_.lower_bound(first);
    size_t n = 0;
    for (auto it = lo; it != refer_cseqs_.end() && it->first.first == to->handle; ++it) ++n;
    if (n >= kRefersKept) refer_cseqs_.erase(lo);
    refer_cseqs_[{to->handle, nta_outgoing_cseq(r->orq)}] = sip->sip_cseq->cs_seq;
  }
  ++counters_.relayed;
  log::debug("in_dialog_relayed", {{"from", std::to_string(from.handle)},
                                   {"to", std::to_string(to->handle)},
                                   {"method", sip->sip_request->rq_method_name}});
  relays_.push_back(std::move(r));
  return 0;  // answered when the other side answers
}

int NtaCallSignalling::on_relay_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq,
                                         const sip_t* sip) {
  auto* r = reinterpret_cast<Relay*>(magic);
  int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  if (!r || r->done || status < 200) return 0;
  if (r->irq) {
    nta_incoming_treply(r->irq, status, phrase_of(status), TAG_END());
    nta_incoming_destroy(r->irq);  // answered: nta keeps it for retransmissions
    r->irq = nullptr;
  }
  r->done = true;
  r->self->schedule_flush();  // the orq goes on the loop, not inside its own callback
  return 0;
}

void NtaCallSignalling::release(SipHandle h) {
  auto it = dialogs_.find(h);
  if (it == dialogs_.end()) return;
  it->second->released = true;
  released_.push_back(std::move(it->second));
  dialogs_.erase(it);
  schedule_flush();
}

void NtaCallSignalling::schedule_flush() {
  if (flush_timer_ >= 0) return;
  // Usually called from inside an nta callback: destroying its objects there
  // would free what nta is still using.
  auto t = loop_.after(std::chrono::milliseconds(0), [this] {
    flush_timer_ = -1;
    destroy_released();
  });
  if (t) flush_timer_ = *t;
}

void NtaCallSignalling::destroy_released() {
  auto dead = std::move(released_);
  released_.clear();
  // Relays that are answered, or whose call side has gone (its INFO gets a
  // final answer: the dialog it was for no longer exists).
  std::vector<std::unique_ptr<Relay>> keep;
  for (auto& r : relays_) {
    if (!r->done && find(r->from) && find(r->to)) {
      keep.push_back(std::move(r));
      continue;
    }
    if (r->irq) {
      nta_incoming_treply(r->irq, SIP_481_NO_TRANSACTION, TAG_END());
      nta_incoming_destroy(r->irq);
    }
    nta_outgoing_destroy(r->orq);
  }
  relays_ = std::move(keep);
  std::erase_if(refer_cseqs_, [this](const auto& entry) { return !find(entry.first.first); });
  // Offers answered, or whose dialog has gone (answered 481 then).
  std::erase_if(offers_in_, [this](auto& entry) {
    OfferTx& tx = *entry.second;
    if ((!tx.done || (tx.keep_until_ack && !tx.acked)) && find(tx.dialog)) return false;
    if (!tx.done) nta_incoming_treply(tx.irq, SIP_481_NO_TRANSACTION, TAG_END());
    nta_incoming_destroy(tx.irq);
    return true;
  });
  // PRACKs answered, or whose dialog has gone (a caller's gets 481 then).
  std::erase_if(pracks_in_, [this](auto& entry) {
    PrackTx& tx = *entry.second;
    if (!tx.done && find(tx.dialog)) return false;
    if (!tx.done) nta_incoming_treply(tx.irq, SIP_481_NO_TRANSACTION, TAG_END());
    nta_incoming_destroy(tx.irq);
    return true;
  });
  std::erase_if(pracks_out_, [this](auto& entry) {
    PrackTx& tx = *entry.second;
    if (!tx.done && find(tx.dialog)) return false;
    nta_outgoing_destroy(tx.orq);
    return true;
  });
  std::erase_if(offers_out_, [this](auto& entry) {
    OfferTx& tx = *entry.second;
    if ((!tx.done || tx.awaiting_ack) && find(tx.dialog)) return false;
    if (tx.orq) nta_outgoing_destroy(tx.orq);
    return true;
  });
  for (auto& d : dead) {
    for (nta_outgoing_t* orq : d->requests) nta_outgoing_destroy(orq);
    if (d->ack) nta_outgoing_destroy(d->ack);
    // A cancelled or answered INVITE lives on in nta (its ACK, a late 2xx
    // gets ACK+BYE); an unanswered one is ended by destroying it.
    if (d->invite_out) nta_outgoing_destroy(d->invite_out);
    // Before their INVITE: a PRACK arriving later finds no response and
    // gets 481 from nta, never a callback into a dialog that has gone.
    for (nta_reliable_t* rel : d->reliables) {
      reliables_.erase(rel);
      nta_reliable_destroy(rel);
    }
    if (d->invite_in) {
      if (!d->final_sent)
        nta_incoming_treply(d->invite_in, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
      nta_incoming_destroy(d->invite_in);
    }
    if (d->dialog) nta_leg_destroy(d->dialog);
  }
}

}  // namespace sbc::controlplane
