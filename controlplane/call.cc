#include "controlplane/call.h"

#include <algorithm>

#include "controlplane/log.h"
#include "controlplane/media_budget.h"
#include "controlplane/telephone_event_map.h"
#include "policy/codec_filter.h"

namespace sbc::controlplane {
namespace {

dataplane::LatchMode latch_for(const policy::Peer* p) {
  switch (p ? p->media.latching : policy::LatchingMode::strict) {
    case policy::LatchingMode::off:
      return dataplane::LatchMode::strict;
    case policy::LatchingMode::strict:
      return dataplane::LatchMode::ip;
    case policy::LatchingMode::any:
      return dataplane::LatchMode::any;
  }
  return dataplane::LatchMode::ip;
}

// A stream addressed to 0.0.0.0: hold the RFC 2543 way (nothing is to be sent to it).
bool held_address(const sip::SdpStream& st) {
  return st.address && st.address->value == 0;
}

// Takes a stream's remote from its SDP, unless it is declined or on hold with
// c=0.0.0.0: then the pinhole keeps the remote it has (and its latch).
void take_remote(dataplane::MediaSide& side, const sip::SdpStream& st) {
  if (st.port == 0 || !st.address || held_address(st)) return;
  side.remote_ip = *st.address;
  side.remote_port = st.port;
}

// A live stream that is not sendrecv or is addressed to 0.0.0.0.
bool holds(const sip::SdpSession& s) {
  for (const auto& st : s.streams())
    if (st.port != 0 && (st.direction != sip::MediaDirection::sendrecv || held_address(st)))
      return true;
  return false;
}

Side other(Side s) {
  return s == Side::a ? Side::b : Side::a;
}

}  // namespace

const char* to_string(OfferMethod m) {
  return m == OfferMethod::reinvite ? "INVITE" : "UPDATE";
}

void handle_orphan_response(CallSignalling& signalling, SipHandle b, int status) {
  if (status < 200) return;
  if (status < 300) {
    signalling.ack_b(b, "");
    signalling.bye(b);
  }
  signalling.release(b);
}

const char* to_string(Call::State s) {
  switch (s) {
    case Call::State::calling:
      return "calling";
    case Call::State::early:
      return "early";
    case Call::State::answered:
      return "answered";
    case Call::State::established:
      return "established";
    case Call::State::ended:
      return "ended";
  }
  return "?";
}

Call::Call(CallId id, CallContext& ctx, policy::PolicyPtr policy, const policy::Peer* source,
           InboundCall in, policy::RouteDecision decision, std::optional<sip::SdpSession> offer)
    : id_(id),
      ctx_(ctx),
      policy_(std::move(policy)),
      source_(source),
      in_(std::move(in)),
      decision_(std::move(decision)),
      offer_(std::move(offer)) {
  record_.id = id_;
  record_.source_peer = source_ ? source_->name : "";
  record_.called_in = in_.called;
  record_.caller_in = in_.caller;
  record_.setup = ctx_.clock.now();
}

Call::~Call() {
  disarm(no_provisional_timer_);
  disarm(ring_timer_);
  disarm(ack_timer_);
  disarm(offer_ack_timer_);
  for (auto& t : session_) {
    disarm(t.expiry);
    disarm(t.refresh);
  }
}

Ipv4Address Call::leg_address(const std::string& leg) const {
  const policy::Interface* i = policy_->find_interface(leg);
  return i ? i->address.address : Ipv4Address{};
}

void Call::log_ports() const {
  // Which SBC ports a call's media uses (debug: one line per change), for
  // tracing a call's RTP on the wire.
  std::string ports;
  for (const auto& st : ports_.streams)
    ports +=
        (ports.empty() ? "" : ",") + std::to_string(st.a_port) + "/" + std::to_string(st.b_port);
  log::debug("media_ports", {{"call", std::to_string(id_)}, {"a/b", ports}});
}

void Call::arm(CallTimers::Id& slot, std::chrono::milliseconds d, std::function<void()> cb) {
  disarm(slot);
  slot = ctx_.timers.after(d, [this, cb = std::move(cb)] {
    cb();
    // Last: this may destroy the call.
    if (ctx_.after_timer) ctx_.after_timer(id_);
  });
}

void Call::disarm(CallTimers::Id& slot) {
  if (slot) ctx_.timers.cancel(slot);
  slot = 0;
}

void Call::start() {
  if (source_) ctx_.admission.take_channel(*source_);
  try_next();
}

void Call::try_next() {
  while (next_candidate_ < decision_.candidates.size()) {
    size_t i = next_candidate_++;
    if (decision_.candidates[i].skipped != policy::SkipReason::none) continue;
    if (attempt(i)) return;
  }
  fail(failures_.empty() ? answer_for_route_failure(decision_) : best_final_answer(failures_));
}

const std::string& Call::leg_of(Side s) const {
  return s == Side::a ? in_.leg : dest_->leg;
}

Status Call::filter_codecs(sip::SdpSession& s, const policy::Peer* from,
                           const policy::Peer* to) const {
  static const std::vector<std::string> kAny;
  for (size_t i = 0; i < s.streams().size(); ++i) {
    const auto& st = s.streams()[i];
    // Declined, or not RTP (e.g. T.38 over udptl): formats pass as they are.
    if (st.port == 0 || st.codecs.empty()) continue;
    std::vector<policy::OfferedCodec> offered;
    for (const auto& codec : st.codecs)
      offered.push_back({codec.name, codec.clock_rate, codec.payload_type});
    auto kept = policy::filter_codecs(offered, from ? from->codecs : kAny, to ? to->codecs : kAny);
    std::vector<uint8_t> pts;
    for (const auto& k : kept) pts.push_back(static_cast<uint8_t>(k.payload_type));
    // A stream neither peer can carry (video toward an audio-only trunk) is
    // declined on its own; the call goes on with the others.
    if (pts.empty())
      s.reject(i);
    else if (auto r = s.keep_codecs(i, pts); !r)
      return r.error();
  }
  // DTMF numbered as the receiving peer insists (telephone_event_map.h).
  if (auto r = renumber_events(s, event_renumbering(s, to)); !r) return r.error();
  for (const auto& st : s.streams())
    if (st.port != 0) return ok_status();
  return make_error("no acceptable codec in any stream");
}

Result<std::string> Call::anchor(sip::SdpSession& s, Side to) {
  if (s.streams().size() != ports_.streams.size())
    return make_error("the SDP has " + std::to_string(s.streams().size()) +
                      " streams for a session of " + std::to_string(ports_.streams.size()));
  Ipv4Address sbc = leg_address(leg_of(to));
  if (!s.streams().empty() && !s.streams()[0].codecs.empty())
    codec_ = s.streams()[0].codecs[0].name;
  s.set_origin("sbc", id_, sdp_version_++, sbc);
  s.strip_ice();
  for (size_t i = 0; i < s.streams().size(); ++i) {
    const auto& p = ports_.streams[i];
    const bool rejected = s.streams()[i].port == 0;
    const bool hold = held_address(s.streams()[i]);
    uint16_t port = to == Side::a ? p.a_port : p.b_port;
    if (auto r = s.set_endpoint(i, hold ? Ipv4Address{} : sbc, port, p.rtcp_mux ? port : port + 1);
        !r)
      return r.error();
    if (rejected) s.reject(i);
  }
  // The last session description each side got: a re-INVITE refresh repeats
  // it unchanged (same o= version, RFC 3264 8).
  auto printed = s.print();
  if (printed) last_sdp_[index(to)] = *printed;
  return printed;
}

Result<std::string> Call::b_offer(const policy::Candidate& c) {
  // The caller's offer, anchored on the callee's leg, codecs filtered per both peers.
  auto copy = sip::SdpSession::parse(in_.sdp);
  if (!copy) return copy.error();
  if (auto s = filter_codecs(*copy, source_, c.peer); !s) return s.error();
  return anchor(*copy, Side::b);
}

Result<std::string> Call::a_answer(std::string_view b_sdp) {
  auto ans = sip::SdpSession::parse(b_sdp);
  if (!ans) return ans.error();
  if (ans->streams().size() != ports_.streams.size())
    return make_error("the answer has " + std::to_string(ans->streams().size()) +
                      " streams for an offer of " + std::to_string(ports_.streams.size()));
  // Back to the caller's DTMF numbers, and the relay maps between them.
  const auto events = event_renumbering(*offer_, dest_);
  if (auto r = renumber_events(*ans, events); !r) return r.error();
  // The callee's real addresses go to the dataplane, the SBC's to the caller.
  dataplane::MediaSessionSpec spec = spec_;
  set_event_numbers(spec, events, true);
  for (size_t i = 0; i < ans->streams().size(); ++i) {
    const auto& st = ans->streams()[i];
    take_remote(spec.streams[i].b, st);
    spec.streams[i].rtcp_mux = offer_->streams()[i].rtcp_mux && st.rtcp_mux;
  }
  auto updated = ctx_.dataplane.update_media(*media_, spec);
  if (!updated) return updated.error();
  ports_ = *updated;
  log_ports();
  spec_ = spec;
  held_ = holds(*offer_) || holds(*ans);
  return anchor(*ans, Side::a);
}

Result<std::string> Call::late_offer_for_a(std::string_view b_sdp) {
  auto offer = sip::SdpSession::parse(b_sdp);
  if (!offer) return offer.error();
  for (const auto& st : offer->streams())
    if (st.port != 0 && !st.address) return make_error("a stream without an IPv4 address");
  if (auto s = filter_codecs(*offer, dest_, source_); !s) return s.error();
  dataplane::MediaSessionSpec spec;
  for (const auto& st : offer->streams()) {
    dataplane::MediaStreamSpec m;
    m.a = {in_.leg, Ipv4Address{}, 0, latch_for(source_)};
    m.b = {dest_->leg, Ipv4Address{}, 0, latch_for(dest_)};
    take_remote(m.b, st);
    m.rtcp_mux = st.rtcp_mux;
    set_media_budget(m, st);
    spec.streams.push_back(m);
  }
  auto opened = ctx_.dataplane.open_media(spec);
  if (!opened) return opened.error();
  media_ = opened->id;
  ports_ = *opened;
  log_ports();
  spec_ = spec;
  if (ctx_.on_media_session) ctx_.on_media_session(id_, opened->id);
  late_offer_ = std::string(b_sdp);
  return anchor(*offer, Side::a);
}

Result<std::string> Call::late_answer_for_b(std::string_view a_sdp) {
  if (a_sdp.empty()) return make_error("the ACK carries no answer");
  auto ans = sip::SdpSession::parse(a_sdp);
  if (!ans) return ans.error();
  auto offer = sip::SdpSession::parse(late_offer_);
  if (!offer) return offer.error();
  if (ans->streams().size() != spec_.streams.size())
    return make_error("the answer has " + std::to_string(ans->streams().size()) +
                      " streams for an offer of " + std::to_string(spec_.streams.size()));
  for (const auto& st : ans->streams())
    if (st.port != 0 && !st.address) return make_error("a stream without an IPv4 address");
  const auto events = event_renumbering(*offer, source_);
  if (auto r = renumber_events(*ans, events); !r) return r.error();
  auto spec = spec_;
  set_event_numbers(spec, events, false);
  for (size_t i = 0; i < ans->streams().size(); ++i)
    take_remote(spec.streams[i].a, ans->streams()[i]);
  auto updated = ctx_.dataplane.update_media(*media_, spec);
  if (!updated) return updated.error();
  ports_ = *updated;
  log_ports();
  spec_ = spec;
  held_ = holds(*offer) || holds(*ans);
  return anchor(*ans, Side::b);
}

// The Min-SE of the INVITE to the callee: never above its Session-Expires,
// and after a 422 the one the 422 asked for (RFC 4028 7.4).
uint32_t Call::b_min_se() const {
  return b_retried_422_ ? b_session_expires_
                        : std::min(policy_min_se(policy_->timers), b_session_expires_);
}

bool Call::attempt(size_t i) {
  const policy::Candidate& c = decision_.candidates[i];
  dest_ = c.peer;
  b_provisional_ = false;
  b_session_expires_ = policy_session_expires(policy_->timers);
  b_retried_422_ = false;
  early_answered_ = false;
  // Media first: the offer to B carries the SBC's ports on B's leg.
  dataplane::MediaSessionSpec spec;
  if (!offer_) {
    // A late offer: the INVITE goes without SDP and media opens with the
    // callee's offer in its 2xx.
    return send_invite(c, "");
  }
  for (const auto& st : offer_->streams()) {
    dataplane::MediaStreamSpec m;
    m.a = {in_.leg, Ipv4Address{}, 0, latch_for(source_)};
    take_remote(m.a, st);
    m.b = {c.peer->leg, Ipv4Address{}, 0, latch_for(c.peer)};
    m.rtcp_mux = st.rtcp_mux;
    set_media_budget(m, st);
    spec.streams.push_back(m);
  }
  auto opened = ctx_.dataplane.open_media(spec);
  if (!opened) {
    log::warn("media_open_failed", {{"call", std::to_string(id_)},
                                    {"peer", c.peer->name},
                                    {"reason", opened.error().message}});
    failures_.push_back(503);
    record_.attempts.push_back(c.peer->name + ":503");
    return false;
  }
  media_ = opened->id;
  ports_ = *opened;
  log_ports();
  spec_ = spec;
  if (ctx_.on_media_session) ctx_.on_media_session(id_, opened->id);

  auto sdp = b_offer(c);
  if (!sdp) {
    // This candidate shares no codec with the caller: not a failure of the
    // callee, so no failover penalty beyond trying the next one.
    ctx_.dataplane.close_media(*media_);
    media_.reset();
    failures_.push_back(488);
    record_.attempts.push_back(c.peer->name + ":488");
    return false;
  }
  return send_invite(c, *sdp);
}

bool Call::send_invite(const policy::Candidate& c, const std::string& sdp) {
  ctx_.admission.take_channel(*c.peer);
  dest_channel_ = true;
  (void)ctx_.admission.take_cps(*c.peer);  // routing checked it; an emergency call may empty it
  ctx_.admission.note_start(*c.peer);
  // The caller's identity at the trust boundary: address-trusted trunks are
  // the trust domain; a phone's own assertion is replaced by the identity
  // the SBC verified.
  auto trusted = [](const policy::Peer* p) { return p && p->auth.mode == policy::AuthMode::ip; };
  std::string vouched =
      c.caller.empty() ? "" : "<sip:" + c.caller + "@" + leg_address(c.peer->leg).to_string() + ">";
  auto id = sip::identity_toward_callee(in_.identity, trusted(source_), trusted(c.peer), vouched);
  b_sdp_ = sdp;
  auto b = ctx_.signalling.invite_b({c.peer, c.called, id.anonymous ? "anonymous" : c.caller, sdp,
                                     in_.max_forwards - 1, id.asserted, id.privacy,
                                     b_session_expires_, b_min_se(), in_.rel100.any()});
  if (!b) {
    log::warn(
        "invite_failed",
        {{"call", std::to_string(id_)}, {"peer", c.peer->name}, {"reason", b.error().message}});
    give_up_attempt(503);
    return false;
  }
  b_ = *b;
  if (ctx_.on_b_handle) ctx_.on_b_handle(id_, b_);
  record_.destination_peer = c.peer->name;
  record_.called_out = c.called;
  record_.caller_out = c.caller;
  const auto failover = ctx_.settings.no_provisional_timeout.value_or(
      std::chrono::duration_cast<std::chrono::milliseconds>(policy_->timers.failover));
  arm(no_provisional_timer_, failover, [this] {
    no_provisional_timer_ = 0;
    log::info("failover", {{"call", std::to_string(id_)},
                           {"peer", dest_->name},
                           {"reason", "no provisional response"}});
    give_up_attempt(408);
    try_next();
  });
  return true;
}

void Call::release_destination_channel() {
  if (dest_ && dest_channel_) ctx_.admission.release_channel(dest_->name);
  dest_channel_ = false;
}

void Call::give_up_attempt(int status) {
  disarm(no_provisional_timer_);
  disarm(ring_timer_);
  if (b_) {
    // The handle stays mapped until its final response (handle_orphan_response).
    ctx_.signalling.cancel_b(b_);
    b_ = 0;
  }
  if (media_) {
    ctx_.dataplane.close_media(*media_);
    media_.reset();
  }
  release_destination_channel();
  if (dest_) record_.attempts.push_back(dest_->name + ":" + std::to_string(status));
  failures_.push_back(status);
}

void Call::on_b_response(SipHandle b, int status, std::string_view sdp,
                         const sip::SessionTimerHeaders& st, uint32_t rseq) {
  if (b != b_ || b == 0 || state_ == State::ended) {
    handle_orphan_response(ctx_.signalling, b, status);
    return;
  }
  if (status < 200) {
    // 100, or a fork's 18x once the call is answered: nothing for the caller.
    if (status == 100 || (state_ != State::calling && state_ != State::early)) return;
    disarm(no_provisional_timer_);
    if (!b_provisional_) {
      b_provisional_ = true;
      if (record_.rang_peer.empty() && dest_) {
        record_.ringing = ctx_.clock.now();
        record_.rang_peer = dest_->name;
      }
      arm(ring_timer_, ctx_.settings.ring_timeout, [this] {
        ring_timer_ = 0;
        // Rang and nobody answered: the caller hears 480, no failover.
        give_up_attempt(480);
        fail({480, default_phrase(480), std::nullopt});
      });
    }
    std::string a_sdp;
    bool early_offer = false;
    if (!sdp.empty() && offer_) {
      auto ans = a_answer(sdp);
      if (ans)
        a_sdp = *ans;
      else
        log::warn("early_media_sdp_refused",
                  {{"call", std::to_string(id_)}, {"reason", ans.error().message}});
    } else if (!sdp.empty() && rseq && !media_ && in_.rel100.any()) {
      // A late offer answered early (RFC 3262 5): the callee's offer in a
      // reliable 18x opens the media and goes to the caller, whose PRACK
      // brings the answer. In an unreliable 18x it is only a preview of
      // the 2xx's offer (RFC 3261 13.2.1) and is not passed on.
      auto offer = late_offer_for_a(sdp);
      if (!offer) {
        log::warn("early_offer_refused",
                  {{"call", std::to_string(id_)}, {"reason", offer.error().message}});
        give_up_attempt(488);
        try_next();
        return;
      }
      a_sdp = *offer;
      early_offer = true;
    }
    state_ = State::early;
    if (rseq) return relay_reliable(status, rseq, a_sdp, early_offer);
    ctx_.signalling.provisional_a(in_.a, status, a_sdp);
    return;
  }
  if (status < 300) {
    disarm(no_provisional_timer_);
    disarm(ring_timer_);
    Result<std::string> ans = std::string();
    if (offer_) {
      ctx_.signalling.ack_b(b_, "");
      ans = a_answer(sdp);
    } else if (early_answered_) {
      // The offer and answer crossed in a reliable 18x and its PRACK: the
      // session is agreed, and the caller's 200 repeats what it already has.
      ctx_.signalling.ack_b(b_, "");
      ans = last_sdp_[index(Side::a)];
    } else if (media_) {
      // Its early offer is still unanswered (RFC 3262 forbids this 2xx).
      ctx_.signalling.ack_b(b_, "");
      ans = make_error("answered before the caller answered its early offer");
    } else {
      // A late offer: the 2xx carries the callee's offer; our ACK waits for
      // the caller's answer (in its ACK).
      ans = late_offer_for_a(sdp);
      if (ans)
        late_ack_pending_ = true;
      else
        ctx_.signalling.ack_b(b_, "");
    }
    if (!ans) {
      log::warn("answer_sdp_refused",
                {{"call", std::to_string(id_)}, {"reason", ans.error().message}});
      ctx_.signalling.bye(b_);
      fail({502, "Bad Gateway", std::nullopt});
      return;
    }
    state_ = State::answered;
    record_.answered = true;
    record_.answer = ctx_.clock.now();
    record_.attempts.push_back(dest_->name + ":" + std::to_string(status));
    // Each leg's session timer, before our 2xx (which carries the caller's).
    session_[index(Side::a)].leg = caller_leg(in_.session_timer, policy_->timers);
    session_[index(Side::b)].leg = callee_leg(st, b_min_se());
    ctx_.signalling.session_timer(in_.a, session_[index(Side::a)].leg);
    ctx_.signalling.session_timer(b_, session_[index(Side::b)].leg);
    ctx_.signalling.answer_a(in_.a, *ans);
    start_session_timers();
    arm(ack_timer_, ctx_.settings.ack_timeout, [this] {
      ack_timer_ = 0;
      if (state_ != State::answered) return;
      log::info("call_ended_no_ack", {{"call", std::to_string(id_)}});
      if (late_ack_pending_ && b_)
        ctx_.signalling.ack_b(b_, "");  // a dialog is ACKed before its BYE
      late_ack_pending_ = false;
      ctx_.signalling.bye(in_.a);
      if (b_) ctx_.signalling.bye(b_);
      end("no_ack", 200);
    });
    return;
  }
  if (status == 422 && !b_retried_422_) {
    if (auto retry = retry_interval(st, b_session_expires_)) {
      // The callee wants a longer session interval (RFC 4028 7.4): the same
      // candidate again, asking for its Min-SE; the caller notices nothing.
      log::info("session_interval_retry", {{"call", std::to_string(id_)},
                                           {"peer", dest_->name},
                                           {"session_expires", std::to_string(*retry)}});
      disarm(no_provisional_timer_);
      ctx_.signalling.release(b_);
      b_ = 0;
      release_destination_channel();
      record_.attempts.push_back(dest_->name + ":422");
      b_session_expires_ = *retry;
      b_retried_422_ = true;
      if (!send_invite(decision_.candidates[next_candidate_ - 1], b_sdp_)) try_next();
      return;
    }
  }
  // A final failure of this attempt. A 422 not retried is the SBC's and this
  // callee's disagreement, not the caller's interval: the caller could do
  // nothing with it (and it would come without a Min-SE), so it counts as
  // this candidate failing (500) and the next one is tried.
  if (status == 422) status = 500;
  bool failover = fails_over(status);
  disarm(no_provisional_timer_);
  disarm(ring_timer_);
  ctx_.signalling.release(b_);
  b_ = 0;
  if (media_) {
    ctx_.dataplane.close_media(*media_);
    media_.reset();
  }
  release_destination_channel();
  record_.attempts.push_back(dest_->name + ":" + std::to_string(status));
  failures_.push_back(status);
  if (failover) {
    log::info(
        "failover",
        {{"call", std::to_string(id_)}, {"peer", dest_->name}, {"status", std::to_string(status)}});
    try_next();
  } else {
    fail({status, default_phrase(status), std::nullopt});
  }
}

void Call::relay_reliable(int status, uint32_t rseq, const std::string& a_sdp, bool offer) {
  if (in_.rel100.any() && reliable_.size() < kReliableKept) {
    auto rel = ctx_.signalling.reliable_provisional_a(in_.a, status, a_sdp);
    if (rel) {
      reliable_.push_back({*rel, b_, rseq, offer});
      return;
    }
    log::warn("reliable_provisional_failed",
              {{"call", std::to_string(id_)}, {"reason", rel.error().message}});
  }
  if (offer) {
    // Its offer can only be answered in a PRACK from the caller.
    give_up_attempt(502);
    try_next();
    return;
  }
  // Per leg: the SBC acknowledges it itself and the caller gets an
  // ordinary provisional response (the callee sent 100rel unasked).
  (void)ctx_.signalling.prack_b(b_, rseq, "");
  ctx_.signalling.provisional_a(in_.a, status, a_sdp);
}

void Call::on_prack(SipHandle prack, SipHandle reliable, std::string_view sdp) {
  auto it = std::find_if(reliable_.begin(), reliable_.end(),
                         [reliable](const ReliableRelay& r) { return r.a_rel == reliable; });
  if (it == reliable_.end() || state_ == State::ended) {
    ctx_.signalling.answer_prack(prack, 481, "");
    return;
  }
  const ReliableRelay r = *it;
  reliable_.erase(it);
  if (!b_ || r.b != b_) {
    // That attempt has been given up (failover, CANCEL): nothing to pass
    // the PRACK to, and the caller's transaction is still good.
    ctx_.signalling.answer_prack(prack, 200, "");
    return;
  }
  std::string for_b;
  if (r.offer) {
    auto ans = late_answer_for_b(sdp);
    if (!ans) {
      // The callee's early offer got no usable answer: this attempt cannot
      // go on, and the caller hears why.
      log::warn("early_answer_refused",
                {{"call", std::to_string(id_)}, {"reason", ans.error().message}});
      ctx_.signalling.answer_prack(prack, 488, "");
      give_up_attempt(488);
      fail({488, default_phrase(488), std::nullopt});
      return;
    }
    for_b = *ans;
    early_answered_ = true;
  } else if (!sdp.empty()) {
    // An offer in a PRACK (allowed after an 18x that answered) is not
    // relayed: the callee's PRACK goes without it (docs/b2bua.md).
    log::info("prack_offer_not_relayed", {{"call", std::to_string(id_)}});
  }
  auto out = ctx_.signalling.prack_b(b_, r.rseq, for_b);
  if (!out) {
    log::warn("prack_failed", {{"call", std::to_string(id_)}, {"reason", out.error().message}});
    ctx_.signalling.answer_prack(prack, 500, "");
    return;
  }
  pracks_.push_back({prack, *out});
  if (ctx_.on_offer_sent) ctx_.on_offer_sent(id_, *out);
}

void Call::on_prack_response(SipHandle out, int status) {
  if (status < 200) return;
  auto it = std::find_if(pracks_.begin(), pracks_.end(),
                         [out](const PrackRelay& p) { return p.out == out; });
  if (it == pracks_.end()) return;
  SipHandle in = it->in;
  pracks_.erase(it);
  ctx_.signalling.answer_prack(in, status, "");
}

void Call::on_a_ack(std::string_view sdp) {
  disarm(ack_timer_);
  if (state_ == State::established) return on_dialog_ack(Side::a, sdp);
  if (state_ != State::answered) return;
  state_ = State::established;
  if (!late_ack_pending_ || !b_) return;
  late_ack_pending_ = false;
  auto for_b = late_answer_for_b(sdp);
  if (!for_b) {
    // No usable answer to the callee's offer: both dialogs are confirmed and
    // have no session; hang up both (RFC 3261 13.2.1 leaves no other way out).
    log::warn("late_answer_refused",
              {{"call", std::to_string(id_)}, {"reason", for_b.error().message}});
    ctx_.signalling.ack_b(b_, "");
    ctx_.signalling.bye(in_.a);
    ctx_.signalling.bye(b_);
    end("sbc", 488);
    return;
  }
  ctx_.signalling.ack_b(b_, *for_b);
}

void Call::on_a_cancel() {
  if (state_ != State::calling && state_ != State::early) return;  // too late: answered already
  disarm(no_provisional_timer_);
  disarm(ring_timer_);
  // The B handle stays mapped until its final answer: a 2xx racing the CANCEL
  // is acknowledged and hung up (handle_orphan_response).
  if (b_) ctx_.signalling.cancel_b(b_);
  b_ = 0;
  ctx_.signalling.reject_a(in_.a, {487, default_phrase(487), std::nullopt});
  end("caller", 487);
}

void Call::on_bye(Side from, SipHandle dialog) {
  if (state_ == State::ended) return;
  if (from == Side::b && dialog != b_) return;  // a BYE for an attempt given up
  ack_late_offer_unanswered();
  if (from == Side::a) {
    if (b_) ctx_.signalling.bye(b_);
    end("caller", 200);
  } else {
    ctx_.signalling.bye(in_.a);
    end("callee", 200);
  }
}

void Call::on_media_event(const dataplane::DataplaneEvent& e) {
  if (state_ != State::established && state_ != State::answered) return;
  if (e.type == dataplane::EventType::latched) return;
  if (held_) {
    // On hold, silence (inactive) or one way (sendonly) is what was agreed.
    log::info("media_event_on_hold",
              {{"call", std::to_string(id_)},
               {"event", e.type == dataplane::EventType::media_idle ? "media_idle" : "one_way"}});
    return;
  }
  const char* why = e.type == dataplane::EventType::media_idle ? "media_idle" : "one_way";
  log::info("call_ended_by_media", {{"call", std::to_string(id_)}, {"reason", why}});
  ctx_.signalling.bye(in_.a);
  if (b_) ctx_.signalling.bye(b_);
  end(why, 200);
}

void Call::on_offer(Side from, SipHandle offer, OfferMethod m, std::string_view sdp) {
  auto refuse = [&](int status, std::string_view warning, std::optional<int> retry_after) {
    log::info("offer_refused", {{"call", std::to_string(id_)},
                                {"method", to_string(m)},
                                {"status", std::to_string(status)},
                                {"reason", std::string(warning)}});
    ctx_.signalling.answer_offer(offer, status, "", warning, retry_after);
  };
  if (state_ != State::established || !media_ || !b_ || !dest_)
    return refuse(491, "the call is not established yet", std::nullopt);
  // One offer at a time per call: one from the other side in flight is glare
  // (RFC 3261 14.1); the offerer retries after a random wait.
  if (pending_) return refuse(491, "", std::nullopt);
  if (sdp.empty()) {
    if (m == OfferMethod::update)
      return refuse(488, "an UPDATE offers nothing without SDP", std::nullopt);
    // A re-INVITE without SDP: the other side gets one without SDP too and
    // its 2xx brings the offer (on_offer_response).
    PendingOffer p;
    p.from = from;
    p.in = offer;
    p.method = m;
    p.spec_before = spec_;
    p.late = true;
    auto out = ctx_.signalling.send_offer(from == Side::a ? b_ : in_.a, m, "");
    if (!out)
      return refuse(500, "the other side cannot be reached: " + out.error().message, std::nullopt);
    p.out = *out;
    pending_ = std::move(p);
    if (ctx_.on_offer_sent) ctx_.on_offer_sent(id_, *out);
    return;
  }
  auto parsed = sip::SdpSession::parse(sdp);
  if (!parsed) return refuse(488, parsed.error().message, std::nullopt);
  if (parsed->streams().size() < spec_.streams.size())
    return refuse(488, "an offer may not remove m= lines (RFC 3264 8)", std::nullopt);
  for (const auto& st : parsed->streams())
    if (st.port != 0 && !st.address)
      return refuse(488, "a stream without an IPv4 address cannot be anchored", std::nullopt);
  const policy::Peer* from_peer = from == Side::a ? source_ : dest_;
  const policy::Peer* to_peer = from == Side::a ? dest_ : source_;
  if (auto s = filter_codecs(*parsed, from_peer, to_peer); !s)
    return refuse(488, s.error().message, std::nullopt);

  PendingOffer p;
  p.from = from;
  p.in = offer;
  p.method = m;
  p.offer = std::string(sdp);
  p.spec_before = spec_;
  if (parsed->streams().size() > spec_.streams.size()) {
    // New m= lines get their ports now: the other side needs them in the offer.
    auto spec = spec_;
    for (size_t i = spec_.streams.size(); i < parsed->streams().size(); ++i) {
      const auto& st = parsed->streams()[i];
      dataplane::MediaStreamSpec ms;
      ms.a = {in_.leg, Ipv4Address{}, 0, latch_for(source_)};
      ms.b = {dest_->leg, Ipv4Address{}, 0, latch_for(dest_)};
      take_remote(from == Side::a ? ms.a : ms.b, st);
      ms.rtcp_mux = st.rtcp_mux;
      set_media_budget(ms, st);
      spec.streams.push_back(ms);
    }
    auto updated = ctx_.dataplane.update_media(*media_, spec);
    if (!updated) return refuse(488, "no media ports: " + updated.error().message, std::nullopt);
    ports_ = *updated;
    log_ports();
    spec_ = spec;
  }
  pending_ = std::move(p);
  auto relayed = anchor(*parsed, other(from));
  if (!relayed) {
    roll_back_offer();
    pending_.reset();
    return refuse(488, relayed.error().message, std::nullopt);
  }
  auto out = ctx_.signalling.send_offer(from == Side::a ? b_ : in_.a, m, *relayed);
  if (!out) {
    roll_back_offer();
    pending_.reset();
    return refuse(500, "the other side cannot be reached: " + out.error().message, std::nullopt);
  }
  pending_->out = *out;
  if (ctx_.on_offer_sent) ctx_.on_offer_sent(id_, *out);
}

void Call::roll_back_offer() {
  if (!pending_ || !media_ || spec_.streams.size() <= pending_->spec_before.streams.size()) return;
  // Only ports added for new m= lines change before the answer: give them back.
  auto restored = ctx_.dataplane.update_media(*media_, pending_->spec_before);
  if (restored) {
    ports_ = *restored;
    log_ports();
    spec_ = pending_->spec_before;
  }
}

void Call::finish_offer(int status, std::string_view sdp, std::string_view warning) {
  ctx_.signalling.answer_offer(pending_->in, status, sdp, warning, std::nullopt);
  pending_.reset();
  if (status >= 200 && status < 300 && state_ != State::ended) {
    // A re-INVITE or UPDATE that succeeded on both legs refreshed both sessions.
    session_refreshed(Side::a);
    session_refreshed(Side::b);
  }
}

void Call::on_offer_response(SipHandle out, int status, std::string_view sdp) {
  if (!pending_ || pending_->out != out || status < 200 || state_ == State::ended) return;
  const Side from = pending_->from;
  const char* method = to_string(pending_->method);
  if (status < 300 && pending_->late) return late_offer_in_2xx(sdp);
  if (status >= 300) {
    roll_back_offer();
    finish_offer(status, "", "");
    if (status == 481 || status == 408) {
      // The other side has lost the dialog, or is gone (RFC 5057 5.1): the
      // call is over on both sides.
      log::info(
          "call_ended_offer_failed",
          {{"call", std::to_string(id_)}, {"method", method}, {"status", std::to_string(status)}});
      hang_up_both(from == Side::a ? "callee" : "caller", 200);
    }
    return;
  }
  auto offer = sip::SdpSession::parse(pending_->offer);
  auto answer = sip::SdpSession::parse(sdp);
  auto unusable = [&](const std::string& why) {
    // The other side took the offer, but its answer cannot be anchored: the
    // media stays as it was and the offerer hears why.
    log::warn("offer_answer_refused",
              {{"call", std::to_string(id_)}, {"method", method}, {"reason", why}});
    roll_back_offer();
    finish_offer(488, "", "the answer could not be anchored: " + why);
  };
  if (!offer) return unusable(offer.error().message);
  if (!answer) return unusable(answer.error().message);
  if (answer->streams().size() != offer->streams().size())
    return unusable("the answer has " + std::to_string(answer->streams().size()) +
                    " streams for an offer of " + std::to_string(offer->streams().size()));
  for (const auto& st : answer->streams())
    if (st.port != 0 && !st.address) return unusable("a stream without an IPv4 address");
  const auto events = event_renumbering(*offer, from == Side::a ? dest_ : source_);
  if (auto r = renumber_events(*answer, events); !r) return unusable(r.error().message);
  auto spec = spec_;
  set_event_numbers(spec, events, from == Side::a);
  for (size_t i = 0; i < offer->streams().size(); ++i) {
    auto& s = spec.streams[i];
    take_remote(from == Side::a ? s.a : s.b, offer->streams()[i]);
    take_remote(from == Side::a ? s.b : s.a, answer->streams()[i]);
    set_media_budget(s, offer->streams()[i]);  // the codecs may have changed
  }
  // A changed remote clears the pinhole's latch: the new source can latch.
  auto updated = ctx_.dataplane.update_media(*media_, spec);
  if (!updated) return unusable(updated.error().message);
  ports_ = *updated;
  log_ports();
  spec_ = spec;
  held_ = holds(*offer) || holds(*answer);
  auto back = anchor(*answer, from);
  if (!back) return unusable(back.error().message);
  finish_offer(status, *back, "");
}

void Call::ack_late_offer_unanswered() {
  if (!pending_ || !pending_->awaiting_ack) return;
  ctx_.signalling.ack_offer(pending_->out, "");
  pending_.reset();
}

void Call::hang_up_both(const char* by, int status) {
  ack_late_offer_unanswered();
  ctx_.signalling.bye(in_.a);
  if (b_) ctx_.signalling.bye(b_);
  end(by, status);
}

void Call::late_offer_in_2xx(std::string_view sdp) {
  const Side from = pending_->from;
  const SipHandle out = pending_->out;
  auto broken = [&](const std::string& why) {
    // The other side is committed to an offer the SBC cannot anchor: ACK it
    // (no answer to give) and end the call (RFC 3261 13.2.1 leaves no other way).
    log::warn("late_reinvite_refused", {{"call", std::to_string(id_)}, {"reason", why}});
    ctx_.signalling.ack_offer(out, "");
    roll_back_offer();
    finish_offer(488, "", "the offer could not be anchored: " + why);
    hang_up_both("sbc", 488);
  };
  auto offer = sip::SdpSession::parse(sdp);
  if (!offer) return broken(offer.error().message);
  if (offer->streams().size() < spec_.streams.size())
    return broken("an offer may not remove m= lines (RFC 3264 8)");
  for (const auto& st : offer->streams())
    if (st.port != 0 && !st.address) return broken("a stream without an IPv4 address");
  const policy::Peer* offerer = from == Side::a ? dest_ : source_;  // the 2xx's sender offers
  const policy::Peer* answerer = from == Side::a ? source_ : dest_;
  if (auto s = filter_codecs(*offer, offerer, answerer); !s) return broken(s.error().message);
  auto spec = spec_;
  for (size_t i = 0; i < offer->streams().size(); ++i) {
    const auto& st = offer->streams()[i];
    if (i >= spec.streams.size()) {
      dataplane::MediaStreamSpec ms;
      ms.a = {in_.leg, Ipv4Address{}, 0, latch_for(source_)};
      ms.b = {dest_->leg, Ipv4Address{}, 0, latch_for(dest_)};
      ms.rtcp_mux = st.rtcp_mux;
      set_media_budget(ms, st);
      spec.streams.push_back(ms);
    }
    take_remote(from == Side::a ? spec.streams[i].b : spec.streams[i].a, st);
  }
  auto updated = ctx_.dataplane.update_media(*media_, spec);
  if (!updated) return broken(updated.error().message);
  ports_ = *updated;
  log_ports();
  spec_ = spec;
  auto relayed = anchor(*offer, from);
  if (!relayed) return broken(relayed.error().message);
  pending_->offer = std::string(sdp);
  pending_->awaiting_ack = true;
  ctx_.signalling.answer_offer(pending_->in, 200, *relayed, "", std::nullopt);
  session_refreshed(Side::a);
  session_refreshed(Side::b);
  arm(offer_ack_timer_, ctx_.settings.ack_timeout, [this] {
    offer_ack_timer_ = 0;
    if (!pending_ || !pending_->awaiting_ack) return;
    log::info("call_ended_no_ack", {{"call", std::to_string(id_)}, {"method", "re-INVITE"}});
    hang_up_both("no_ack", 200);
  });
}

void Call::on_dialog_ack(Side from, std::string_view sdp) {
  if (!pending_ || !pending_->awaiting_ack || pending_->from != from || state_ == State::ended)
    return;
  disarm(offer_ack_timer_);
  auto offer = sip::SdpSession::parse(pending_->offer);
  auto answer = sdp.empty() ? Result<sip::SdpSession>(make_error("the ACK carries no answer"))
                            : sip::SdpSession::parse(sdp);
  auto broken = [&](const std::string& why) {
    log::warn("late_reinvite_answer_refused", {{"call", std::to_string(id_)}, {"reason", why}});
    hang_up_both("sbc", 488);
  };
  if (!offer) return broken(offer.error().message);
  if (!answer) return broken(answer.error().message);
  if (answer->streams().size() != offer->streams().size())
    return broken("the answer has " + std::to_string(answer->streams().size()) +
                  " streams for an offer of " + std::to_string(offer->streams().size()));
  for (const auto& st : answer->streams())
    if (st.port != 0 && !st.address) return broken("a stream without an IPv4 address");
  // The offer came in the other side's 2xx; this side answers.
  const auto events = event_renumbering(*offer, from == Side::a ? source_ : dest_);
  if (auto r = renumber_events(*answer, events); !r) return broken(r.error().message);
  auto spec = spec_;
  set_event_numbers(spec, events, from != Side::a);
  for (size_t i = 0; i < answer->streams().size(); ++i) {
    take_remote(from == Side::a ? spec.streams[i].a : spec.streams[i].b, answer->streams()[i]);
    set_media_budget(spec.streams[i], offer->streams()[i]);  // the codecs may have changed
  }
  auto updated = ctx_.dataplane.update_media(*media_, spec);
  if (!updated) return broken(updated.error().message);
  ports_ = *updated;
  log_ports();
  spec_ = spec;
  held_ = holds(*offer) || holds(*answer);
  auto relayed = anchor(*answer, other(from));
  if (!relayed) return broken(relayed.error().message);
  ctx_.signalling.ack_offer(pending_->out, *relayed);
  pending_.reset();
}

void Call::start_session_timers() {
  session_refreshed(Side::a);
  session_refreshed(Side::b);
}

void Call::session_refreshed(Side s) {
  LegTimers& t = session_[index(s)];
  if (!t.leg.active() || state_ == State::ended) return;
  const char* side = s == Side::a ? "a" : "b";
  arm(t.expiry, expiry_after(t.leg.interval), [this, s, side] {
    session_[index(s)].expiry = 0;
    // No refresh within the interval: the peer (or the path to it) is gone.
    log::info("call_ended_session_timer", {{"call", std::to_string(id_)}, {"leg", side}});
    record_.session_timer_leg = side;
    hang_up_both("session_timer", 200);
  });
  if (t.leg.sbc_refreshes)
    arm(t.refresh, refresh_after(t.leg.interval), [this, s] {
      session_[index(s)].refresh = 0;
      send_session_refresh(s);
    });
}

void Call::send_session_refresh(Side s) {
  LegTimers& t = session_[index(s)];
  if (t.refresh_out || state_ == State::ended || !dialog_of(s)) return;  // not doubled
  if (pending_) {
    // An offer in flight refreshes both legs if it succeeds (which re-arms
    // this timer); if it fails this refresh is still owed: try again soon.
    arm(t.refresh, refresh_after(t.leg.interval) / 8, [this, s] {
      session_[index(s)].refresh = 0;
      send_session_refresh(s);
    });
    return;
  }
  // An UPDATE without SDP (RFC 4028 10), or, for a peer that refused one, a
  // re-INVITE with the session it already has.
  const std::string& sdp = t.update_refused ? last_sdp_[index(s)] : std::string();
  if (t.update_refused && sdp.empty()) return;
  auto out = ctx_.signalling.refresh_session(dialog_of(s), sdp);
  if (!out) {
    log::warn("session_refresh_failed",
              {{"call", std::to_string(id_)}, {"reason", out.error().message}});
    return;  // the expiry ends the call if nothing else refreshes it
  }
  t.refresh_out = *out;
  if (ctx_.on_offer_sent) ctx_.on_offer_sent(id_, *out);
}

void Call::on_refresh_response(SipHandle out, int status) {
  if (status < 200 || state_ == State::ended) return;
  for (Side s : {Side::a, Side::b}) {
    LegTimers& t = session_[index(s)];
    if (t.refresh_out != out) continue;
    t.refresh_out = 0;
    if (status < 300) return session_refreshed(s);
    if ((status == 405 || status == 501) && !t.update_refused) {
      // It does not take UPDATE: refresh with a re-INVITE, now and from now on.
      t.update_refused = true;
      return send_session_refresh(s);
    }
    if (status == 481 || status == 408) {
      // The peer has lost the dialog or is gone (RFC 4028 10).
      log::info("call_ended_session_refresh",
                {{"call", std::to_string(id_)}, {"status", std::to_string(status)}});
      record_.session_timer_leg = s == Side::a ? "a" : "b";
      return hang_up_both("session_timer", 200);
    }
    // Refused (an UPDATE it does not take, ...): the expiry decides.
    log::info("session_refresh_refused",
              {{"call", std::to_string(id_)}, {"status", std::to_string(status)}});
    return;
  }
}

void Call::on_session_refresh(Side from) {
  if (state_ != State::answered && state_ != State::established) return;
  session_refreshed(from);
}

void Call::fail(const FinalAnswer& a) {
  ctx_.signalling.reject_a(in_.a, a);
  end("sbc", a.status);
}

void Call::end(const char* by, int status) {
  if (state_ == State::ended) return;
  state_ = State::ended;
  // An offer still in flight is answered: its dialog is going (RFC 3261 15.1.2).
  ack_late_offer_unanswered();
  if (pending_) finish_offer(487, "", "");
  disarm(offer_ack_timer_);
  disarm(no_provisional_timer_);
  disarm(ring_timer_);
  disarm(ack_timer_);
  for (auto& t : session_) {
    disarm(t.expiry);
    disarm(t.refresh);
  }
  if (media_) {
    ctx_.dataplane.close_media(*media_);
    media_.reset();
  }
  release_destination_channel();
  if (source_) ctx_.admission.release_channel(source_->name);
  record_.final_status = record_.answered && status == 200 ? 200 : status;
  record_.ended_by = by;
  record_.end = ctx_.clock.now();
  if (ctx_.on_ended) ctx_.on_ended(record_);
}

}  // namespace sbc::controlplane
