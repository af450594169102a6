// The protection stages on the two-leg harness: the deny list (with expiry
// on a fake clock), the ACL by each field, per-source policing at known
// rates, promotion and demotion, the global untrusted cap, and ACL swaps
// under traffic. Asserts counts, never timings.
#include <gtest/gtest.h>
#include <rte_cycles.h>

#include <atomic>
#include <thread>

#include "tests/dataplane/test_hosts.h"
#include "tests/dataplane/two_leg_harness.h"

namespace sbc::dataplane::test {
namespace {

std::atomic<uint64_t> g_now{1'000'000'000};
uint64_t fake_clock() {
  return g_now.load(std::memory_order_relaxed);
}
void advance(std::chrono::milliseconds d) {
  g_now.fetch_add(rte_get_tsc_hz() / 1000 * static_cast<uint64_t>(d.count()));
}

Ipv4Prefix prefix(const std::string& s) {
  return *Ipv4Prefix::parse(s);
}

// Classes used by most tests: 0 untrusted (10/s, burst 5), 1 trusted
// (1000/s, burst 100), 2 tiny (1/s, burst 1).
FilterSet classes_only() {
  FilterSet f;
  f.classes = {{"untrusted", 10, 5}, {"trusted", 1000, 100}, {"tiny", 1, 1}};
  f.default_class = 0;
  f.untrusted_cap_rate = 1'000'000;
  f.untrusted_cap_burst = 1'000'000;
  return f;
}

AclRule rule(bool deny, const std::string& src, int leg = -1, uint8_t proto = 0, uint16_t lo = 0,
             uint16_t hi = 65535, uint8_t cls = 0) {
  AclRule r;
  r.deny = deny;
  r.source = prefix(src);
  r.leg = leg;
  r.protocol = proto;
  r.port_lo = lo;
  r.port_hi = hi;
  r.trust_class = cls;
  return r;
}

class Protection : public testing::Test {
 protected:
  void SetUp() override {
    TwoLegHarness::Options o;
    o.clock = &fake_clock;
    h_ = std::make_unique<TwoLegHarness>(o);
    ASSERT_TRUE(h_->ok()) << h_->error();
  }
  void TearDown() override {
    if (!h_ || !h_->ok()) return;
    h_->quiesce();
    EXPECT_EQ(h_->mbufs_in_use(), 0u) << "mbuf leak";
  }

  Bytes sip_udp(uint32_t src, uint16_t sport = 5060, uint16_t dport = 5060,
                unsigned leg = kAccess) {
    UdpFrame f;
    f.dst_mac = h_->port_mac(leg);
    f.src_mac = leg == kAccess ? kPhoneMac : kCarrierMac;
    f.src_ip = src;
    f.dst_ip = leg == kAccess ? access_ip() : core_ip();
    f.src_port = sport;
    f.dst_port = dport;
    f.payload = Bytes(200, 'x');
    return f.build();
  }
  // Sends n frames and returns how many reached the leg's TAP.
  size_t send(unsigned leg, const Bytes& frame, unsigned n = 1) {
    for (unsigned i = 0; i < n; ++i) {
      h_->inject(leg, frame);
      if (i % 16 == 15) h_->poll();
    }
    h_->poll(2);
    return h_->take_punted(leg).size();
  }
  uint64_t drops(DropReason r, unsigned leg = kAccess) { return h_->drops(leg, r); }

  std::unique_ptr<TwoLegHarness> h_;
};

// ---- deny list ----

TEST_F(Protection, DeniedPrefixIsDroppedFirstAndComesBackAfterExpiry) {
  ASSERT_TRUE(h_->dp().deny(prefix("198.18.1.8/29"), 0, std::chrono::seconds(2), "test").ok());
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip())), 0u);  // .11 is in .8/29
  EXPECT_EQ(send(kAccess, icmp_echo(h_->port_mac(kAccess), kPhoneMac, phone_ip(), access_ip())),
            0u);
  EXPECT_EQ(send(kAccess, arp_request(kPhoneMac, phone_ip(), access_ip())), 0u);
  EXPECT_EQ(drops(DropReason::denied), 3u);
  EXPECT_EQ(send(kAccess, sip_udp(ip("198.18.1.20"))), 1u);  // outside the prefix

