// One call through the B2BUA: an A dialog (the caller's INVITE) and a B dialog
// per attempt (each candidate in failover order), with its media anchored on
// the dataplane for the whole call. Pure logic: SIP through CallSignalling,
// media through dataplane::Dataplane, time through CallTimers, so every flow
// is unit-tested with fakes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/admission.h"
#include "controlplane/call_outcome.h"
#include "controlplane/call_signalling.h"
#include "controlplane/call_timers.h"
#include "dataplane/dataplane.h"
#include "dataplane/dataplane_event.h"
#include "policy/policy.h"
#include "policy/router.h"
#include "sip/asserted_identity.h"
#include "sip/reliable_provisional.h"
#include "sip/sdp_session.h"
#include "sip/session_timer_headers.h"

namespace sbc::controlplane {

using CallId = uint64_t;
enum class Side : uint8_t { a, b };

struct CallSettings {
  // A candidate that sends no provisional response in this time is given up
  // (CANCEL) and the next one tried.
  // Unset: the call's policy's timers.failover.
  std::optional<std::chrono::milliseconds> no_provisional_timeout;
  // A call that rings this long without an answer ends with 480 (timer C).
  std::chrono::milliseconds ring_timeout{180000};
  // The caller must ACK our 2xx within this (64*T1, RFC 3261 13.3.1.4), or
  // the call is hung up on both sides.
  std::chrono::milliseconds ack_timeout{32000};
};

// What the caller sent, as the signalling layer parsed it.
struct InboundCall {
  SipHandle a = 0;
  std::string leg;
  Ipv4Address source;
  std::string called;              // Request-URI user part
  std::string caller;              // From user part
  std::string sdp;                 // the offer; empty: a late offer (the callee's 2xx brings one)
  int max_forwards = 70;           // as received; the B side gets one less
  sip::CallerIdentity identity{};  // P-Asserted-Identity and Privacy as received
  sip::SessionTimerHeaders session_timer{};  // Session-Expires, Min-SE, Supported as received
  sip::Rel100Support rel100{};               // RFC 3262: may the caller get reliable 18x
};

struct CallRecord {
  CallId id = 0;
  std::string source_peer, destination_peer;
  std::string called_in, caller_in;    // as received
  std::string called_out, caller_out;  // as sent to the peer that answered (or last tried)
  MonoTime setup{}, answer{}, end{};
  // The first provisional response (18x) of any candidate: post-dial delay
  // is ringing - setup, for the peer that rang.
  MonoTime ringing{};
  std::string rang_peer;  // empty: nothing rang
  bool answered = false;
  int final_status = 0;
  // "caller", "callee", "media_idle", "one_way", "no_ack", "session_timer", "sbc"
  std::string ended_by;
  // ended_by "session_timer": the leg whose timer expired or whose refresh
  // got 481/408 ("a": the caller's, "b": the callee's).
  std::string session_timer_leg;
  std::vector<std::string> attempts;  // "peer:status" per candidate tried
};

struct CallContext {
  CallSignalling& signalling;
  dataplane::Dataplane& dataplane;
  Admission& admission;
  CallTimers& timers;
  const MonotonicClock& clock;
  CallSettings settings;
  // Told when the call has ended and released everything (the B2BUA forgets it).
  std::function<void(const CallRecord&)> on_ended;
  // Told when a call takes or gives up a B handle or media session (the B2BUA indexes them).
  // A B handle stays mapped to its call until its final response: a handle
  // given up (CANCEL, failover) may still bring a 2xx to acknowledge and end.
  std::function<void(CallId, SipHandle)> on_b_handle;
  std::function<void(CallId, dataplane::MediaSessionId)> on_media_session;
  // Told when a call relays a mid-dialog offer or a PRACK, or sends a
  // session refresh (the B2BUA maps its answer back).
  std::function<void(CallId, SipHandle)> on_offer_sent;
  // Called after a call's timer callback has run (the call may have ended in
  // it, and is only forgotten outside its own code).
  std::function<void(CallId)> after_timer;
};

class Call {
 public:
  enum class State { calling, early, answered, established, ended };

  Call(CallId id, CallContext& ctx, policy::PolicyPtr policy, const policy::Peer* source,
       InboundCall in, policy::RouteDecision decision, std::optional<sip::SdpSession> offer);
  ~Call();
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  void start();  // tries the first usable candidate

