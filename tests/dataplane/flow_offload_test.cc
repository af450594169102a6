// NIC offload on real ports: net_ring, which has neither rte_flow nor
// rte_mtr, so every rule kind is offered, refused with the PMD's reason and
// left to software, which keeps relaying and dropping exactly as before
// (the software stages are the truth). The rules themselves are checked
// field by field in flow_rules_test.cc.
#include <gtest/gtest.h>

#include "dataplane/flow_offload.h"
#include "tests/dataplane/test_hosts.h"
#include "tests/dataplane/two_leg_harness.h"

namespace sbc::dataplane::test {
namespace {

// The police stage's clock stands still: its buckets give exactly their burst.
uint64_t frozen_clock() {
  return 1'000'000'000;
}

class Offload : public testing::Test {
 protected:
  void SetUp() override {
    TwoLegHarness::Options o;
    o.clock = &frozen_clock;
    h_ = std::make_unique<TwoLegHarness>(o);
    ASSERT_TRUE(h_->ok()) << h_->error();
    ASSERT_TRUE(h_->add_host_neighbours().ok());
  }
  void TearDown() override {
    if (!h_ || !h_->ok()) return;
    h_->quiesce();
    EXPECT_EQ(h_->mbufs_in_use(), 0u) << "mbuf leak";
  }

  OffloadState state(const std::string& leg, const std::string& kind) {
    for (const auto& o : h_->dp().stats().offload)
      if (o.leg == leg && o.rule_kind == kind) return o;
    ADD_FAILURE() << "no offload state for " << leg << "/" << kind;
    return {};
  }

  MediaSession open(LatchMode latch) {
    MediaSessionSpec spec;
    MediaStreamSpec s;
    s.a = {"access", Ipv4Address{phone_ip()}, 4000, latch};
    s.b = {"core", Ipv4Address{carrier_ip()}, 6000, latch};
    s.rtcp_mux = true;
    spec.streams.push_back(s);
    auto m = h_->dp().open_media(spec);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? *m : MediaSession{};
  }

  // One RTP packet from the phone; returns the frames the core port sent.
  size_t phone_rtp(uint16_t sbc_port, uint16_t seq) {
    h_->inject(kAccess, h_->rtp_from_phone(sbc_port, seq));
    h_->poll(2);
    return h_->take_wire(kCore).size();
  }

  // n SIP datagrams from src to the leg's address; returns how many were punted.
  size_t sip(unsigned leg, uint32_t src, unsigned n) {
    UdpFrame f;
    f.dst_mac = h_->port_mac(leg);
    f.src_mac = leg == kAccess ? kPhoneMac : kCarrierMac;
    f.src_ip = src;
    f.dst_ip = leg == kAccess ? access_ip() : core_ip();
    f.src_port = 5060;
    f.dst_port = 5060;
    f.payload = Bytes(200, 'x');
    for (unsigned i = 0; i < n; ++i) h_->inject(leg, f.build());
    h_->poll(2);
    return h_->take_punted(leg).size();
  }

  std::unique_ptr<TwoLegHarness> h_;
};

TEST_F(Offload, EveryLegReportsEachRuleKindUntriedAtStart) {
  auto states = h_->dp().stats().offload;
  ASSERT_EQ(states.size(), 6u);  // 2 legs x deny, pinhole, meter
  std::vector<std::string> seen;
  for (const auto& o : states) {
    seen.push_back(o.leg + "/" + o.rule_kind);
    EXPECT_FALSE(o.tried);
    EXPECT_FALSE(o.offloaded);
    EXPECT_EQ(o.rules, 0u);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"access/deny", "access/pinhole", "access/meter",
                                            "core/deny", "core/pinhole", "core/meter"}));
}

TEST_F(Offload, StrictPinholeIsOfferedAtOpenRefusedAndStillRelayed) {
  MediaSession m = open(LatchMode::strict);
  // The SDP remote is exact: both sides' pinholes were offered at once.
  for (const char* leg : {"access", "core"}) {
    OffloadState o = state(leg, "pinhole");
    EXPECT_TRUE(o.tried) << leg;
    EXPECT_FALSE(o.offloaded) << leg;
    EXPECT_EQ(o.rules, 0u);
    EXPECT_EQ(o.reason,
              "not supported by net_ring: rte_flow_create: Function not implemented "
              "(Function not implemented)");
  }
  // Deny and meter were not touched by a media session.
  EXPECT_FALSE(state("access", "deny").tried);
  EXPECT_EQ(phone_rtp(m.streams[0].a_port, 1), 1u);
  EXPECT_EQ(phone_rtp(m.streams[0].a_port, 2), 1u);
  h_->dp().close_media(m.id);
}

