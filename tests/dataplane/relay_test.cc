// Media relay through a pinhole pair: latching, the rewrite of every header
// field (compared byte for byte with a frame built independently, checksums
// included), RTCP and rtcp-mux, and the relay's drop reasons.
#include <gtest/gtest.h>

#include "dataplane/checksum.h"
#include "dataplane/kernel_interface.h"
#include "tests/dataplane/test_hosts.h"
#include "tests/dataplane/two_leg_harness.h"

namespace sbc::dataplane::test {
namespace {

class Relay : public testing::Test {
 protected:
  void SetUp() override { start(TwoLegHarness::Options{}); }
  void start(const TwoLegHarness::Options& o) {
    h_ = std::make_unique<TwoLegHarness>(o);
    ASSERT_TRUE(h_->ok()) << h_->error();
    ASSERT_TRUE(h_->dp().set_neighbour(kAccess, Ipv4Address{phone_ip()}, kPhoneMac).ok());
    ASSERT_TRUE(h_->dp().set_neighbour(kCore, Ipv4Address{carrier_ip()}, kCarrierMac).ok());
    ASSERT_TRUE(h_->dp().set_neighbour(kCore, Ipv4Address{ip("198.18.2.254")}, kGatewayMac).ok());
  }
  void TearDown() override {
    if (!h_ || !h_->ok()) return;
    h_->quiesce();
    EXPECT_EQ(h_->mbufs_in_use(), 0u) << "mbuf leak";
  }

  MediaSession open(LatchMode a_latch = LatchMode::ip, LatchMode b_latch = LatchMode::ip,
                    bool mux = false, uint32_t carrier = carrier_ip()) {
    MediaSessionSpec spec;
    MediaStreamSpec s;
    s.a = {"access", Ipv4Address{phone_ip()}, 4000, a_latch};
    s.b = {"core", Ipv4Address{carrier}, 6000, b_latch};
    s.rtcp_mux = mux;
    spec.streams.push_back(s);
    auto m = h_->dp().open_media(spec);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? *m : MediaSession{};
  }

  // A frame from the phone to the SBC's access port.
  UdpFrame from_phone(uint16_t sbc_port, uint16_t seq = 1, uint16_t src_port = 4000) {
    return h_->rtp_frame_from_phone(sbc_port, seq, src_port);
  }
  UdpFrame from_carrier(uint16_t sbc_port, uint16_t seq = 1) {
    UdpFrame f;
    f.dst_mac = h_->port_mac(kCore);
    f.src_mac = kCarrierMac;
    f.src_ip = carrier_ip();
    f.dst_ip = core_ip();
    f.src_port = 6000;
    f.dst_port = sbc_port;
    f.payload = rtp_payload(seq);
    return f;
  }

  std::vector<DataplaneEvent> events() {
    std::vector<DataplaneEvent> out;
    h_->dp().drain_events(out, 100);
    return out;
  }

  std::unique_ptr<TwoLegHarness> h_;
};

TEST_F(Relay, PhoneToCarrierRewritesEveryHeaderAndKeepsChecksumsRight) {
  MediaSession m = open();
  ASSERT_EQ(m.streams.size(), 1u);
  const uint16_t a = m.streams[0].a_port, b = m.streams[0].b_port;
  EXPECT_EQ(m.streams[0].a_address, Ipv4Address{access_ip()});
  UdpFrame in = from_phone(a, 7);
  h_->inject(kAccess, in.build());
  h_->poll();
  auto out = h_->take_wire(kCore);
  ASSERT_EQ(out.size(), 1u);

  UdpFrame want = in;  // same payload and IP id; new L2, L3, L4, TTL
  want.dst_mac = kCarrierMac;
  want.src_mac = h_->port_mac(kCore);
  want.src_ip = core_ip();
  want.dst_ip = carrier_ip();
  want.src_port = b;
  want.dst_port = 6000;
  want.ttl = 63;
  EXPECT_EQ(hex(out[0]), hex(want.build()));
  EXPECT_TRUE(ipv4_header_checksum_ok(out[0], 14));
  EXPECT_TRUE(udp_checksum_ok(out[0], 14));
  EXPECT_EQ(h_->leg_stats(kAccess).relayed_packets, 1u);
  EXPECT_EQ(h_->leg_stats(kCore).tx_packets, 1u);
  // Bytes per leg: the frame as it arrived, and as it left.
  EXPECT_EQ(h_->leg_stats(kAccess).rx_bytes, in.build().size());
  EXPECT_EQ(h_->leg_stats(kCore).tx_bytes, out[0].size());
  EXPECT_EQ(h_->leg_stats(kAccess).tx_bytes, 0u);
}

TEST_F(Relay, ZeroUdpChecksumStaysZero) {
  MediaSession m = open();
  UdpFrame in = from_phone(m.streams[0].a_port);
  in.udp_checksum = false;
  h_->inject(kAccess, in.build());
  h_->poll();
  auto out = h_->take_wire(kCore);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0][14 + 20 + 6], 0);
  EXPECT_EQ(out[0][14 + 20 + 7], 0);
  EXPECT_TRUE(ipv4_header_checksum_ok(out[0], 14));
}

