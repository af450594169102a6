// What a call asks of SIP, and nothing else: the B2BUA's call logic speaks to
// both legs through this interface. The nta implementation builds real
// messages (new Call-ID, tags, Via and Contact per leg: topology hiding);
// unit tests use a fake that records what was asked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "controlplane/call_outcome.h"
#include "controlplane/call_session_timer.h"
#include "policy/peer.h"

namespace sbc::controlplane {

// An inbound INVITE transaction and its dialog (A side), or an outbound INVITE
// and its dialog (B side). Owned by the signalling layer.
using SipHandle = uint64_t;

// A mid-dialog offer's method: a re-INVITE (answered with a 2xx the caller
// ACKs) or an UPDATE (RFC 3311, answered directly).
enum class OfferMethod : uint8_t { reinvite, update };
const char* to_string(OfferMethod m);

struct OutgoingInvite {
  const policy::Peer* peer = nullptr;  // where to (address from the peer or its registration)
  std::string called;                  // Request-URI user, as this peer gets it
  std::string caller;                  // From user, as this peer gets it
  std::string sdp;                     // the offer, already anchored and hidden
  int max_forwards = 70;               // the inbound one less one: loops still end
  std::string asserted_identity{};     // P-Asserted-Identity value; empty: none (RFC 3325)
  std::string privacy{};               // Privacy value; empty: none
  // Session-Expires and Min-SE to ask for (RFC 4028, seconds); 0: none.
  uint32_t session_expires = 0;
  uint32_t min_se = 0;
  // Offer reliable provisional responses (RFC 3262: Supported: 100rel):
  // only when the caller can take them, so the callee's reliable 18x can be
  // relayed end to end.
  bool offer_100rel = false;
};

class CallSignalling {
 public:
  virtual ~CallSignalling() = default;

  // A side.
  virtual void provisional_a(SipHandle a, int status, std::string_view sdp) = 0;
  // A reliable provisional response (RFC 3262) with its own RSeq on the
  // caller's leg, retransmitted by the layer until the caller PRACKs it;
  // that PRACK comes back through B2bua::on_prack with the returned id. An
  // error (nothing sent) when the caller's INVITE allowed no 100rel.
  virtual Result<SipHandle> reliable_provisional_a(SipHandle a, int status,
                                                   std::string_view sdp) = 0;
  // The final answer to a caller's PRACK (on_prack's id), with an SDP
  // answer when the PRACK carried one.
  virtual void answer_prack(SipHandle prack, int status, std::string_view sdp) = 0;
  virtual void answer_a(SipHandle a, std::string_view sdp) = 0;  // 200 OK
  // A final failure (Retry-After with a 503, Min-SE with a 422).
  virtual void reject_a(SipHandle a, const FinalAnswer& answer) = 0;
  // 407 with a fresh digest challenge (a phone that sent no or stale credentials).
  virtual void challenge_a(SipHandle a) = 0;

  // B side. Responses come back through B2bua::on_b_response.
  virtual Result<SipHandle> invite_b(const OutgoingInvite& invite) = 0;
  virtual void cancel_b(SipHandle b) = 0;
  // The ACK of a 2xx (the B2BUA's own); sdp: the answer, when the 2xx
  // carried the offer (a late offer), else empty.
  virtual void ack_b(SipHandle b, std::string_view sdp) = 0;
  // A PRACK (RFC 3262) in B's early dialog for its reliable provisional
  // response `rseq`, with sdp the answer to an offer that response brought
  // (empty: none). Its final response comes back through
  // B2bua::on_prack_response with the returned id.
  virtual Result<SipHandle> prack_b(SipHandle b, uint32_t rseq, std::string_view sdp) = 0;

  // Either established dialog.
  virtual void bye(SipHandle dialog) = 0;
  // A mid-dialog offer (hold, resume, codec change, new address) toward this
  // dialog's peer; the SDP is already anchored and hidden. Its final response
  // comes back through B2bua::on_offer_response with the returned id; the
  // layer ACKs a re-INVITE's 2xx itself.
  virtual Result<SipHandle> send_offer(SipHandle dialog, OfferMethod m, std::string_view sdp) = 0;
  // The ACK of the 2xx to a re-INVITE sent without SDP (its 2xx brought the
  // offer): sdp is the answer, empty when there is none to give.
  virtual void ack_offer(SipHandle out, std::string_view sdp) = 0;
  // The final answer to an offer that came in through B2bua::on_offer: a 2xx
  // with the SDP answer, or a failure (warning: the text of a Warning header,
  // empty for none; retry_after: seconds, for 491/500).
  virtual void answer_offer(SipHandle offer, int status, std::string_view sdp,
                            std::string_view warning, std::optional<int> retry_after) = 0;
  // The session timer negotiated on this dialog's leg (RFC 4028): the layer
  // writes Session-Expires (and Require: timer where the peer refreshes)
  // into the 2xx to the caller's INVITE and into every re-INVITE and UPDATE
  // and their 2xx on this dialog from now on.
  virtual void session_timer(SipHandle dialog, const LegSessionTimer& t) = 0;
  // A session refresh the SBC sends itself: an UPDATE without a body (RFC
  // 4028 10), or with sdp a re-INVITE carrying it (the session unchanged,
  // for a peer that refuses UPDATE; the layer ACKs its 2xx). Its final
  // response comes back through B2bua::on_refresh_response with the
  // returned id.
  virtual Result<SipHandle> refresh_session(SipHandle dialog, std::string_view sdp) = 0;
  // The call is done with this handle: release what the layer holds for it.
  virtual void release(SipHandle h) = 0;
};

}  // namespace sbc::controlplane