  auto list = h_->dp().deny_entries();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].prefix.to_string(), "198.18.1.8/29");
  EXPECT_EQ(list[0].reason, "test");
  EXPECT_GT(list[0].remaining.count(), 1000);

  advance(std::chrono::milliseconds(2001));
  // The workers stop enforcing at the expiry on their own ...
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip())), 1u);
  EXPECT_EQ(drops(DropReason::denied), 3u);
  // ... and housekeeping removes the entry.
  EXPECT_TRUE(h_->dp().deny_entries().empty());
  h_->dp().housekeeping();
  EXPECT_EQ(h_->dp().stats().deny_entries, 0u);
}

TEST_F(Protection, NicOffloadIsTriedAndFallsBackToSoftwareWithAReason) {
  // net_ring has no rte_flow: the first deny marks each leg's port software,
  // with the PMD's reason, and the software stage still drops.
  auto deny_states = [&] {
    std::vector<OffloadState> out;
    for (const auto& o : h_->dp().stats().offload)
      if (o.rule_kind == "deny") out.push_back(o);
    return out;
  };
  auto before = deny_states();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_FALSE(before[0].tried);
  ASSERT_TRUE(h_->dp().deny(prefix("198.18.1.11/32"), 0, {}, "offload").ok());
  auto after = deny_states();
  ASSERT_EQ(after.size(), 2u);
  for (const auto& o : after) {
    EXPECT_TRUE(o.tried) << o.leg;
    EXPECT_FALSE(o.offloaded) << o.leg;
    EXPECT_EQ(o.rules, 0u);
    EXPECT_NE(o.reason.find("rte_flow_create"), std::string::npos) << o.reason;
  }
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip())), 0u);
  EXPECT_EQ(drops(DropReason::denied), 1u);
  EXPECT_TRUE(h_->dp().undeny(prefix("198.18.1.11/32"), 0));
}

TEST_F(Protection, DenyWithAPortDropsOnlyThatSourcePort) {
  ASSERT_TRUE(h_->dp().deny(prefix("198.18.1.11/32"), 5070, {}, "auth").ok());
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip(), 5070)), 0u);
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip(), 5071)), 1u);
  EXPECT_EQ(drops(DropReason::denied), 1u);
  EXPECT_FALSE(h_->dp().deny(prefix("198.18.1.0/24"), 5070, {}, "x").ok());
}

TEST_F(Protection, UndenyLetsTheSourceThroughAtOnce) {
  ASSERT_TRUE(h_->dp().deny(prefix("198.18.1.11/32"), 0, {}, "operator").ok());
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip())), 0u);
  EXPECT_TRUE(h_->dp().undeny(prefix("198.18.1.11/32"), 0));
  EXPECT_FALSE(h_->dp().undeny(prefix("198.18.1.11/32"), 0));
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip())), 1u);
  EXPECT_EQ(drops(DropReason::denied), 1u);
}

TEST_F(Protection, ManyBansAreAllEnforcedAndOthersPass) {
  for (uint32_t i = 0; i < 2000; ++i)
    ASSERT_TRUE(
        h_->dp().deny(Ipv4Prefix{Ipv4Address{ip("198.18.100.0") + i}, 32}, 0, {}, "bulk").ok());
  EXPECT_EQ(h_->dp().deny_entries().size(), 2000u);
  EXPECT_EQ(send(kAccess, sip_udp(ip("198.18.100.0"))), 0u);
  EXPECT_EQ(send(kAccess, sip_udp(ip("198.18.100.0") + 1999)), 0u);
  EXPECT_EQ(send(kAccess, sip_udp(ip("198.18.100.0") + 2000)), 1u);
  h_->dp().housekeeping();  // reclaims the 2,000 replaced snapshots
  EXPECT_EQ(h_->dp().deferred_frees(), 0u);
}

// ---- ACL: one row per field ----

