#include "controlplane/registrar/auth_failure_tracker.h"

#include <gtest/gtest.h>

namespace sbc::registrar {
namespace {

class AuthFailureTest : public testing::Test {
 protected:
  FakeClock clock;
  AuthFailureConfig config{Seconds{60}, 3, 5, 10, Seconds{600}, 1000};
  AuthFailureTracker tracker{config, clock};
  Ipv4Address site{0xC6120001};  // 198.18.0.1
};

TEST_F(AuthFailureTest, SourceBannedAtThresholdWithReasonAndExpiry) {
  EXPECT_TRUE(tracker.record_failure(site, 5060, "alice", false).empty());
  EXPECT_TRUE(tracker.record_failure(site, 5060, "alice", false).empty());
  EXPECT_FALSE(tracker.banned(site, 5060, "alice").has_value());
  auto bans = tracker.record_failure(site, 5060, "alice", false);
  ASSERT_EQ(bans.size(), 1u);
  EXPECT_EQ(bans[0].kind, BanKind::kAddressPort);
  EXPECT_EQ(bans[0].key, "198.18.0.1:5060");
  EXPECT_NE(bans[0].reason.find("3 failed authentications"), std::string::npos);
  EXPECT_EQ(bans[0].until, clock.now() + Seconds{600});
  EXPECT_TRUE(tracker.banned(site, 5060).has_value());
  EXPECT_FALSE(tracker.banned(site, 5061).has_value());  // the next phone is fine
  clock.advance(Seconds{600});
  EXPECT_FALSE(tracker.banned(site, 5060).has_value());
}

TEST_F(AuthFailureTest, FailuresOutsideTheWindowDoNotAddUp) {
  tracker.record_failure(site, 5060, "alice", false);
  tracker.record_failure(site, 5060, "alice", false);
  clock.advance(Seconds{60});
  EXPECT_TRUE(tracker.record_failure(site, 5060, "alice", false).empty());
  EXPECT_TRUE(tracker.record_failure(site, 5060, "alice", false).empty());
  EXPECT_FALSE(tracker.banned(site, 5060).has_value());
}

TEST_F(AuthFailureTest, SuccessResetsSourceAndUserCounts) {
  tracker.record_failure(site, 5060, "alice", false);
  tracker.record_failure(site, 5060, "alice", false);
  tracker.record_success(site, 5060, "alice");
  EXPECT_TRUE(tracker.record_failure(site, 5060, "alice", false).empty());
  EXPECT_TRUE(tracker.record_failure(site, 5060, "alice", false).empty());
}

TEST_F(AuthFailureTest, UsernameBannedAcrossSources) {
  std::vector<Ban> all;
  for (uint16_t p = 1; p <= 5; ++p) {
    auto b = tracker.record_failure(Ipv4Address{site.value + p}, p, "alice", false);
    all.insert(all.end(), b.begin(), b.end());
  }
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, BanKind::kUsername);
  EXPECT_TRUE(tracker.banned(Ipv4Address{0x08080808}, 5060, "alice").has_value());
  EXPECT_FALSE(tracker.banned(Ipv4Address{0x08080808}, 5060, "bob").has_value());
}

TEST_F(AuthFailureTest, CallCentreAddressIsNotBannedWhileInUse) {
  // One misconfigured phone behind the call-centre NAT, many ports over time.
  std::vector<Ban> all;
  for (uint16_t p = 0; p < 30; ++p) {
    auto b = tracker.record_failure(site, static_cast<uint16_t>(5060 + p % 3), "agent7", true);
    all.insert(all.end(), b.begin(), b.end());
  }
  for (const auto& b : all) EXPECT_NE(b.kind, BanKind::kAddress) << b.key;
  EXPECT_TRUE(tracker.banned(site, 5060).has_value());             // the offender
  EXPECT_TRUE(tracker.banned(site, 5999, "agent7").has_value());   // its username
  EXPECT_FALSE(tracker.banned(site, 5999, "agent8").has_value());  // the rest of the site
}

TEST_F(AuthFailureTest, ScannerAddressIsBannedWhenNoRegistrationUsesIt) {
  std::vector<Ban> all;
  for (uint16_t p = 0; p < 10; ++p) {
    auto b = tracker.record_failure(site, static_cast<uint16_t>(40000 + p),
                                    "user" + std::to_string(p), false);
    all.insert(all.end(), b.begin(), b.end());
  }
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, BanKind::kAddress);
  EXPECT_EQ(all[0].key, "198.18.0.1");
  EXPECT_TRUE(tracker.banned(site, 1).has_value());
}

TEST_F(AuthFailureTest, BanListUnbanAndManualBan) {
  for (int i = 0; i < 3; ++i) tracker.record_failure(site, 5060, "", false);
  ASSERT_EQ(tracker.bans().size(), 1u);
  EXPECT_TRUE(tracker.unban(BanKind::kAddressPort, "198.18.0.1:5060"));
  EXPECT_FALSE(tracker.unban(BanKind::kAddressPort, "198.18.0.1:5060"));
  EXPECT_FALSE(tracker.banned(site, 5060).has_value());
  EXPECT_TRUE(tracker.bans().empty());
  // Counts were reset with the unban: one more failure does not re-ban.
  EXPECT_TRUE(tracker.record_failure(site, 5060, "", false).empty());

  tracker.ban(BanKind::kAddress, "198.18.0.9", "operator", Seconds{30});
  EXPECT_TRUE(tracker.banned(Ipv4Address{0xC6120009}, 1).has_value());
  clock.advance(Seconds{30});
  tracker.sweep();
  EXPECT_TRUE(tracker.bans().empty());
}

TEST_F(AuthFailureTest, ZeroThresholdDisablesThatBan) {
  AuthFailureConfig no_user = config;
  no_user.user_threshold = 0;
  no_user.source_threshold = 0;
  no_user.address_threshold = 0;
  AuthFailureTracker t(no_user, clock);
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(t.record_failure(site, 5060, "alice", false).empty());
}

TEST_F(AuthFailureTest, CountersAreBounded) {
  AuthFailureConfig tiny = config;
  tiny.max_tracked = 10;
  AuthFailureTracker t(tiny, clock);
  for (uint32_t i = 0; i < 1000; ++i)
    t.record_failure(Ipv4Address{0x0A000000 + i}, 5060, "u" + std::to_string(i), false);
  EXPECT_LE(t.tracked_counters(), 30u);
  clock.advance(Seconds{60});
  t.sweep();
  EXPECT_EQ(t.tracked_counters(), 0u);
}

}  // namespace
}  // namespace sbc::registrar