  // st: the response's session timer headers (a 2xx's Session-Expires, a
  // 422's Min-SE); rseq: a reliable provisional response's RSeq (RFC 3262),
  // 0 for an unreliable one (the signalling layer has dropped retransmissions).
  void on_b_response(SipHandle b, int status, std::string_view sdp,
                     const sip::SessionTimerHeaders& st = {}, uint32_t rseq = 0);
  // Reliable provisional responses (RFC 3262), relayed end to end: the
  // caller's PRACK of the SBC's reliable 18x (reliable: its id from
  // reliable_provisional_a; sdp: the answer to an offer that 18x carried)
  // goes to the callee as a PRACK of the callee's RSeq, and the callee's
  // final answer to it (out: prack_b's id) back to the caller's PRACK.
  void on_prack(SipHandle prack, SipHandle reliable, std::string_view sdp);
  void on_prack_response(SipHandle out, int status);
  // The caller's ACK of our 2xx; sdp: its answer when the call was a late offer.
  void on_a_ack(std::string_view sdp = {});
  void on_a_cancel();
  void on_bye(Side from, SipHandle dialog);
  void on_media_event(const dataplane::DataplaneEvent& e);
  // A re-INVITE or UPDATE with an offer from one side of the answered call
  // (offer: the signalling layer's id of that transaction). Relayed to the
  // other side with the SDP anchored there; its answer comes back through
  // on_offer_response and goes to the offerer anchored on its leg, with the
  // dataplane updated in between.
  void on_offer(Side from, SipHandle offer, OfferMethod m, std::string_view sdp);
  void on_offer_response(SipHandle out, int status, std::string_view sdp);
  // An ACK inside the established dialog of side `from` (the answer of a
  // late-offer re-INVITE, when the SBC's 2xx carried the offer).
  void on_dialog_ack(Side from, std::string_view sdp);
  // Session timers (RFC 4028): a refresh that needed no relaying (an UPDATE
  // without SDP from `from`, answered 2xx by the signalling layer), and the
  // final response to a refresh the SBC sent (refresh_session's id).
  void on_session_refresh(Side from);
  void on_refresh_response(SipHandle out, int status);
  const LegSessionTimer& session_timer(Side s) const { return session_[index(s)].leg; }

  CallId id() const { return id_; }
  State state() const { return state_; }
  SipHandle a_handle() const { return in_.a; }
  const std::string& leg_in() const { return in_.leg; }
  // The first stream's first codec in the last SDP the call anchored (the
  // answer once answered): what `sbcctl calls` shows.
  const std::string& codec() const { return codec_; }
  SipHandle b_handle() const { return b_; }
  std::optional<dataplane::MediaSessionId> media() const { return media_; }
  // The last negotiated session puts a stream on hold (sendonly, recvonly,
  // inactive or c=0.0.0.0): silence on it is expected, not a dead call.
  bool on_hold() const { return held_; }
  bool offer_pending() const { return pending_.has_value(); }
  const CallRecord& record() const { return record_; }
  const policy::Peer* destination() const { return dest_; }

 private:
  void try_next();
  // Starts the attempt at candidate i; false (with its status recorded) when
  // the candidate cannot take this offer.
  bool attempt(size_t i);
  bool send_invite(const policy::Candidate& c,
                   const std::string& sdp);  // to the candidate, its channel taken
  void give_up_attempt(int status);  // CANCEL the current B side, close its media and channel
  void release_destination_channel();
  void fail(const FinalAnswer& a);  // final answer to A, then end
  void end(const char* by, int status);
  Result<std::string> b_offer(const policy::Candidate& c);
  Result<std::string> a_answer(std::string_view b_sdp);
  // Late offer: the callee's offer (in its 2xx) opens the media and goes to
  // the caller anchored; the caller's answer (in its ACK) goes to the callee.
  Result<std::string> late_offer_for_a(std::string_view b_sdp);
  Result<std::string> late_answer_for_b(std::string_view a_sdp);
  // Codecs of every live stream filtered per both peers (from: the offerer).
  Status filter_codecs(sip::SdpSession& s, const policy::Peer* from, const policy::Peer* to) const;
  // Points an SDP at the SBC's ports on side `to`'s leg, with the SBC's origin
  // and no ICE; declined streams stay declined and a c=0.0.0.0 (hold in the
  // RFC 2543 way) stays 0.0.0.0.
  Result<std::string> anchor(sip::SdpSession& s, Side to);
  const std::string& leg_of(Side s) const;
  void finish_offer(int status, std::string_view sdp, std::string_view warning);
  void late_offer_in_2xx(std::string_view sdp);
  // A callee's reliable 18x toward the caller: reliably when the caller
  // allows 100rel (its PRACK relayed later), else acknowledged here and
  // passed on unreliably. offer: a_sdp is the callee's early offer.
  void relay_reliable(int status, uint32_t rseq, const std::string& a_sdp, bool offer);
  void hang_up_both(const char* by, int status);  // BYE both dialogs, end
  void ack_late_offer_unanswered();               // a held ACK goes (empty) before the dialog ends
  void roll_back_offer();
  void log_ports() const;
  // Session timers: each leg's expiry (and the SBC's refresh where it is the
  // refresher) armed from the 2xx and again at each refresh.
  void start_session_timers();
  void session_refreshed(Side s);
  void send_session_refresh(Side s);
  static size_t index(Side s) { return s == Side::a ? 0 : 1; }
  SipHandle dialog_of(Side s) const { return s == Side::a ? in_.a : b_; }
  void arm(CallTimers::Id& slot, std::chrono::milliseconds d, std::function<void()> cb);
  void disarm(CallTimers::Id& slot);
  Ipv4Address leg_address(const std::string& leg) const;

