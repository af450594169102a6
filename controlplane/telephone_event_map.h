// RFC 4733 telephone-event (DTMF) numbered as each peer wants it (docs/
// b2bua.md "DTMF"). Payload type numbers normally pass through the SDP
// unchanged: each endpoint sends with the numbers its peer declared, and no
// mapping is needed. A peer with `media.telephone_event_pt` insists on one
// number, so one offer/answer exchange toward it becomes:
//  - the offer it gets numbers telephone-event with its PT, exchanging
//    numbers with any payload that had it (SdpSession::swap_payload_types);
//  - its answer gets the same exchange back, so the offerer sees its own
//    numbers;
//  - the dataplane exchanges the two numbers in the RTP of that stream,
//    both ways (MediaSide::telephone_event_pt).
// Stateless: every exchange is derived again from the offer as received and
// the policy the call started with, so a re-INVITE renegotiates it.
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"
#include "dataplane/media_session.h"
#include "policy/peer.h"
#include "sip/sdp_session.h"

namespace sbc::controlplane {

// One stream's exchange: the offerer's telephone-event number and the one
// the answerer gets; 0/0 when nothing is renumbered.
struct EventRenumbering {
  uint8_t offerer = 0;
  uint8_t answerer = 0;
  bool operator==(const EventRenumbering&) const = default;
};

// What an offer (as the offerer sent it) needs toward `answerer`, per
// stream. Nothing for a declined stream, one without telephone-event, one
// already numbered that way, or SRTP (RTP/SAVP or a=crypto: the header is
// authenticated end to end, a rewritten payload type would fail the
// receiver's check), and nothing when the peer sets no number.
std::vector<EventRenumbering> event_renumbering(const sip::SdpSession& offer,
                                                const policy::Peer* answerer);

// Applies it to the offer toward the answerer, or to the answer on its way
// back (the exchange is its own inverse).
Status renumber_events(sip::SdpSession& sdp, const std::vector<EventRenumbering>& r);

// The numbers the dataplane maps between, on each stream's two sides;
// offerer_is_a: side a sent the offer. Streams without an exchange are
// cleared (a renegotiation may end one).
void set_event_numbers(dataplane::MediaSessionSpec& spec, const std::vector<EventRenumbering>& r,
                       bool offerer_is_a);

}  // namespace sbc::controlplane
