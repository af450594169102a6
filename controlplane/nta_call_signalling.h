// CallSignalling over Sofia-SIP nta: the B2BUA's two dialogs per call as real
// SIP. Each side is built from nothing of the other (topology hiding): the B
// side gets a new Call-ID, From tag, Via and Contact on its own leg's agent,
// and the A side only ever sees the SBC's Contact on the A leg. What crosses
// is what Call decides: numbers, the rewritten SDP, statuses, and
// Max-Forwards (decremented, so loops still end).
//
// Lifetime: nta objects are destroyed on the event loop after release(),
// never inside their own callbacks (release() is usually called from one).
#pragma once

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controlplane/call.h"
#include "controlplane/call_signalling.h"
#include "controlplane/event_loop.h"
#include "controlplane/registrar/auth_failure_tracker.h"
#include "controlplane/registrar/digest_authenticator.h"
#include "sip/sip_agent.h"

namespace sbc::controlplane {

class B2bua;

struct NtaCallSignallingCounters {
  uint64_t dialogs = 0;            // handles created (A and B)
  uint64_t in_dialog_refused = 0;  // requests inside a dialog refused (501, 481, 400, 489)
  uint64_t offers_in = 0;          // re-INVITE/UPDATE with an offer handed to the B2BUA
  uint64_t offers_out = 0;         // re-INVITE/UPDATE relayed to the other side
  uint64_t refreshes_out = 0;      // session refreshes (UPDATE) the SBC sent itself
  uint64_t auth_failed = 0;        // INVITE credentials that did not verify
  uint64_t banned = 0;             // INVITEs refused 403 from a banned source or user
  uint64_t relayed = 0;            // INFO/OPTIONS/MESSAGE/REFER/NOTIFY passed to the other dialog
  uint64_t extension_refused = 0;  // INVITEs answered 420 (a Require other than timer, 100rel)
  // RFC 3262 (100rel/PRACK).
  uint64_t reliable_in = 0;             // callees' reliable 18x passed to the B2BUA
  uint64_t reliable_retransmitted = 0;  // their retransmissions (RSeq not new): dropped
  uint64_t reliable_without_rseq = 0;   // Require: 100rel without a usable RSeq: unreliable
  uint64_t reliable_other_fork = 0;     // a second early dialog's reliable 18x: unreliable
  uint64_t reliable_out = 0;            // reliable 18x sent to callers
  uint64_t reliable_timed_out = 0;      // callers that never PRACKed (nta answered 503)
  uint64_t pracks_in = 0;               // callers' PRACKs handed to the B2BUA
  uint64_t pracks_out = 0;              // PRACKs sent to callees
};

class NtaCallSignalling final : public CallSignalling {
 public:
  struct Leg {
    sip::SipAgent* agent = nullptr;
    Ipv4Address address;  // the SBC's address on the leg (From host of outbound INVITEs)
  };

  NtaCallSignalling(EventLoop& loop, std::map<std::string, Leg> legs, std::string realm);
  ~NtaCallSignalling() override;
  NtaCallSignalling(const NtaCallSignalling&) = delete;
  NtaCallSignalling& operator=(const NtaCallSignalling&) = delete;

  // Where events go; set once, before the first INVITE.
  void attach(B2bua& b2bua) { b2bua_ = &b2bua; }

  // Digest for INVITEs from phones (Proxy-Authorization, answered 407): the
  // registrar's authenticator with its own nonces. Without one, credentials
  // are never taken as verified and only IP-trusted peers can call.
  struct InviteAuth {
    registrar::DigestAuthenticator* authenticator = nullptr;
    registrar::CredentialLookup lookup;
    // The registrar's failure counting and bans, shared with REGISTER: a
    // password guesser is banned whichever method it guesses with.
    registrar::AuthFailureTracker* failures = nullptr;
    std::function<bool(Ipv4Address)> address_in_use;    // a registered phone sits there
    std::function<void(const registrar::Ban&)> on_ban;  // a failure here caused a ban
  };
  void set_invite_auth(InviteAuth auth) { auth_ = std::move(auth); }