TEST_F(Relay, ChecksumsStayRightOverManyAddressAndPayloadCombinations) {
  MediaSession m = open(LatchMode::any, LatchMode::ip);
  const uint16_t a = m.streams[0].a_port;
  // Latch on one source, then vary payloads: every output verified by a
  // from-scratch checksum.
  for (uint16_t seq = 1; seq <= 200; ++seq) {
    UdpFrame in = from_phone(a, seq);
    for (size_t k = 12; k < in.payload.size(); ++k)
      in.payload[k] = static_cast<uint8_t>(seq * 31 + k * 7);
    in.payload.resize(12 + seq % 150);
    in.ttl = static_cast<uint8_t>(2 + seq % 250);
    h_->inject(kAccess, in.build());
    h_->poll();
    auto out = h_->take_wire(kCore);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(ipv4_header_checksum_ok(out[0], 14)) << seq;
    ASSERT_TRUE(udp_checksum_ok(out[0], 14)) << seq;
    ASSERT_EQ(out[0][14 + 8], in.ttl - 1);
  }
}

TEST_F(Relay, LatchesOnFirstPacketThenDropsOtherSources) {
  MediaSession m = open(LatchMode::ip, LatchMode::ip);
  const uint16_t a = m.streams[0].a_port;
  // The phone's port differs from the SDP's (a NAT that kept the address):
  // latch mode `ip` learns it.
  h_->inject(kAccess, from_phone(a, 1, 4444).build());
  h_->poll();
  EXPECT_EQ(h_->take_wire(kCore).size(), 1u);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, EventType::latched);
  EXPECT_EQ(ev[0].session, m.id);
  EXPECT_EQ(ev[0].side, 0);
  EXPECT_FALSE(ev[0].rtcp);
  EXPECT_EQ(ev[0].remote, Ipv4Address{phone_ip()});
  EXPECT_EQ(ev[0].remote_port, 4444);
  EXPECT_EQ(ev[0].remote_mac, kPhoneMac);

  // Same address, other port: wrong source now that the port is latched.
  h_->inject(kAccess, from_phone(a, 2, 4000).build());
  // Another host on the access network.
  UdpFrame stranger = from_phone(a, 3, 4444);
  stranger.src_ip = phone2_ip();
  stranger.src_mac = kStrangerMac;
  h_->inject(kAccess, stranger.build());
  h_->poll();
  EXPECT_TRUE(h_->take_wire(kCore).empty());
  EXPECT_EQ(h_->drops(kAccess, DropReason::wrong_source), 2u);
  // The latched source keeps flowing; no second event.
  h_->inject(kAccess, from_phone(a, 4, 4444).build());
  h_->poll();
  EXPECT_EQ(h_->take_wire(kCore).size(), 1u);
  EXPECT_TRUE(events().empty());
}

TEST_F(Relay, StrictModeAcceptsOnlyTheSdpAddressAndPort) {
  MediaSession m = open(LatchMode::strict, LatchMode::ip);
  const uint16_t a = m.streams[0].a_port;
  h_->inject(kAccess, from_phone(a, 1, 4444).build());
  h_->poll();
  EXPECT_EQ(h_->drops(kAccess, DropReason::wrong_source), 1u);
  EXPECT_TRUE(h_->take_wire(kCore).empty());
  h_->inject(kAccess, from_phone(a, 2, 4000).build());
  h_->poll();
  EXPECT_EQ(h_->take_wire(kCore).size(), 1u);
}