TEST_F(Offload, LatchingPinholeIsOfferedOnlyOnceItsRemoteIsExact) {
  MediaSession m = open(LatchMode::ip);  // the port is learned: not exact yet
  EXPECT_FALSE(state("access", "pinhole").tried);
  EXPECT_EQ(phone_rtp(m.streams[0].a_port, 1), 1u);
  // The latch reaches the control thread as an event, which offers the rule.
  std::vector<DataplaneEvent> ev;
  h_->dp().drain_events(ev, 16);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, EventType::latched);
  OffloadState access = state("access", "pinhole");
  EXPECT_TRUE(access.tried);
  EXPECT_FALSE(access.offloaded);
  EXPECT_NE(access.reason.find("rte_flow_create"), std::string::npos) << access.reason;
  EXPECT_FALSE(state("core", "pinhole").tried);  // the carrier has sent nothing yet
  EXPECT_EQ(phone_rtp(m.streams[0].a_port, 2), 1u);
  h_->dp().close_media(m.id);
}

TEST_F(Offload, MeterIsNotSupportedByThePmdAndPolicingStaysInSoftware) {
  FilterSet f;
  f.classes = {{"untrusted", 10, 5}, {"trusted", 1000, 100}};
  f.default_class = 0;
  AclRule trunk;
  trunk.source = *Ipv4Prefix::parse("198.18.2.10/32");
  trunk.trust_class = 1;
  f.rules.push_back(trunk);
  ASSERT_TRUE(h_->dp().apply_filters(f).ok());
  for (const char* leg : {"access", "core"}) {
    OffloadState o = state(leg, "meter");
    EXPECT_TRUE(o.tried) << leg;
    EXPECT_FALSE(o.offloaded) << leg;
    // net_ring has no rte_mtr ops: ethdev answers ENOSYS.
    EXPECT_EQ(o.reason,
              "not supported by net_ring: rte_mtr_capabilities_get: Function not implemented "
              "(Function not implemented)");
  }
  // The police stage does what the meter would have: the untrusted phone
  // gets its burst (5), the trusted trunk all 20.
  EXPECT_EQ(sip(kAccess, phone_ip(), 20), 5u);
  EXPECT_EQ(sip(kCore, carrier_ip(), 20), 20u);
  // A reload does not try a refusing port again; the reason stays.
  ASSERT_TRUE(h_->dp().apply_filters(f).ok());
  EXPECT_NE(state("access", "meter").reason.find("not supported"), std::string::npos);
}

// FlowOffload straight on the harness's ports: the cap and the refusal
// bookkeeping.
TEST_F(Offload, PinholeCapIsCountedAndNothingIsOfferedBeyondIt) {
  std::vector<OffloadPort> ports{{h_->dp().leg(kAccess).port_id, "access", 1}};
  FlowOffload capped(ports, 0);  // no room at all
  PinholeFlow f;
  f.remote = Ipv4Address{phone_ip()};
  f.remote_port = 4000;
  f.local = Ipv4Address{access_ip()};
  f.local_port = 20000;
  capped.set_pinhole(1, 0, f);
  capped.set_pinhole(2, 0, f);
  const OffloadState& o = capped.states()[1];
  ASSERT_EQ(o.rule_kind, "pinhole");
  EXPECT_EQ(o.cap_hits, 2u);
  EXPECT_FALSE(o.tried);  // never offered, so the port was not marked as refusing
  capped.remove_pinhole(1);
  capped.remove_pinhole(2);
  capped.remove_pinhole(3);  // unknown: a no-op
  EXPECT_EQ(capped.states()[1].rules, 0u);

  FlowOffload roomy(ports, 10);
  roomy.set_pinhole(1, 0, f);
  EXPECT_TRUE(roomy.states()[1].tried);
  EXPECT_EQ(roomy.states()[1].cap_hits, 0u);
  // Refused once: later pinholes are not offered (and not counted as cap hits).
  f.local_port = 20002;
  roomy.set_pinhole(2, 0, f);
  EXPECT_EQ(roomy.states()[1].cap_hits, 0u);
  EXPECT_FALSE(roomy.states()[1].offloaded);
}

}  // namespace
}  // namespace sbc::dataplane::test
