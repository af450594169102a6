// The B2BUA: owns every call, decides on new INVITEs (identify the peer,
// route, admit), and dispatches what SIP and the dataplane report to the call
// it belongs to. Pure logic like Call: the nta adapter and sbcd feed it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "controlplane/call.h"
#include "policy/live_state.h"
#include "policy/resolved_sources.h"

namespace sbc::controlplane {

// Live facts the B2BUA does not own (registrar, health probing, bans), asked
// through functions so the B2BUA is testable before those parts exist. An
// unset function means: registered, healthy, not banned, not overloaded,
// every DNS name resolved.
struct LiveFacts {
  std::function<bool(const policy::Peer&)> registered;
  std::function<bool(const policy::Peer&)> healthy;
  std::function<bool(const policy::Peer&)> banned;
  std::function<bool()> overloaded;
  std::function<bool(const policy::Peer&)> resolved;  // a trunk's DNS name has addresses
  // The addresses trunks known by DNS name call from (trunk_resolver.h).
  const policy::ResolvedSources* resolved_sources = nullptr;
};

struct B2buaCounters {
  uint64_t invites = 0;
  uint64_t challenged = 0;
  uint64_t refused = 0;           // answered with a failure before any attempt
  uint64_t refused_draining = 0;  // of those: 503 because the SBC is draining
  uint64_t attempts = 0;          // calls started toward a candidate
  uint64_t answered = 0;
  uint64_t ended = 0;  // records emitted: calls that ended and calls refused
};

class B2bua : private policy::LiveState {
 public:
  B2bua(CallSignalling& signalling, dataplane::Dataplane& dataplane, Admission& admission,
        CallTimers& timers, const MonotonicClock& clock, CallSettings settings,
        std::function<policy::PolicyPtr()> current_policy, LiveFacts facts);
  ~B2bua() override;

  // A new INVITE outside any dialog. auth_username: from the Authorization
  // header if any; digest_verified: the signalling layer checked it.
  void on_invite(const InboundCall& in, std::string_view auth_username, bool digest_verified);
  // rseq: a reliable provisional response's RSeq (RFC 3262), else 0.
  void on_b_response(SipHandle b, int status, std::string_view sdp,
                     const sip::SessionTimerHeaders& st = {}, uint32_t rseq = 0);
  // The caller's PRACK (prack: the signalling layer's id, answered through
  // answer_prack) of the reliable 18x `reliable` (reliable_provisional_a's
  // id), and the callee's final answer to a PRACK relayed (prack_b's id).
  void on_prack(SipHandle a, SipHandle prack, SipHandle reliable, std::string_view sdp);
  void on_prack_response(SipHandle out, int status);
  void on_a_ack(SipHandle a, std::string_view sdp = {});  // sdp: the answer to a late offer
  void on_a_cancel(SipHandle a);
  void on_bye(SipHandle dialog);  // either side; the signalling layer has answered it
  void on_dataplane_event(const dataplane::DataplaneEvent& e);
  // A re-INVITE or UPDATE inside a dialog of a call (offer: the signalling
  // layer's id of that transaction, answered through answer_offer), and the
  // final response to one the B2BUA relayed (out: send_offer's id).
  void on_offer(SipHandle dialog, SipHandle offer, OfferMethod m, std::string_view sdp);
  void on_offer_response(SipHandle out, int status, std::string_view sdp);
  // An ACK inside a callee's dialog (the answer to a late-offer re-INVITE
  // the callee sent); the caller's ACKs come through on_a_ack.
  void on_b_ack(SipHandle b, std::string_view sdp);

  // Session timers (RFC 4028): an UPDATE without SDP inside a call's dialog
  // (answered 2xx by the signalling layer), and the final response to a
  // refresh the SBC sent (refresh_session's id).
  void on_session_refresh(SipHandle dialog);
  void on_refresh_response(SipHandle out, int status);

  // Told of every call that ends (call records, metrics).
  void on_call_ended(std::function<void(const CallRecord&)> f) { record_sink_ = std::move(f); }

  // The other side's dialog of an answered call, for what is relayed inside
  // dialogs (INFO); 0 when h is not one side of an answered call.
  SipHandle peer_dialog(SipHandle h) const;

  // Draining (taking the SBC out of service): new calls are refused 503
  // with this Retry-After (seconds) while the calls in progress go on to
  // their end; emergency routes are still placed. Off again: calls are taken.
  void set_draining(bool on, int retry_after_s = 60) {
    draining_ = on;
    drain_retry_after_ = retry_after_s;
  }
  bool draining() const { return draining_; }

  size_t active_calls() const { return calls_.size(); }
  const B2buaCounters& counters() const { return counters_; }
  std::vector<const Call*> calls() const;

 private:
  // policy::LiveState, for routing.
  bool registered(const policy::Peer& p) const override;
  bool healthy(const policy::Peer& p) const override;
  uint32_t channels_in_use(const policy::Peer& p) const override;
  bool cps_available(const policy::Peer& p) const override;
  bool banned(const policy::Peer& p) const override;
  bool overloaded() const override;
  bool resolved(const policy::Peer& p) const override;

  void refuse(const InboundCall& in, const policy::Peer* source, const FinalAnswer& answer);
  void reap(CallId id);  // if that call has ended: forget it, release its handles
  Call* find(CallId id);

  CallSignalling& signalling_;
  Admission& admission_;
  std::function<policy::PolicyPtr()> current_policy_;
  LiveFacts facts_;
  CallContext ctx_;
  std::function<void(const CallRecord&)> record_sink_;

  CallId next_id_ = 1;
  std::map<CallId, std::unique_ptr<Call>> calls_;
  std::unordered_map<SipHandle, CallId> by_a_;
  std::unordered_map<SipHandle, CallId> by_b_;  // every B handle until its final response
  std::unordered_map<dataplane::MediaSessionId, CallId> by_media_;
  // Relayed offers and PRACKs, and the SBC's session refreshes, until their
  // final response.
  std::unordered_map<SipHandle, CallId> by_offer_;
  std::unordered_map<CallId, std::vector<dataplane::MediaSessionId>> media_of_;
  B2buaCounters counters_;
  bool draining_ = false;
  int drain_retry_after_ = 60;
};

}  // namespace sbc::controlplane