TEST_F(Relay, AnyModeLatchesWhateverComesFirst) {
  MediaSession m = open(LatchMode::any, LatchMode::ip);
  const uint16_t a = m.streams[0].a_port;
  UdpFrame natted = from_phone(a, 1, 31337);
  natted.src_ip = ip("198.18.1.254");  // the NAT router's public side
  h_->inject(kAccess, natted.build());
  h_->inject(kAccess, from_phone(a, 2).build());  // the SDP's address, too late
  h_->poll();
  EXPECT_EQ(h_->take_wire(kCore).size(), 1u);
  EXPECT_EQ(h_->drops(kAccess, DropReason::wrong_source), 1u);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].remote, Ipv4Address{ip("198.18.1.254")});
  EXPECT_EQ(ev[0].remote_port, 31337);
}

TEST_F(Relay, ReverseDirectionGoesToTheLatchedAddress) {
  MediaSession m = open(LatchMode::any, LatchMode::ip);
  const uint16_t a = m.streams[0].a_port, b = m.streams[0].b_port;
  UdpFrame natted = from_phone(a, 1, 31337);
  natted.src_ip = ip("198.18.1.254");
  natted.src_mac = kStrangerMac;
  h_->inject(kAccess, natted.build());
  h_->poll();
  ASSERT_EQ(h_->take_wire(kCore).size(), 1u);
  // The control thread learns the NAT's MAC from the Latched event.
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);

  UdpFrame back = from_carrier(b, 9);
  h_->inject(kCore, back.build());
  h_->poll();
  auto out = h_->take_wire(kAccess);
  ASSERT_EQ(out.size(), 1u);
  UdpFrame want = back;
  want.dst_mac = kStrangerMac;
  want.src_mac = h_->port_mac(kAccess);
  want.src_ip = access_ip();
  want.dst_ip = ip("198.18.1.254");
  want.src_port = a;
  want.dst_port = 31337;
  want.ttl = 63;
  EXPECT_EQ(hex(out[0]), hex(want.build()));
}

TEST_F(Relay, RtcpOnPortPlusOneGoesToRemoteRtcpPort) {
  MediaSession m = open();
  const uint16_t a = m.streams[0].a_port, b = m.streams[0].b_port;
  UdpFrame rtcp = from_phone(static_cast<uint16_t>(a + 1), 0, 4001);
  rtcp.payload = {0x80, 200, 0, 6, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0,
                  0,    0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  h_->inject(kAccess, rtcp.build());
  h_->poll();
  auto out = h_->take_wire(kCore);
  ASSERT_EQ(out.size(), 1u);
  UdpFrame want = rtcp;
  want.dst_mac = kCarrierMac;
  want.src_mac = h_->port_mac(kCore);
  want.src_ip = core_ip();
  want.dst_ip = carrier_ip();
  want.src_port = static_cast<uint16_t>(b + 1);
  want.dst_port = 6001;
  want.ttl = 63;
  EXPECT_EQ(hex(out[0]), hex(want.build()));
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0].rtcp);
}

TEST_F(Relay, RtcpMuxHasNoSecondPortAndMuxedRtcpIsNotAGap) {
  MediaSession m = open(LatchMode::ip, LatchMode::ip, /*mux=*/true);
  const uint16_t a = m.streams[0].a_port;
  h_->inject(kAccess, from_phone(static_cast<uint16_t>(a + 1), 1, 4001).build());
  h_->poll();
  EXPECT_EQ(h_->drops(kAccess, DropReason::no_flow), 1u);
  h_->inject(kAccess, from_phone(a, 10).build());
  UdpFrame rtcp = from_phone(a, 0);
  rtcp.payload = {0x80, 200, 0, 1, 1, 2, 3, 4, 0, 0, 0, 0};  // SR: PT 200 (72 without marker)
  h_->inject(kAccess, rtcp.build());
  h_->inject(kAccess, from_phone(a, 11).build());
  h_->poll();
  EXPECT_EQ(h_->take_wire(kCore).size(), 3u);
  auto st = h_->dp().stream_stats(m.id, 0);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->a_rtp.packets, 3u);
  EXPECT_EQ(st->a_rtp.rtp_seq_gaps, 0u);
}