TEST_F(Protection, AclMatchesOnEachField) {
  struct Row {
    const char* what;
    AclRule r;
    unsigned leg;
    uint32_t src;
    uint8_t proto;  // 17 udp, 6 tcp
    uint16_t dport;
    bool denied;
  };
  const uint32_t p = phone_ip(), c = carrier_ip();
  const std::vector<Row> rows = {
      {"source inside the prefix", rule(true, "198.18.1.0/24"), kAccess, p, 17, 5060, true},
      {"source outside the prefix", rule(true, "198.18.3.0/24"), kAccess, p, 17, 5060, false},
      {"source /32 exact", rule(true, "198.18.1.11/32"), kAccess, p, 17, 5060, true},
      {"leg matches", rule(true, "0.0.0.0/0", kCore), kCore, c, 17, 5060, true},
      {"leg differs", rule(true, "0.0.0.0/0", kCore), kAccess, p, 17, 5060, false},
      {"protocol udp matches udp", rule(true, "0.0.0.0/0", -1, 17), kAccess, p, 17, 5060, true},
      {"protocol udp spares tcp", rule(true, "0.0.0.0/0", -1, 17), kAccess, p, 6, 5060, false},
      {"protocol tcp matches tcp", rule(true, "0.0.0.0/0", -1, 6), kAccess, p, 6, 5060, true},
      {"port inside the range", rule(true, "0.0.0.0/0", -1, 0, 5060, 5061), kAccess, p, 17, 5061,
       true},
      {"port outside the range", rule(true, "0.0.0.0/0", -1, 0, 5061, 5070), kAccess, p, 17, 5060,
       false},
  };
  uint64_t expected_acl[2] = {0, 0};
  for (const auto& row : rows) {
    SCOPED_TRACE(row.what);
    FilterSet f = classes_only();
    f.rules = {row.r};
    ASSERT_TRUE(h_->dp().apply_filters(f).ok());
    Bytes frame = row.proto == 17
                      ? sip_udp(row.src, 40000, row.dport, row.leg)
                      : tcp_syn(h_->port_mac(row.leg), kPhoneMac, row.src,
                                row.leg == kAccess ? access_ip() : core_ip(), 40000, row.dport);
    advance(std::chrono::seconds(10));  // fresh buckets
    EXPECT_EQ(send(row.leg, frame), row.denied ? 0u : 1u);
    if (row.denied) ++expected_acl[row.leg];
    EXPECT_EQ(drops(DropReason::acl, row.leg), expected_acl[row.leg]);
  }
}

TEST_F(Protection, FirstMatchingRuleWinsAndGivesTheTrustClass) {
  FilterSet f = classes_only();
  f.rules = {rule(false, "198.18.1.11/32", kAccess, 0, 0, 65535, 1),  // the phone: trusted
             rule(true, "198.18.1.0/24")};                            // the rest of the LAN: deny
  ASSERT_TRUE(h_->dp().apply_filters(f).ok());
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip()), 50), 50u);  // trusted: burst 100
  EXPECT_EQ(send(kAccess, sip_udp(phone2_ip())), 0u);
  EXPECT_EQ(drops(DropReason::acl), 1u);
  auto ls = h_->leg_stats(kAccess);
  EXPECT_EQ(ls.class_punted[1], 50u);
  EXPECT_EQ(ls.class_punted[0], 0u);
}

// ---- police ----

TEST_F(Protection, SourceIsPolicedAtItsClassRate) {
  ASSERT_TRUE(h_->dp().apply_filters(classes_only()).ok());  // untrusted: 10/s, burst 5
  const Bytes f = sip_udp(phone_ip());
  EXPECT_EQ(send(kAccess, f, 20), 5u);  // the burst
  advance(std::chrono::milliseconds(100));
  EXPECT_EQ(send(kAccess, f, 20), 1u);  // one interval: one packet
  advance(std::chrono::milliseconds(250));
  EXPECT_EQ(send(kAccess, f, 20), 2u);  // 2.5 intervals: two
  advance(std::chrono::seconds(5));
  EXPECT_EQ(send(kAccess, f, 20), 5u);  // a full bucket again, never more
  EXPECT_EQ(drops(DropReason::police), 80u - 13u);
  auto ls = h_->leg_stats(kAccess);
  EXPECT_EQ(ls.class_punted[0], 13u);
  EXPECT_EQ(ls.class_policed[0], 67u);
  // Another source has a bucket of its own.
  EXPECT_EQ(send(kAccess, sip_udp(phone2_ip()), 20), 5u);
}

