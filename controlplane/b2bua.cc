#include "controlplane/b2bua.h"

#include "controlplane/log.h"
#include "policy/peer_identification.h"

namespace sbc::controlplane {

B2bua::B2bua(CallSignalling& signalling, dataplane::Dataplane& dataplane, Admission& admission,
             CallTimers& timers, const MonotonicClock& clock, CallSettings settings,
             std::function<policy::PolicyPtr()> current_policy, LiveFacts facts)
    : signalling_(signalling),
      admission_(admission),
      current_policy_(std::move(current_policy)),
      facts_(std::move(facts)),
      ctx_{signalling, dataplane, admission, timers, clock, settings, {}, {}, {}, {}, {}} {
  ctx_.on_ended = [this](const CallRecord& r) {
    ++counters_.ended;
    if (r.answered) ++counters_.answered;
    if (record_sink_) record_sink_(r);
  };
  ctx_.on_b_handle = [this](CallId id, SipHandle b) {
    by_b_[b] = id;
    ++counters_.attempts;
  };
  ctx_.after_timer = [this](CallId id) { reap(id); };
  ctx_.on_offer_sent = [this](CallId id, SipHandle out) { by_offer_[out] = id; };
  ctx_.on_media_session = [this](CallId id, dataplane::MediaSessionId m) {
    by_media_[m] = id;
    media_of_[id].push_back(m);
  };
}

B2bua::~B2bua() = default;

bool B2bua::registered(const policy::Peer& p) const {
  return !facts_.registered || facts_.registered(p);
}
bool B2bua::healthy(const policy::Peer& p) const {
  return !facts_.healthy || facts_.healthy(p);
}
uint32_t B2bua::channels_in_use(const policy::Peer& p) const {
  return admission_.channels_in_use(p);
}
bool B2bua::cps_available(const policy::Peer& p) const {
  return admission_.cps_available(p);
}
bool B2bua::banned(const policy::Peer& p) const {
  return facts_.banned && facts_.banned(p);
}
bool B2bua::overloaded() const {
  return facts_.overloaded && facts_.overloaded();
}
bool B2bua::resolved(const policy::Peer& p) const {
  return !facts_.resolved || facts_.resolved(p);
}

void B2bua::refuse(const InboundCall& in, const policy::Peer* source, const FinalAnswer& answer) {
  ++counters_.refused;
  signalling_.reject_a(in.a, answer);
  signalling_.release(in.a);
  // A refused call is a call that ended: it gets its record (and is counted
  // by outcome) like one that rang.
  CallRecord r;
  r.id = next_id_++;
  r.source_peer = source ? source->name : "";
  r.called_in = in.called;
  r.caller_in = in.caller;
  r.setup = r.end = ctx_.clock.now();
  r.final_status = answer.status;
  r.ended_by = "sbc";
  ++counters_.ended;
  if (record_sink_) record_sink_(r);
}

Call* B2bua::find(CallId id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.get();
}

SipHandle B2bua::peer_dialog(SipHandle h) const {
  auto answered = [](const Call& c) {
    return c.state() == Call::State::answered || c.state() == Call::State::established;
  };
  if (auto it = by_a_.find(h); it != by_a_.end()) {
    auto c = calls_.find(it->second);
    if (c != calls_.end() && answered(*c->second)) return c->second->b_handle();
  }
  if (auto it = by_b_.find(h); it != by_b_.end()) {
    auto c = calls_.find(it->second);
    if (c != calls_.end() && answered(*c->second) && c->second->b_handle() == h)
      return c->second->a_handle();
  }
  return 0;
}

std::vector<const Call*> B2bua::calls() const {
  std::vector<const Call*> out;
  for (const auto& [id, c] : calls_) out.push_back(c.get());
  return out;
}

void B2bua::on_invite(const InboundCall& in, std::string_view auth_username, bool digest_verified) {
  ++counters_.invites;
  policy::PolicyPtr policy = current_policy_();
  auto who =
      policy::identify_peer(*policy, {in.leg, in.source, auth_username}, facts_.resolved_sources);
  using Id = policy::Identification::Outcome;
  switch (who.outcome) {
    case Id::by_source_address:
      break;
    case Id::by_username:
      if (digest_verified) break;
      [[fallthrough]];
    case Id::no_credentials:
    case Id::unknown_username:
      // The same answer for an unknown user as for a wrong password: a new
      // challenge (nothing tells a scanner which usernames exist).
      ++counters_.challenged;
      signalling_.challenge_a(in.a);
      signalling_.release(in.a);
      return;
    case Id::wrong_leg:
    case Id::unknown_leg:
      refuse(in, nullptr, {403, "Forbidden", std::nullopt});
      return;
  }
  const policy::Peer* source = who.peer;
  if (auto min_se = too_brief(in.session_timer, policy->timers)) {
    // RFC 4028 8.1: the caller retries with our Min-SE.
    refuse(in, source, {422, "Session Interval Too Small", std::nullopt, *min_se});
    return;
  }

  auto decision = policy::route_call(*policy, *this, {source, in.called, in.caller});
  if (decision.outcome != policy::RouteDecision::Outcome::routed) {
    refuse(in, source, answer_for_route_failure(decision));
    return;
  }
  const bool emergency = decision.route && decision.route->emergency;
  if (draining_ && !emergency) {
    ++counters_.refused_draining;
    refuse(in, source, {503, "Service Unavailable", drain_retry_after_});
    return;
  }
  if (!emergency && source) {
    if (!admission_.channel_available(*source) || !admission_.take_cps(*source)) {
      refuse(in, source, {503, "Service Unavailable", 10});
      return;
    }
  }
  if (source) admission_.note_start(*source);
  // No SDP: a late offer. The callee's 2xx brings the offer and the
  // caller's ACK the answer (Call relays both, anchored).
  std::optional<sip::SdpSession> offer;
  if (!in.sdp.empty()) {
    auto parsed = sip::SdpSession::parse(in.sdp);
    if (!parsed) {
      log::info("invite_refused", {{"reason", parsed.error().message}});
      refuse(in, source, {488, "Not Acceptable Here", std::nullopt});
      return;
    }
    for (const auto& st : parsed->streams()) {
      if (st.port != 0 && !st.address) {  // IPv6 or no address: cannot be anchored yet
        refuse(in, source, {488, "Not Acceptable Here", std::nullopt});
        return;
      }
    }
    offer = std::move(*parsed);
  }

  CallId id = next_id_++;
  auto call =
      std::make_unique<Call>(id, ctx_, policy, source, in, std::move(decision), std::move(offer));
  Call* raw = call.get();
  calls_.emplace(id, std::move(call));
  by_a_[in.a] = id;
  raw->start();
  reap(id);
}

void B2bua::on_b_response(SipHandle b, int status, std::string_view sdp,
                          const sip::SessionTimerHeaders& st, uint32_t rseq) {
  auto it = by_b_.find(b);
  if (it == by_b_.end()) {
    handle_orphan_response(signalling_, b, status);
    return;
  }
  CallId id = it->second;
  Call* call = find(id);
  if (!call) {
    handle_orphan_response(signalling_, b, status);
    if (status >= 200) by_b_.erase(b);
    return;
  }
  call->on_b_response(b, status, sdp, st, rseq);
  // The handle is done once final, unless it is the call's live B dialog.
  if (status >= 200 && call->b_handle() != b) by_b_.erase(b);
  reap(id);
}

void B2bua::on_a_ack(SipHandle a, std::string_view sdp) {
  auto it = by_a_.find(a);
  if (it == by_a_.end()) return;
  CallId id = it->second;
  if (Call* c = find(id)) c->on_a_ack(sdp);
  reap(id);  // a late offer's unusable answer ends the call
}

void B2bua::on_prack(SipHandle a, SipHandle prack, SipHandle reliable, std::string_view sdp) {
  auto it = by_a_.find(a);
  Call* c = it == by_a_.end() ? nullptr : find(it->second);
  if (!c) {
    signalling_.answer_prack(prack, 481, "");  // the call has gone
    return;
  }
  CallId id = it->second;
  c->on_prack(prack, reliable, sdp);
  reap(id);  // an early offer without a usable answer ends the call
}

void B2bua::on_prack_response(SipHandle out, int status) {
  auto it = by_offer_.find(out);
  if (it == by_offer_.end()) return;  // a PRACK the SBC sent for itself (per leg)
  CallId id = it->second;
  if (status >= 200) by_offer_.erase(it);
  if (Call* c = find(id)) c->on_prack_response(out, status);
  reap(id);
}

void B2bua::on_a_cancel(SipHandle a) {
  auto it = by_a_.find(a);
  if (it == by_a_.end()) return;
  CallId id = it->second;
  if (Call* c = find(id)) c->on_a_cancel();
  reap(id);
}

void B2bua::on_bye(SipHandle dialog) {
  if (auto it = by_a_.find(dialog); it != by_a_.end()) {
    CallId id = it->second;
    if (Call* c = find(id)) c->on_bye(Side::a, dialog);
    reap(id);
    return;
  }
  if (auto it = by_b_.find(dialog); it != by_b_.end()) {
    CallId id = it->second;
    if (Call* c = find(id)) c->on_bye(Side::b, dialog);
    reap(id);
  }
}

void B2bua::on_dataplane_event(const dataplane::DataplaneEvent& e) {
  auto it = by_media_.find(e.session);
  if (it == by_media_.end()) return;
  CallId id = it->second;
  Call* c = find(id);
  if (!c || c->media() != e.session) return;  // an attempt's media closed since
  c->on_media_event(e);
  reap(id);
}

void B2bua::on_offer(SipHandle dialog, SipHandle offer, OfferMethod m, std::string_view sdp) {
  Side side = Side::a;
  CallId id = 0;
  if (auto it = by_a_.find(dialog); it != by_a_.end()) {
    id = it->second;
  } else if (auto ib = by_b_.find(dialog); ib != by_b_.end()) {
    side = Side::b;
    id = ib->second;
  }
  Call* c = id ? find(id) : nullptr;
  // A dialog of an attempt given up, or of a call that is going: no session to change.
  if (!c || (side == Side::b && c->b_handle() != dialog)) {
    signalling_.answer_offer(offer, 481, "", "", std::nullopt);
    return;
  }
  c->on_offer(side, offer, m, sdp);
  reap(id);
}

void B2bua::on_b_ack(SipHandle b, std::string_view sdp) {
  auto it = by_b_.find(b);
  if (it == by_b_.end()) return;
  CallId id = it->second;
  Call* c = find(id);
  if (c && c->b_handle() == b) c->on_dialog_ack(Side::b, sdp);
  reap(id);
}

void B2bua::on_offer_response(SipHandle out, int status, std::string_view sdp) {
  auto it = by_offer_.find(out);
  if (it == by_offer_.end()) return;
  CallId id = it->second;
  if (status >= 200) by_offer_.erase(it);
  if (Call* c = find(id)) c->on_offer_response(out, status, sdp);
  reap(id);
}

void B2bua::on_session_refresh(SipHandle dialog) {
  if (auto it = by_a_.find(dialog); it != by_a_.end()) {
    if (Call* c = find(it->second)) c->on_session_refresh(Side::a);
  } else if (auto ib = by_b_.find(dialog); ib != by_b_.end()) {
    Call* c = find(ib->second);
    if (c && c->b_handle() == dialog) c->on_session_refresh(Side::b);
  }
}

void B2bua::on_refresh_response(SipHandle out, int status) {
  auto it = by_offer_.find(out);
  if (it == by_offer_.end()) return;
  CallId id = it->second;
  if (status >= 200) by_offer_.erase(it);
  if (Call* c = find(id)) c->on_refresh_response(out, status);
  reap(id);
}

void B2bua::reap(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->state() != Call::State::ended) return;
  Call& c = *it->second;
  by_a_.erase(c.a_handle());
  signalling_.release(c.a_handle());
  if (SipHandle b = c.b_handle()) {
    by_b_.erase(b);
    signalling_.release(b);
  }
  for (auto m : media_of_[id]) by_media_.erase(m);
  std::erase_if(by_offer_, [id](const auto& entry) { return entry.second == id; });
  media_of_.erase(id);
  calls_.erase(it);  // B handles still awaiting a final response stay in by_b_
}

}  // namespace sbc::controlplane