// ---- telephone-event renumbered between the legs (docs/b2bua.md "DTMF") ----

// The phone numbers its events 96, the carrier 101; the SDP exchanged the two
// numbers, so the phone's 101 (say iLBC) is the carrier's 96.
class RelayDtmf : public Relay {
 protected:
  MediaSession open_mapped(uint8_t phone_pt, uint8_t carrier_pt, bool mux = false) {
    MediaSessionSpec spec;
    MediaStreamSpec s;
    s.a = {"access", Ipv4Address{phone_ip()}, 4000, LatchMode::ip, phone_pt};
    s.b = {"core", Ipv4Address{carrier_ip()}, 6000, LatchMode::ip, carrier_pt};
    s.rtcp_mux = mux;
    spec.streams.push_back(s);
    auto m = h_->dp().open_media(spec);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? *m : MediaSession{};
  }
  // Relays one frame with payload type byte `pt_byte` (marker bit included)
  // from `leg` and returns the payload type byte that left, or -1.
  int relay_pt(unsigned leg, const MediaSession& m, uint8_t pt_byte, uint16_t seq,
               bool rtcp_port = false) {
    UdpFrame f = leg == kAccess ? from_phone(m.streams[0].a_port, seq)
                                : from_carrier(m.streams[0].b_port, seq);
    if (rtcp_port) {
      f.dst_port = static_cast<uint16_t>(f.dst_port + 1);
      f.src_port = static_cast<uint16_t>(f.src_port + 1);
    }
    f.payload[1] = pt_byte;
    h_->inject(leg, f.build());
    h_->poll();
    auto out = h_->take_wire(leg == kAccess ? kCore : kAccess);
    if (out.size() != 1) return -1;
    EXPECT_TRUE(udp_checksum_ok(out[0], 14)) << hex(out[0]);
    // Only the payload type byte may differ in the RTP payload.
    Bytes got(out[0].begin() + 14 + 28, out[0].end());
    Bytes sent = f.payload;
    sent[1] = got[1];
    EXPECT_EQ(hex(got), hex(sent));
    return got[1];
  }
};

TEST_F(RelayDtmf, EventsAreRenumberedEachWayWithTheMarkerBitKept) {
  MediaSession m = open_mapped(96, 101);
  EXPECT_EQ(relay_pt(kAccess, m, 96, 1), 101);
  EXPECT_EQ(relay_pt(kAccess, m, 0x80 | 96, 2), 0x80 | 101);  // an event's first packet
  EXPECT_EQ(relay_pt(kCore, m, 101, 1), 96);
  EXPECT_EQ(relay_pt(kCore, m, 0x80 | 101, 2), 0x80 | 96);
}

TEST_F(RelayDtmf, TheCodecHoldingTheOtherNumberIsExchangedAndOthersPassUntouched) {
  MediaSession m = open_mapped(96, 101);
  EXPECT_EQ(relay_pt(kAccess, m, 101, 1), 96);  // the phone's 101 is the carrier's 96
  EXPECT_EQ(relay_pt(kCore, m, 96, 1), 101);
  EXPECT_EQ(relay_pt(kAccess, m, 8, 2), 8);
  EXPECT_EQ(relay_pt(kAccess, m, 0x80 | 97, 3), 0x80 | 97);
  EXPECT_EQ(relay_pt(kCore, m, 0, 2), 0);
}

TEST_F(RelayDtmf, EqualOrUnknownNumbersAreNotTouched) {
  MediaSession same = open_mapped(101, 101);
  EXPECT_EQ(relay_pt(kAccess, same, 101, 1), 101);
  EXPECT_EQ(relay_pt(kAccess, same, 96, 2), 96);
  h_->dp().close_media(same.id);
  MediaSession one_sided = open_mapped(96, 0);  // the carrier's number is not known
  EXPECT_EQ(relay_pt(kAccess, one_sided, 96, 1), 96);
  EXPECT_EQ(relay_pt(kCore, one_sided, 101, 1), 101);
}