TEST_F(Protection, PolicedSourceIsReportedOncePerEpoch) {
  ASSERT_TRUE(h_->dp().apply_filters(classes_only()).ok());
  std::vector<DataplaneEvent> ev;
  h_->dp().drain_events(ev, 100);
  ev.clear();
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip()), 50), 5u);
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip()), 50), 0u);  // same epoch: no new report
  EXPECT_EQ(send(kAccess, sip_udp(phone2_ip()), 5), 5u);  // within its burst: none
  ASSERT_EQ(h_->dp().drain_events(ev, 100), 1u);
  EXPECT_EQ(ev[0].type, EventType::source_abuse);
  EXPECT_EQ(ev[0].remote, Ipv4Address{phone_ip()});
  EXPECT_EQ(ev[0].leg, kAccess);
  EXPECT_EQ(ev[0].stream, 0);          // its class
  g_now.fetch_add(uint64_t{1} << 31);  // the next report epoch
  ev.clear();
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip()), 50), 5u);
  ASSERT_EQ(h_->dp().drain_events(ev, 100), 1u);
  EXPECT_EQ(ev[0].remote, Ipv4Address{phone_ip()});
}

TEST_F(Protection, MediaNeverMeetsTheSignallingBuckets) {
  FilterSet f = classes_only();
  f.classes[0] = {"untrusted", 1, 1};
  ASSERT_TRUE(h_->dp().apply_filters(f).ok());
  ASSERT_TRUE(h_->dp().set_neighbour(kCore, Ipv4Address{carrier_ip()}, kCarrierMac).ok());
  MediaSessionSpec spec;
  spec.streams.push_back({{"access", Ipv4Address{phone_ip()}, 4000, LatchMode::ip},
                          {"core", Ipv4Address{carrier_ip()}, 6000, LatchMode::ip},
                          true});
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  for (uint16_t i = 0; i < 50; ++i)
    h_->inject(kAccess, sip_udp(phone_ip(), 4000, m->streams[0].a_port));
  h_->poll(4);
  EXPECT_EQ(h_->take_wire(kCore).size(), 50u);
  EXPECT_EQ(drops(DropReason::police), 0u);
}

TEST_F(Protection, PromotionAndDemotionChangeTheRate) {
  FilterSet f = classes_only();
  f.classes[0] = {"untrusted", 1, 1};
  ASSERT_TRUE(h_->dp().apply_filters(f).ok());
  const Bytes frame = sip_udp(phone_ip());
  EXPECT_EQ(send(kAccess, frame, 10), 1u);
  // The phone authenticated: the control plane promotes it.
  ASSERT_TRUE(h_->dp().set_source_trust(Ipv4Address{phone_ip()}, "trusted", {}).ok());
  EXPECT_EQ(h_->dp().stats().trust_overrides, 1u);
  EXPECT_EQ(h_->dp().stats().class_sources[1], 1u);  // the population of "trusted"
  EXPECT_EQ(h_->dp().stats().class_sources[0], 0u);
  EXPECT_EQ(send(kAccess, frame, 10), 10u);
  EXPECT_EQ(send(kAccess, sip_udp(phone2_ip()), 10), 1u);  // its neighbour is not
  // Demoted: back to the untrusted bucket (a fresh one).
  ASSERT_TRUE(h_->dp().set_source_trust(Ipv4Address{phone_ip()}, "", {}).ok());
  EXPECT_EQ(h_->dp().stats().class_sources[1], 0u);
  EXPECT_EQ(send(kAccess, frame, 10), 1u);
  // Down to an explicit class below the default.
  advance(std::chrono::seconds(5));
  ASSERT_TRUE(h_->dp().set_source_trust(Ipv4Address{phone_ip()}, "tiny", {}).ok());
  EXPECT_EQ(send(kAccess, frame, 10), 1u);
  EXPECT_FALSE(h_->dp().set_source_trust(Ipv4Address{phone_ip()}, "nosuch", {}).ok());
  auto ls = h_->leg_stats(kAccess);
  EXPECT_EQ(ls.class_punted[1], 10u);
}

