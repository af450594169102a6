// telephone-event renumbering toward a peer that insists on one number, on
// real SDP bodies: the offer, the answer mapped back, collisions, and what
// the dataplane is told.
#include "controlplane/telephone_event_map.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::controlplane {
namespace {

sip::SdpSession sdp(const std::string& media) {
  auto s = sip::SdpSession::parse(
      "v=0\r\no=- 1 1 IN IP4 198.18.1.10\r\ns=-\r\nc=IN IP4 198.18.1.10\r\nt=0 0\r\n" + media);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return std::move(*s);
}

std::string printed(const sip::SdpSession& s) {
  auto p = s.print();
  return p.ok() ? *p : p.error().message;
}

policy::Peer insisting(uint8_t pt) {
  policy::Peer p;
  p.name = "carrier";
  p.media.telephone_event_pt = pt;
  return p;
}

const std::string kPhone =
    "m=audio 4000 RTP/AVP 8 0 96\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n";

TEST(TelephoneEventMap, OfferTowardAnInsistingPeerIsRenumberedAndTheAnswerMappedBack) {
  auto offer = sdp(kPhone);
  const policy::Peer carrier = insisting(101);
  const auto r = event_renumbering(offer, &carrier);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (EventRenumbering{96, 101}));
  ASSERT_TRUE(renumber_events(offer, r).ok());
  const std::string out = printed(offer);
  EXPECT_NE(out.find("m=audio 4000 RTP/AVP 8 0 101\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=rtpmap:101 telephone-event/8000\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=fmtp:101 0-16\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find(":96"), std::string::npos) << out;

  // The carrier answers in its numbers; the phone gets its own back.
  auto answer = sdp("m=audio 6000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n");
  ASSERT_TRUE(renumber_events(answer, r).ok());
  const std::string back = printed(answer);
  EXPECT_NE(back.find("m=audio 6000 RTP/AVP 8 96\r\n"), std::string::npos) << back;
  EXPECT_NE(back.find("a=rtpmap:96 telephone-event/8000\r\n"), std::string::npos) << back;
}

TEST(TelephoneEventMap, ACodecAlreadyUsingTheNumberTakesTheEventsOldOne) {
  auto offer =
      sdp("m=audio 4000 RTP/AVP 101 96\r\na=rtpmap:101 opus/48000/2\r\n"
          "a=fmtp:101 useinbandfec=1\r\na=rtpmap:96 telephone-event/8000\r\n");
  const policy::Peer carrier = insisting(101);
  const auto r = event_renumbering(offer, &carrier);
  ASSERT_TRUE(renumber_events(offer, r).ok());
  const std::string out = printed(offer);
  EXPECT_NE(out.find("m=audio 4000 RTP/AVP 96 101\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=rtpmap:96 opus/48000/2\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=fmtp:96 useinbandfec=1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=rtpmap:101 telephone-event/8000\r\n"), std::string::npos) << out;
  // Each keeps its number in the answer back: the exchange undoes itself.
  auto answer =
      sdp("m=audio 6000 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\n"
          "a=rtpmap:101 telephone-event/8000\r\n");
  ASSERT_TRUE(renumber_events(answer, r).ok());
  const std::string back = printed(answer);
  EXPECT_NE(back.find("m=audio 6000 RTP/AVP 101 96\r\n"), std::string::npos) << back;
  EXPECT_NE(back.find("a=rtpmap:101 opus/48000/2\r\n"), std::string::npos) << back;
  EXPECT_NE(back.find("a=rtpmap:96 telephone-event/8000\r\n"), std::string::npos) << back;
}

TEST(TelephoneEventMap, NothingToDo) {
  const policy::Peer carrier = insisting(101);
  const policy::Peer indifferent;
  // No setting, or no peer.
  EXPECT_EQ(event_renumbering(sdp(kPhone), &indifferent)[0], EventRenumbering{});
  EXPECT_EQ(event_renumbering(sdp(kPhone), nullptr)[0], EventRenumbering{});
  // Already the peer's number.
  EXPECT_EQ(event_renumbering(sdp("m=audio 4000 RTP/AVP 0 101\r\n"
                                  "a=rtpmap:101 telephone-event/8000\r\n"),
                              &carrier)[0],
            EventRenumbering{});
  // No telephone-event to renumber (nothing is added).
  EXPECT_EQ(event_renumbering(sdp("m=audio 4000 RTP/AVP 0\r\n"), &carrier)[0], EventRenumbering{});
  // Declined.
  EXPECT_EQ(event_renumbering(sdp("m=audio 0 RTP/AVP 0 96\r\n"
                                  "a=rtpmap:96 telephone-event/8000\r\n"),
                              &carrier)[0],
            EventRenumbering{});
  // SRTP: the relay cannot rewrite an authenticated header.
  EXPECT_EQ(event_renumbering(sdp("m=audio 4000 RTP/SAVP 0 96\r\n"
                                  "a=rtpmap:96 telephone-event/8000\r\n"),
                              &carrier)[0],
            EventRenumbering{});
  EXPECT_EQ(event_renumbering(sdp(kPhone + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                                           "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"),
                              &carrier)[0],
            EventRenumbering{});
}

TEST(TelephoneEventMap, OnlyTheFirstEventEntryIsRenumbered) {
  auto offer =
      sdp("m=audio 4000 RTP/AVP 111 8 110 96\r\na=rtpmap:111 opus/48000/2\r\n"
          "a=rtpmap:110 telephone-event/48000\r\na=rtpmap:96 telephone-event/8000\r\n");
  const policy::Peer carrier = insisting(101);
  EXPECT_EQ(event_renumbering(offer, &carrier)[0], (EventRenumbering{110, 101}));
}

TEST(TelephoneEventMap, TheDataplaneGetsEachSidesNumbers) {
  dataplane::MediaSessionSpec spec;
  spec.streams.resize(2);
  std::vector<EventRenumbering> r = {{96, 101}};
  set_event_numbers(spec, r, true);  // a offered
  EXPECT_EQ(spec.streams[0].a.telephone_event_pt, 96);
  EXPECT_EQ(spec.streams[0].b.telephone_event_pt, 101);
  EXPECT_EQ(spec.streams[1].a.telephone_event_pt, 0);  // no entry: nothing mapped
  set_event_numbers(spec, r, false);                   // b offered
  EXPECT_EQ(spec.streams[0].b.telephone_event_pt, 96);
  EXPECT_EQ(spec.streams[0].a.telephone_event_pt, 101);
  // A renegotiation without renumbering clears it.
  set_event_numbers(spec, {EventRenumbering{}}, true);
  EXPECT_EQ(spec.streams[0].a.telephone_event_pt, 0);
  EXPECT_EQ(spec.streams[0].b.telephone_event_pt, 0);
}

}  // namespace
}  // namespace sbc::controlplane