TEST_F(RelayDtmf, RtcpIsNotTouched) {
  // RTCP on its own port: a second byte of 96 is not a payload type there.
  MediaSession m = open_mapped(96, 101);
  EXPECT_EQ(relay_pt(kAccess, m, 96, 0, /*rtcp_port=*/true), 96);
  h_->dp().close_media(m.id);
  // Under rtcp-mux: RTCP types 200-204 never look like a dynamic payload type.
  MediaSession mux = open_mapped(96, 101, /*mux=*/true);
  EXPECT_EQ(relay_pt(kAccess, mux, 200, 0), 200);
  EXPECT_EQ(relay_pt(kAccess, mux, 201, 0), 201);
  EXPECT_EQ(relay_pt(kAccess, mux, 96, 5), 101);
}

TEST_F(RelayDtmf, ARenegotiationChangesOrEndsTheMapping) {
  MediaSession m = open_mapped(96, 101);
  EXPECT_EQ(relay_pt(kAccess, m, 96, 1), 101);
  MediaSessionSpec spec;
  MediaStreamSpec s;
  s.a = {"access", Ipv4Address{phone_ip()}, 4000, LatchMode::ip, 0};
  s.b = {"core", Ipv4Address{carrier_ip()}, 6000, LatchMode::ip, 0};
  spec.streams.push_back(s);
  ASSERT_TRUE(h_->dp().update_media(m.id, spec).ok());
  EXPECT_EQ(relay_pt(kAccess, m, 96, 2), 96);
  spec.streams[0].a.telephone_event_pt = 110;
  spec.streams[0].b.telephone_event_pt = 101;
  ASSERT_TRUE(h_->dp().update_media(m.id, spec).ok());
  EXPECT_EQ(relay_pt(kAccess, m, 110, 3), 101);
}

TEST_F(Relay, SequenceGapsAreCounted) {
  MediaSession m = open();
  const uint16_t a = m.streams[0].a_port;
  for (uint16_t seq : {100, 101, 104, 103, 105, 1105}) {  // 2 missing, 1 late, 999 missing
    h_->inject(kAccess, from_phone(a, seq).build());
  }
  h_->poll();
  auto st = h_->dp().stream_stats(m.id, 0);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->a_rtp.packets, 6u);
  EXPECT_EQ(st->a_rtp.rtp_seq_gaps, 2u + 999u);
  EXPECT_TRUE(st->a_rtp.latched);
  EXPECT_FALSE(st->b_rtp.latched);
  EXPECT_EQ(st->b_rtp.packets, 0u);
  EXPECT_GE(st->a_rtp.seconds_since_last, 0);
  EXPECT_LT(st->b_rtp.seconds_since_last, 0);
  EXPECT_EQ(st->a_rtp.bytes, 6u * (20 + 8 + 172));
}

TEST_F(Relay, UnresolvedNextHopIsCountedNotStalled) {
  MediaSessionSpec spec;
  spec.streams.push_back({{"access", Ipv4Address{phone_ip()}, 4000, LatchMode::ip},
                          {"core", Ipv4Address{ip("198.18.2.77")}, 6000, LatchMode::ip},
                          false});
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  h_->inject(kAccess, from_phone(m->streams[0].a_port).build());
  h_->poll();
  EXPECT_EQ(h_->drops(kAccess, DropReason::no_neighbour), 1u);
  EXPECT_TRUE(h_->take_wire(kCore).empty());
  // Resolved later (as the control thread would from the kernel): flows.
  ASSERT_TRUE(h_->dp().set_neighbour(kCore, Ipv4Address{ip("198.18.2.77")}, kCarrierMac).ok());
  h_->inject(kAccess, from_phone(m->streams[0].a_port, 2).build());
  h_->poll();
  EXPECT_EQ(h_->take_wire(kCore).size(), 1u);
}

TEST_F(Relay, OffLinkRemoteGoesThroughTheGatewayMac) {
  MediaSession m = open(LatchMode::ip, LatchMode::ip, false, far_carrier_ip());
  h_->inject(kAccess, from_phone(m.streams[0].a_port).build());
  h_->poll();
  auto out = h_->take_wire(kCore);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Bytes(out[0].begin(), out[0].begin() + 6),
            Bytes(kGatewayMac.begin(), kGatewayMac.end()));
  EXPECT_EQ(out[0][14 + 16], 198);
  EXPECT_EQ(out[0][14 + 18], 200);
}