TEST_F(Protection, PromotionExpires) {
  FilterSet f = classes_only();
  f.classes[0] = {"untrusted", 1, 1};
  ASSERT_TRUE(h_->dp().apply_filters(f).ok());
  ASSERT_TRUE(
      h_->dp().set_source_trust(Ipv4Address{phone_ip()}, "trusted", std::chrono::seconds(60)).ok());
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip()), 10), 10u);
  EXPECT_EQ(h_->dp().stats().class_sources[1], 1u);
  advance(std::chrono::seconds(61));
  h_->dp().housekeeping();
  EXPECT_EQ(h_->dp().stats().trust_overrides, 0u);
  EXPECT_EQ(h_->dp().stats().class_sources[1], 0u);
  EXPECT_EQ(send(kAccess, sip_udp(phone_ip()), 10), 1u);
}

TEST_F(Protection, GlobalCapBoundsUntrustedButSparesTrusted) {
  FilterSet f = classes_only();
  f.untrusted_cap_rate = 10;
  f.untrusted_cap_burst = 20;
  f.rules = {rule(false, "198.18.2.10/32", kCore, 0, 0, 65535, 1)};  // the carrier: trusted
  ASSERT_TRUE(h_->dp().apply_filters(f).ok());
  // 100 sources, 2 packets each: every one within its own bucket.
  size_t punted = 0;
  for (uint32_t i = 0; i < 100; ++i) punted += send(kAccess, sip_udp(ip("198.18.1.100") + i), 2);
  EXPECT_EQ(punted, 20u);
  EXPECT_EQ(drops(DropReason::police_cap), 180u);
  EXPECT_EQ(drops(DropReason::police), 0u);
  EXPECT_EQ(send(kCore, sip_udp(carrier_ip(), 5060, 5060, kCore), 50), 50u);
}

// ---- media policing per pinhole ----

TEST_F(Protection, PinholeIsPolicedAtItsCodecBudget) {
  ASSERT_TRUE(h_->dp().set_neighbour(kCore, Ipv4Address{carrier_ip()}, kCarrierMac).ok());
  MediaSessionSpec spec;
  MediaStreamSpec st{{"access", Ipv4Address{phone_ip()}, 4000, LatchMode::ip},
                     {"core", Ipv4Address{carrier_ip()}, 6000, LatchMode::ip},
                     true};
  st.packet_rate = 50;  // 20 ms
  st.packet_burst = 5;
  spec.streams.push_back(st);
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  const Bytes rtp = sip_udp(phone_ip(), 4000, m->streams[0].a_port);
  auto relay = [&](unsigned n) {
    for (unsigned i = 0; i < n; ++i) h_->inject(kAccess, rtp);
    h_->poll(2);
    return h_->take_wire(kCore).size();
  };
  EXPECT_EQ(relay(20), 5u);  // the burst
  advance(std::chrono::milliseconds(100));
  EXPECT_EQ(relay(20), 5u);  // 100 ms at 50/s
  advance(std::chrono::milliseconds(20));
  EXPECT_EQ(relay(20), 1u);
  EXPECT_EQ(drops(DropReason::media_policed), 60u - 11u);
  // A re-INVITE to a faster codec raises the budget of the same pinholes.
  spec.streams[0].packet_rate = 1000;
  spec.streams[0].packet_burst = 100;
  ASSERT_TRUE(h_->dp().update_media(m->id, spec).ok());
  advance(std::chrono::seconds(1));
  EXPECT_EQ(relay(20), 20u);
  // The other direction has its own bucket.
  UdpFrame back;
  back.dst_mac = h_->port_mac(kCore);
  back.src_mac = kCarrierMac;
  back.src_ip = carrier_ip();
  back.dst_ip = core_ip();
  back.src_port = 6000;
  back.dst_port = m->streams[0].b_port;
  back.payload = rtp_payload(1);
  ASSERT_TRUE(h_->dp().set_neighbour(kAccess, Ipv4Address{phone_ip()}, kPhoneMac).ok());
  for (unsigned i = 0; i < 30; ++i) h_->inject(kCore, back.build());
  h_->poll(2);
  EXPECT_EQ(h_->take_wire(kAccess).size(), 30u);
}

