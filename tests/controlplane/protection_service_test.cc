// The control plane's protection logic over a FakeDataplane: the admin
// commands, the registrar's bans turned into deny entries, promotion of
// authenticated sources, and filters from the policy.
#include "controlplane/protection_service.h"

#include <gtest/gtest.h>

#include "controlplane/registrar/clock.h"
#include "dataplane/fake_dataplane.h"
#include "policy/loader.h"

namespace sbc::controlplane {
namespace {

using namespace std::chrono_literals;

policy::PolicyPtr lab_policy(const std::string& security_extra = "") {
  auto r = policy::load_policy_text(
      "interfaces:\n"
      "  - name: access\n    port: net_null0\n    address: 198.18.1.1/24\n"
      "    sip: [{transport: udp, port: 5060}]\n    media_ports: 20000-20999\n"
      "security:\n  acl:\n    - {action: deny, source: 198.18.66.0/24}\n" +
          security_extra,
      "test.yaml");
  return r.policy;
}

class Protection : public testing::Test {
 protected:
  Protection()
      : dp_({{"access", Ipv4Address{0xc6120101}, 20000, 20999}}),
        failures_(registrar::AuthFailureConfig{}, clock_),
        svc_(&dp_, &failures_) {}

  admin::Reply run(const std::string& cmd, std::vector<std::string> args) {
    if (cmd == "ban") return svc_.ban_command(args);
    if (cmd == "unban") return svc_.unban_command(args);
    return svc_.bans_command(args);
  }

  registrar::FakeClock clock_;
  dataplane::FakeDataplane dp_;
  registrar::AuthFailureTracker failures_;
  ProtectionService svc_;
};

TEST_F(Protection, BanListAndUnbanAPrefix) {
  auto r = run("ban", {"198.18.7.0/24", "--for", "10m", "--reason", "scanner"});
  ASSERT_TRUE(r.ok) << r.body;
  auto list = dp_.deny_entries();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].prefix.to_string(), "198.18.7.0/24");
  EXPECT_EQ(list[0].reason, "operator: scanner");
  EXPECT_GT(list[0].remaining, 599s);
  auto text = run("bans", {});
  EXPECT_NE(text.body.find("198.18.7.0/24  dataplane  10m  operator: scanner"), std::string::npos)
      << text.body;
  auto json = run("bans", {"--json"});
  EXPECT_NE(json.body.find("\"target\":\"198.18.7.0/24\""), std::string::npos) << json.body;
  EXPECT_TRUE(run("unban", {"198.18.7.0/24"}).ok);
  EXPECT_TRUE(dp_.deny_entries().empty());
  EXPECT_FALSE(run("unban", {"198.18.7.0/24"}).ok);
  EXPECT_EQ(run("bans", {}).body, "no bans\n");
}

TEST_F(Protection, BanWithoutDurationIsPermanentAndExpiresOtherwise) {
  ASSERT_TRUE(run("ban", {"198.18.7.7"}).ok);
  ASSERT_TRUE(run("ban", {"198.18.7.8", "--for", "30s"}).ok);
  dp_.advance(31s);
  dp_.housekeeping();
  auto list = dp_.deny_entries();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].prefix.to_string(), "198.18.7.7/32");
  EXPECT_EQ(list[0].remaining.count(), 0);
  EXPECT_NE(run("bans", {}).body.find("permanent"), std::string::npos);
}

TEST_F(Protection, BadArgumentsGetAClearError) {
  EXPECT_FALSE(run("ban", {}).ok);
  EXPECT_FALSE(run("ban", {"198.18.7.1/33"}).ok);
  EXPECT_FALSE(run("ban", {"198.18.7.0/24:5060"}).ok);
  EXPECT_FALSE(run("ban", {"198.18.7.1", "--for", "10"}).ok);  // no unit
  EXPECT_FALSE(run("ban", {"198.18.7.1", "--bogus"}).ok);
  EXPECT_FALSE(run("bans", {"--xml"}).ok);
  EXPECT_FALSE(run("unban", {}).ok);
  EXPECT_TRUE(dp_.deny_entries().empty());
}

TEST_F(Protection, RegistrarBansBecomeDenyEntriesForTheirDuration) {
  registrar::Ban b;
  b.kind = registrar::BanKind::kAddressPort;
  b.key = "198.18.1.50:5070";
  b.reason = "5 failures";
  b.since = clock_.now();
  b.until = b.since + registrar::Seconds(600);
  svc_.on_ban(b);
  b.kind = registrar::BanKind::kAddress;
  b.key = "198.18.1.51";
  svc_.on_ban(b);
  b.kind = registrar::BanKind::kUsername;
  b.key = "alice";
  svc_.on_ban(b);  // SIP layer only
  auto list = dp_.deny_entries();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].prefix.to_string(), "198.18.1.50/32");
  EXPECT_EQ(list[0].port, 5070);
  EXPECT_EQ(list[0].reason, "failed_auth: 5 failures");
  EXPECT_GT(list[0].remaining, 599s);
  EXPECT_EQ(list[1].port, 0);
  EXPECT_EQ(svc_.bans_from_auth(), 2u);
  // unban of the address:port form clears it.
  EXPECT_TRUE(run("unban", {"198.18.1.50:5070"}).ok);
  EXPECT_EQ(dp_.deny_entries().size(), 1u);
}

TEST_F(Protection, UnbanAlsoLiftsTheRegistrarsBan) {
  failures_.ban(registrar::BanKind::kAddress, "198.18.1.60", "test", registrar::Seconds(600));
  ASSERT_TRUE(dp_.deny(*Ipv4Prefix::parse("198.18.1.60/32"), 0, 600s, "failed_auth").ok());
  EXPECT_TRUE(run("unban", {"198.18.1.60"}).ok);
  EXPECT_FALSE(failures_.banned(Ipv4Address{0xc612013c}, 5060).has_value());
  EXPECT_TRUE(dp_.deny_entries().empty());
}