  // Where a peer without an address is reached: its live registration's
  // Contact (the Request-URI) and the address the REGISTER came from (where
  // the INVITE is sent, through the phone's NAT). nullopt: not registered.
  struct Registered {
    std::string contact;  // "sip:alice@198.18.1.12:5060"
    Ipv4Address address;
    uint16_t port = 5060;
    bool tcp = false;
  };
  using ContactLookup = std::function<std::optional<Registered>(const policy::Peer&)>;
  void set_contact_lookup(ContactLookup f) { contact_of_ = std::move(f); }
  // Where a trunk named by DNS is sent now ("IP:PORT", trunk_resolver.h);
  // nullopt while its name has no address.
  using NameLookup = std::function<std::optional<std::string>(const policy::Peer&)>;
  void set_name_lookup(NameLookup f) { name_of_ = std::move(f); }

  // An INVITE outside any dialog, already past sip::check_request, from the
  // agent of `leg`. Returns what SipAgent's handler returns (0: kept).
  int on_invite(const std::string& leg, nta_incoming_t* irq, const sip_t* sip);

  size_t live_handles() const { return dialogs_.size(); }
  const NtaCallSignallingCounters& counters() const { return counters_; }

  // CallSignalling.
  void provisional_a(SipHandle a, int status, std::string_view sdp) override;
  Result<SipHandle> reliable_provisional_a(SipHandle a, int status, std::string_view sdp) override;
  void answer_prack(SipHandle prack, int status, std::string_view sdp) override;
  void answer_a(SipHandle a, std::string_view sdp) override;
  void reject_a(SipHandle a, const FinalAnswer& answer) override;
  void challenge_a(SipHandle a) override;
  Result<SipHandle> invite_b(const OutgoingInvite& invite) override;
  void cancel_b(SipHandle b) override;
  void ack_b(SipHandle b, std::string_view sdp) override;
  Result<SipHandle> prack_b(SipHandle b, uint32_t rseq, std::string_view sdp) override;
  void bye(SipHandle dialog) override;
  Result<SipHandle> send_offer(SipHandle dialog, OfferMethod m, std::string_view sdp) override;
  void ack_offer(SipHandle out, std::string_view sdp) override;
  void answer_offer(SipHandle offer, int status, std::string_view sdp, std::string_view warning,
                    std::optional<int> retry_after) override;
  void session_timer(SipHandle dialog, const LegSessionTimer& t) override;
  Result<SipHandle> refresh_session(SipHandle dialog, std::string_view sdp) override;
  void release(SipHandle h) override;