  CallId id_;
  CallContext& ctx_;
  policy::PolicyPtr policy_;  // the snapshot the call started with, for its whole life
  const policy::Peer* source_;
  InboundCall in_;
  policy::RouteDecision decision_;
  std::optional<sip::SdpSession> offer_;  // none: a late offer
  std::string late_offer_;                // the callee's offer, as it sent it
  bool late_ack_pending_ = false;         // the callee's 2xx waits for the caller's answer
  State state_ = State::calling;

  size_t next_candidate_ = 0;
  const policy::Peer* dest_ = nullptr;
  SipHandle b_ = 0;
  bool b_provisional_ = false;  // the current attempt sent a 1xx other than 100
  bool dest_channel_ = false;   // the current destination's channel is held
  std::optional<dataplane::MediaSessionId> media_;
  std::string codec_;
  dataplane::MediaSession ports_;
  dataplane::MediaSessionSpec spec_;  // what the dataplane was last given
  // A mid-dialog offer relayed and not answered yet (one at a time: a second
  // one meanwhile, from either side, is glare and gets 491).
  struct PendingOffer {
    Side from = Side::a;
    SipHandle in = 0, out = 0;
    OfferMethod method = OfferMethod::reinvite;
    std::string offer;                        // as the offerer sent it
    dataplane::MediaSessionSpec spec_before;  // to roll back ports added for new streams
    // A re-INVITE without SDP: the other side's 2xx brought the offer
    // (`offer` then), relayed in our 2xx; its answer comes in the offerer's
    // ACK and goes on in the SBC's ACK, held until then.
    bool late = false;
    bool awaiting_ack = false;
  };
  std::optional<PendingOffer> pending_;
  bool held_ = false;
  std::vector<int> failures_;
  // RFC 3262 end to end rather than per leg: an offer or answer in a
  // reliable 18x and in its PRACK belongs to the caller and the callee (per
  // leg the SBC would have to answer a callee's early offer itself), while
  // each leg keeps its own RSeq space; these lists map one to the other.
  // Reliable 18x relayed to the caller and not PRACKed yet, and PRACKs
  // relayed to a callee and not answered yet. A callee sends one reliable
  // 18x at a time (RFC 3262 3), so a few entries cover failover too; the
  // bound holds against one that does not.
  struct ReliableRelay {
    SipHandle a_rel = 0;  // reliable_provisional_a's id
    SipHandle b = 0;      // the attempt that sent it
    uint32_t rseq = 0;    // its RSeq on the callee's leg
    bool offer = false;   // it brought the callee's offer: the PRACK must answer it
  };
  std::vector<ReliableRelay> reliable_;
  struct PrackRelay {
    SipHandle in = 0, out = 0;
  };
  std::vector<PrackRelay> pracks_;
  static constexpr size_t kReliableKept = 8;
  // A late offer answered early: the callee's offer came in a reliable 18x
  // and the caller's answer in its PRACK, so the 2xx opens nothing new.
  bool early_answered_ = false;
  CallTimers::Id no_provisional_timer_ = 0, ring_timer_ = 0, ack_timer_ = 0;
  CallTimers::Id offer_ack_timer_ = 0;  // a late-offer re-INVITE's ACK from the offerer
  uint64_t sdp_version_ = 1;
  // The current attempt's INVITE: its SDP and Session-Expires, for a retry
  // after a 422 (RFC 4028 7.4); one retry per attempt.
  std::string b_sdp_;
  uint32_t b_session_expires_ = 0;
  bool b_retried_422_ = false;
  uint32_t b_min_se() const;
  struct LegTimers {
    LegSessionTimer leg;
    CallTimers::Id expiry = 0, refresh = 0;
    SipHandle refresh_out = 0;    // the SBC's refresh in flight
    bool update_refused = false;  // the peer answered our UPDATE 405/501: re-INVITE
  };
  LegTimers session_[2];
  std::string last_sdp_[2];  // the last SDP sent to each side (anchor)
  CallRecord record_;
};

const char* to_string(Call::State s);

// A final response on a B handle no live attempt owns (a CANCEL raced by a
// 2xx, a failover, a call that has ended): a 2xx is acknowledged and hung up
// so the callee stops, then the handle is released.
void handle_orphan_response(CallSignalling& signalling, SipHandle b, int status);

}  // namespace sbc::controlplane