// PCMU at ptime 20 (controlplane/media_budget.cc): 100 packets/s, burst 33;
// 20,000 bytes/s, burst 8,200 bytes. Frames are counted at the IP layer.
TEST_F(Protection, PinholeIsPolicedAtItsCodecBandwidth) {
  ASSERT_TRUE(h_->dp().set_neighbour(kCore, Ipv4Address{carrier_ip()}, kCarrierMac).ok());
  MediaSessionSpec spec;
  MediaStreamSpec st{{"access", Ipv4Address{phone_ip()}, 4000, LatchMode::ip},
                     {"core", Ipv4Address{carrier_ip()}, 6000, LatchMode::ip},
                     true};
  set_audio_budget(st, 20);
  set_audio_bandwidth(st, 64'000, 20);
  ASSERT_EQ(st.byte_rate, 20'000u);
  ASSERT_EQ(st.byte_burst, 8'200u);
  spec.streams.push_back(st);
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  uint16_t seq = 0;
  auto frame = [&](size_t ip_len) {
    UdpFrame f;
    f.dst_mac = h_->port_mac(kAccess);
    f.src_mac = kPhoneMac;
    f.src_ip = phone_ip();
    f.dst_ip = access_ip();
    f.src_port = 4000;
    f.dst_port = m->streams[0].a_port;
    f.payload = rtp_payload(++seq, 0, ip_len - 28);
    return f.build();
  };
  auto relay = [&](size_t ip_len, unsigned n) {
    for (unsigned i = 0; i < n; ++i) h_->inject(kAccess, frame(ip_len));
    h_->poll(2);
    return h_->take_wire(kCore).size();
  };
  // 20 large frames at once, well inside the packet burst: the bytes run
  // out after 7 (6 x 1,200 <= 8,200 < 7 x 1,200).
  EXPECT_EQ(relay(1200, 20), 7u);
  EXPECT_EQ(drops(DropReason::media_bandwidth), 13u);
  // Then 1,200-byte frames at 50/s, half the packet budget, for a second:
  // 24,000 bytes/s against 20,000 (refill 400 bytes each 20 ms).
  advance(std::chrono::seconds(1));
  size_t passed = 0;
  for (int i = 0; i < 50; ++i) {
    advance(std::chrono::milliseconds(20));
    passed += relay(1200, 1);
  }
  EXPECT_EQ(passed, 24u);
  EXPECT_EQ(drops(DropReason::media_bandwidth), 13u + 26u);
  EXPECT_EQ(drops(DropReason::media_policed), 0u);  // never the packet rate
  // Voice-sized frames (PCMU's 200 bytes): the whole packet burst, then
  // 50/s for two seconds, all pass.
  advance(std::chrono::seconds(1));
  EXPECT_EQ(relay(200, 33), 33u);
  passed = 0;
  for (int i = 0; i < 100; ++i) {
    advance(std::chrono::milliseconds(20));
    passed += relay(200, 1);
  }
  EXPECT_EQ(passed, 100u);
  EXPECT_EQ(drops(DropReason::media_bandwidth), 39u);
  EXPECT_EQ(drops(DropReason::media_policed), 0u);
  // The stream's counters count only what was relayed.
  auto ss = h_->dp().stream_stats(m->id, 0);
  ASSERT_TRUE(ss.has_value());
  EXPECT_EQ(ss->a_rtp.packets, 7u + 24u + 133u);
  // A re-INVITE to opus raises the bandwidth of the same pinholes.
  set_audio_bandwidth(spec.streams[0], 510'000, 20);
  ASSERT_TRUE(h_->dp().update_media(m->id, spec).ok());
  advance(std::chrono::seconds(1));
  EXPECT_EQ(relay(1200, 20), 20u);
  EXPECT_EQ(drops(DropReason::media_bandwidth), 39u);
}

TEST(MediaBudget, AudioBudgetFromPtime) {
  MediaStreamSpec s;
  set_audio_budget(s, 20);
  EXPECT_EQ(s.packet_rate, 100u);
  EXPECT_EQ(s.packet_burst, 33u);
  set_audio_budget(s, 0);
  EXPECT_EQ(s.packet_rate, 100u);
  set_audio_budget(s, 30);
  EXPECT_EQ(s.packet_rate, 68u);  // 2 x ceil(1000 / 30)
}

TEST(MediaBudget, AudioBandwidthFromBitrateAndPtime) {
  MediaStreamSpec s;
  set_audio_bandwidth(s, 64'000, 20);  // PCMU: 8,000 + 40 x 50 bytes/s, doubled
  EXPECT_EQ(s.byte_rate, 20'000u);
  EXPECT_EQ(s.byte_burst, 5'000u + 8 * 2 * 200);
  set_audio_bandwidth(s, 8'000, 0);  // G.729, ptime 20: 1,000 + 2,000
  EXPECT_EQ(s.byte_rate, 6'000u);
  set_audio_bandwidth(s, 64'000, 10);  // 8,000 + 40 x 100
  EXPECT_EQ(s.byte_rate, 24'000u);
  set_audio_bandwidth(s, 510'000, 20);  // opus at its ceiling
  EXPECT_EQ(s.byte_rate, 2u * (63'750 + 2'000));
}

// ---- ACL swap under traffic ----

TEST(ProtectionSwap, AclRebuiltWhileWorkersForwardLosesNoAllowedPacket) {
  TwoLegHarness::Options o;
  o.launch_workers = true;
  TwoLegHarness h(o);
  ASSERT_TRUE(h.ok()) << h.error();
  // Every filter set denies 198.18.9.0/24 and lets the phone through in a
  // class that never polices it; they differ in how many other rules they
  // carry (10 or 1,000), so each apply builds and swaps a new context.
  auto filters = [](unsigned extra) {
    FilterSet f;
    f.classes = {{"untrusted", 0, 0}, {"open", 10'000'000, 10'000'000}};
    f.untrusted_cap_rate = 0;
    for (unsigned i = 0; i < extra; ++i)
      f.rules.push_back(
          rule(true, "10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".0/24"));
    f.rules.push_back(rule(true, "198.18.9.0/24"));
    f.rules.push_back(rule(false, "198.18.1.0/24", kAccess, 0, 0, 65535, 1));
    return f;
  };
  ASSERT_TRUE(h.dp().apply_filters(filters(10)).ok());
  UdpFrame u;
  u.dst_mac = h.port_mac(kAccess);
  u.src_mac = kPhoneMac;
  u.src_ip = phone_ip();
  u.dst_ip = access_ip();
  u.src_port = 5060;
  u.dst_port = 5060;
  u.payload = Bytes(100, 's');
  const Bytes allowed = u.build();
  u.src_ip = ip("198.18.9.9");
  const Bytes refused = u.build();

  constexpr unsigned kRounds = 40, kPerRound = 200;
  size_t punted = 0;
  for (unsigned r = 0; r < kRounds; ++r) {
    for (unsigned i = 0; i < kPerRound; ++i) {
      h.inject(kAccess, allowed);
      if (i % 4 == 0) h.inject(kAccess, refused);
    }
    ASSERT_TRUE(h.dp().apply_filters(filters(r % 2 ? 10 : 1000)).ok());
    h.dp().housekeeping();
    // Drain the TAP ring every round (it holds 1,023 frames).
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      punted += h.take_punted(kAccess).size();
    } while (punted < (r + 1) * kPerRound && std::chrono::steady_clock::now() < until);
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (punted < kRounds * kPerRound && std::chrono::steady_clock::now() < until) {
    punted += h.take_punted(kAccess).size();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(punted, size_t{kRounds} * kPerRound);
  EXPECT_EQ(h.drops(kAccess, DropReason::acl), size_t{kRounds} * kPerRound / 4);
  EXPECT_EQ(h.drops(kAccess, DropReason::police), 0u);
  h.quiesce();
  EXPECT_EQ(h.mbufs_in_use(), 0u);
}

}  // namespace
}  // namespace sbc::dataplane::test