 private:
  struct Dialog;
  // A request relayed from one dialog of a call to the other (INFO,
  // OPTIONS, MESSAGE, REFER, NOTIFY): the sender's transaction waits for the
  // other side's final answer, which it gets.
  struct Relay {
    NtaCallSignalling* self = nullptr;
    SipHandle from = 0, to = 0;
    nta_incoming_t* irq = nullptr;  // null once answered
    nta_outgoing_t* orq = nullptr;
    bool done = false;  // answered: orq destroyed on the loop
  };
  // A re-INVITE or UPDATE: one that came in (its transaction waits for
  // answer_offer) or one the B2BUA sent (its response goes to the B2BUA).
  struct OfferTx {
    NtaCallSignalling* self = nullptr;
    SipHandle id = 0, dialog = 0;
    OfferMethod method = OfferMethod::reinvite;
    nta_incoming_t* irq = nullptr;  // in: destroyed on the loop once answered
    nta_outgoing_t* orq = nullptr;  // out: moves to its dialog once final
    bool done = false;
    bool late = false;            // out: a re-INVITE without SDP (its 2xx brings the offer)
    bool keep_until_ack = false;  // in: a re-INVITE answered 2xx; its ACK comes to the irq
    bool acked = false;
    bool awaiting_ack = false;  // out: that 2xx waits for ack_offer
    bool refresh = false;       // out: the SBC's own session refresh (UPDATE or re-INVITE)
  };
  // A PRACK: a caller's (its transaction waits for answer_prack) or one
  // the SBC sent to a callee (its final response goes to the B2BUA).
  struct PrackTx {
    NtaCallSignalling* self = nullptr;
    SipHandle id = 0, dialog = 0;
    nta_incoming_t* irq = nullptr;  // in: destroyed on the loop once answered
    nta_outgoing_t* orq = nullptr;  // out: destroyed on the loop once final
    bool done = false;
  };
  // A reliable 18x sent to a caller: its id for the B2BUA and its dialog.
  struct ReliableOut {
    SipHandle id = 0, dialog = 0;
  };
  static int on_prack(nta_reliable_magic_t* magic, nta_reliable_t* rel, nta_incoming_t* prack,
                      const sip_t* sip);
  static int on_prack_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, const sip_t* sip);
  // A callee's 1xx: its RSeq when it is a new reliable one this dialog can
  // PRACK, 0 when it is handled as unreliable; nullopt for a retransmission.
  std::optional<uint32_t> reliable_rseq(Dialog& d, const sip_t* sip);
  Dialog* find(SipHandle h) const;
  int take_offer(Dialog& d, nta_incoming_t* irq, const sip_t* sip);
  Result<SipHandle> send_in_dialog(SipHandle dialog, OfferMethod m, std::string_view sdp,
                                   bool refresh);
  static int on_offer_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, const sip_t* sip);
  int relay_request(Dialog& from, nta_incoming_t* irq, const sip_t* sip);
  // The SBC's host[:port] on a dialog's leg (its Contact there).
  static std::string sbc_hostport(const Dialog& d);
  void schedule_flush();
  Dialog* create(bool a_side, const std::string& leg);
  void destroy_released();  // on the loop, outside nta callbacks

  static int on_dialog_request(nta_leg_magic_t* magic, nta_leg_t* leg, nta_incoming_t* irq,
                               const sip_t* sip);
  static int on_ack_or_cancel(nta_incoming_magic_t* magic, nta_incoming_t* irq, const sip_t* sip);
  static int on_invite_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, const sip_t* sip);
  static int on_other_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, const sip_t* sip);
  static int on_relay_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, const sip_t* sip);
  int dialog_request(Dialog& d, nta_incoming_t* irq, const sip_t* sip);

  EventLoop& loop_;
  std::map<std::string, Leg> legs_;
  std::string realm_;
  B2bua* b2bua_ = nullptr;
  InviteAuth auth_;
  ContactLookup contact_of_;
  NameLookup name_of_;
  SipHandle next_handle_ = 1;
  std::unordered_map<SipHandle, std::unique_ptr<Dialog>> dialogs_;
  std::vector<std::unique_ptr<Dialog>> released_;
  std::vector<std::unique_ptr<Relay>> relays_;
  std::unordered_map<SipHandle, std::unique_ptr<OfferTx>> offers_in_, offers_out_;
  std::unordered_map<SipHandle, std::unique_ptr<PrackTx>> pracks_in_, pracks_out_;
  // Reliable 18x not PRACKed yet (a second PRACK of one gets 481); nta
  // owns them, and they are destroyed with their dialog.
  std::unordered_map<nta_reliable_t*, ReliableOut> reliables_;
  // REFERs relayed: (dialog it went out on, its CSeq there) -> the CSeq the
  // referrer used, for the Event id of the NOTIFYs that come back.
  std::map<std::pair<SipHandle, uint32_t>, uint32_t> refer_cseqs_;
  static constexpr size_t kRefersKept = 8;
  EventLoop::TimerId flush_timer_ = -1;  // pending destroy_released(), -1 if none
  NtaCallSignallingCounters counters_;
};

}  // namespace sbc::controlplane