TEST_F(Relay, PeerWithoutKnownRemoteHasNoDestination) {
  MediaSessionSpec spec;
  spec.streams.push_back({{"access", Ipv4Address{phone_ip()}, 4000, LatchMode::ip},
                          {"core", Ipv4Address{}, 0, LatchMode::any},
                          false});
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  h_->inject(kAccess, from_phone(m->streams[0].a_port).build());
  h_->poll();
  EXPECT_EQ(h_->drops(kAccess, DropReason::no_destination), 1u);
}

TEST_F(Relay, TtlOfOneExpires) {
  MediaSession m = open();
  UdpFrame in = from_phone(m.streams[0].a_port);
  in.ttl = 1;
  h_->inject(kAccess, in.build());
  h_->poll();
  EXPECT_EQ(h_->drops(kAccess, DropReason::ttl_expired), 1u);
  EXPECT_TRUE(h_->take_wire(kCore).empty());
}

TEST_F(Relay, EthernetPaddingIsNotRelayed) {
  MediaSession m = open();
  UdpFrame in = from_phone(m.streams[0].a_port);
  in.payload = rtp_payload(1, 0, 12);  // 14+20+8+12 = 54 bytes
  Bytes padded = in.build();
  padded.resize(60, 0);
  h_->inject(kAccess, padded);
  h_->poll();
  auto out = h_->take_wire(kCore);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 54u);
  EXPECT_TRUE(udp_checksum_ok(out[0], 14));
}

class RelayVlan : public Relay {
 protected:
  void SetUp() override {
    TwoLegHarness::Options o;
    o.core_vlan = 100;
    start(o);
  }
};

TEST_F(RelayVlan, TagIsAddedTowardATaggedLegAndRemovedBack) {
  MediaSession m = open();
  const uint16_t a = m.streams[0].a_port, b = m.streams[0].b_port;
  UdpFrame in = from_phone(a);
  h_->inject(kAccess, in.build());
  h_->poll();
  auto out = h_->take_wire(kCore);
  ASSERT_EQ(out.size(), 1u);
  UdpFrame want = in;
  want.vlan = 100;
  want.dst_mac = kCarrierMac;
  want.src_mac = h_->port_mac(kCore);
  want.src_ip = core_ip();
  want.dst_ip = carrier_ip();
  want.src_port = b;
  want.dst_port = 6000;
  want.ttl = 63;
  EXPECT_EQ(hex(out[0]), hex(want.build()));
  EXPECT_TRUE(udp_checksum_ok(out[0], 18));

  UdpFrame back = from_carrier(b);
  back.vlan = 100;
  h_->inject(kCore, back.build());
  h_->poll();
  auto out2 = h_->take_wire(kAccess);
  ASSERT_EQ(out2.size(), 1u);
  UdpFrame want2 = back;
  want2.vlan = 0;
  want2.dst_mac = kPhoneMac;
  want2.src_mac = h_->port_mac(kAccess);
  want2.src_ip = access_ip();
  want2.dst_ip = phone_ip();
  want2.src_port = a;
  want2.dst_port = 4000;
  want2.ttl = 63;
  EXPECT_EQ(hex(out2[0]), hex(want2.build()));
}

// Answers to what the kernel itself sent from the leg address (a DNS lookup,
// TCP toward a non-SIP port) arrive on its ephemeral ports: punted to the
// kernel, not dropped as no_flow. Ports outside that range and the media
// ranges with no pinhole still are.
TEST_F(Relay, AnswersToKernelConnectionsArePunted) {
  auto range = read_local_port_range();
  if (!range) GTEST_SKIP() << "no net.ipv4.ip_local_port_range on this host";
  const uint16_t kernel_port = range->last;  // the harness's media ranges sit below 32768
  h_->inject(kAccess, from_phone(kernel_port, 1, 53).build());
  h_->inject(kAccess, from_phone(range->first > 7000 ? 7000 : 1, 1, 53).build());
  h_->poll();
  EXPECT_EQ(h_->take_punted(kAccess).size(), 1u);
  EXPECT_EQ(h_->drops(kAccess, DropReason::no_flow), 1u);
}

}  // namespace
}  // namespace sbc::dataplane::test