TEST_F(Protection, PolicyFiltersAndPromotion) {
  auto p = lab_policy();
  ASSERT_TRUE(p);
  ASSERT_TRUE(svc_.apply_policy(*p).ok());
  ASSERT_TRUE(dp_.filters().has_value());
  EXPECT_EQ(dp_.filters()->rules.size(), 1u);
  EXPECT_TRUE(dp_.filters()->rules[0].deny);
  const Ipv4Address phone{0xc612010b};
  svc_.on_authenticated(phone, 3600s);
  EXPECT_EQ(dp_.source_trust(phone), "registered");
  svc_.on_authenticated(Ipv4Address{0xc612010c}, 3600s);
  // The population of the registered class, as `sbcctl stats` and the
  // metrics show it.
  auto registered = [&] {
    auto s = dp_.stats();
    for (size_t k = 0; k < s.trust_classes.size(); ++k)
      if (s.trust_classes[k] == "registered") return s.class_sources[k];
    return uint64_t{999};
  };
  EXPECT_EQ(registered(), 2u);
  svc_.on_authenticated(phone, 0s);  // last binding removed
  EXPECT_EQ(dp_.source_trust(phone), "");
  EXPECT_EQ(registered(), 1u);
}

TEST_F(Protection, RepeatedFloodReportsBanAnUntrustedSourceOnly) {
  auto p = lab_policy();
  ASSERT_TRUE(p);
  ASSERT_TRUE(svc_.apply_policy(*p).ok());
  dataplane::DataplaneEvent e;
  e.type = dataplane::EventType::source_abuse;
  e.remote = Ipv4Address{0xc6120163};  // 198.18.1.99
  e.stream = static_cast<uint16_t>(dp_.filters()->default_class);
  dataplane::DataplaneEvent trusted = e;
  trusted.remote = Ipv4Address{0xc6120164};
  trusted.stream = static_cast<uint16_t>(dp_.filters()->trunk_class);
  for (unsigned i = 0; i + 1 < p->security.flood_ban.threshold; ++i) {
    svc_.on_source_abuse(e);
    svc_.on_source_abuse(trusted);
  }
  EXPECT_TRUE(dp_.deny_entries().empty());
  svc_.on_source_abuse(e);
  for (int i = 0; i < 5; ++i) svc_.on_source_abuse(trusted);
  auto list = dp_.deny_entries();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].prefix.to_string(), "198.18.1.99/32");
  EXPECT_NE(list[0].reason.find("flood"), std::string::npos);
  EXPECT_GT(list[0].remaining, 599s);  // the policy's ban duration (10m by default)
  EXPECT_EQ(svc_.bans_from_abuse(), 1u);
}

TEST_F(Protection, BanRulesAndTheUntrustedCapComeFromThePolicy) {
  auto p = lab_policy(
      "  flood_ban: {threshold: 2, window: 30s, ban: 1h}\n"
      "  malformed_ban: {threshold: 4, window: 1m, ban: 20m}\n"
      "  untrusted_cap: {rate: 500}\n");
  ASSERT_TRUE(p);
  ASSERT_TRUE(svc_.apply_policy(*p).ok());
  EXPECT_EQ(dp_.filters()->untrusted_cap_rate, 500u);
  EXPECT_EQ(dp_.filters()->untrusted_cap_burst, 1000u);  // twice the rate unless given

  dataplane::DataplaneEvent e;
  e.type = dataplane::EventType::source_abuse;
  e.remote = Ipv4Address{0xc6120163};
  e.stream = static_cast<uint16_t>(dp_.filters()->default_class);
  svc_.on_source_abuse(e);
  EXPECT_TRUE(dp_.deny_entries().empty());
  svc_.on_source_abuse(e);
  ASSERT_EQ(dp_.deny_entries().size(), 1u);
  EXPECT_GT(dp_.deny_entries()[0].remaining, 3599s);
  EXPECT_NE(dp_.deny_entries()[0].reason.find("within 30s"), std::string::npos);

  const Ipv4Address garbler{0xc6120165};
  for (int i = 0; i < 3; ++i) svc_.on_malformed_request(garbler);
  EXPECT_EQ(dp_.deny_entries().size(), 1u);
  svc_.on_malformed_request(garbler);
  auto list = dp_.deny_entries();
  ASSERT_EQ(list.size(), 2u);
  const auto& m = list[0].prefix.address == garbler ? list[0] : list[1];
  EXPECT_EQ(m.prefix.to_string(), "198.18.1.101/32");
  EXPECT_NE(m.reason.find("malformed SIP"), std::string::npos);
  EXPECT_GT(m.remaining, 1199s);
  EXPECT_LE(m.remaining, 1200s);
  EXPECT_EQ(svc_.bans_from_malformed(), 1u);
}

TEST(ProtectionNoDataplane, BansGoToTheSipLayer) {
  registrar::FakeClock clock;
  registrar::AuthFailureTracker failures(registrar::AuthFailureConfig{}, clock);
  ProtectionService svc(nullptr, &failures);
  EXPECT_TRUE(svc.ban_command({"198.18.1.70", "--for", "1h"}).ok);
  EXPECT_FALSE(svc.ban_command({"198.18.1.0/24"}).ok);
  ASSERT_EQ(failures.bans().size(), 1u);
  EXPECT_NE(svc.bans_command({}).body.find("198.18.1.70"), std::string::npos);
  EXPECT_TRUE(svc.unban_command({"198.18.1.70"}).ok);
  EXPECT_TRUE(failures.bans().empty());
}

}  // namespace
}  // namespace sbc::controlplane
