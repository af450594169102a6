// The loader as an operator meets it: every error at once, each with
// file:line:column and field.
#include "policy/loader.h"

#include <gtest/gtest.h>

#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

using testing::count_errors;
using testing::dump;
using testing::find;
using testing::load;

TEST(Loader, MinimalPolicyLoadsWithDefaults) {
  auto r = load("");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(r.policy->interfaces.size(), 2u);
  EXPECT_TRUE(r.policy->peers.empty());
  EXPECT_EQ(r.policy->timers.t1, std::chrono::milliseconds(500));
  EXPECT_EQ(r.policy->timers.registration_max, std::chrono::seconds(3600));
  EXPECT_EQ(r.policy->media.idle_timeout, std::chrono::seconds(60));
  EXPECT_NE(r.policy->security.find_trust_class("untrusted"), nullptr);
}

TEST(Loader, ReportsEveryErrorWithPosition) {
  auto r = load(R"(peers:
  - name: p1
    kind: phon
    leg: nowhere
  - name: p2
    kind: trunk
    leg: core
    address: 198.18.2.10
    colour: red
routes:
  - {prefix: "12a", to: [ghost]}
)");
  EXPECT_EQ(r.policy, nullptr);
  const auto* kind = find(r.diagnostics, "unknown kind 'phon'");
  ASSERT_NE(kind, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(kind->file, "test.yaml");
  EXPECT_EQ(kind->line, 10);  // 7 lines of legs + 3
  EXPECT_EQ(kind->column, 11);
  EXPECT_EQ(kind->field, "peers[0].kind");
  const auto* leg = find(r.diagnostics, "unknown leg 'nowhere'");
  ASSERT_NE(leg, nullptr);
  EXPECT_EQ(leg->field, "peers[0].leg");
  const auto* key = find(r.diagnostics, "unknown key 'colour'");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->field, "peers[1].colour");
  EXPECT_EQ(key->line, 16);
  ASSERT_NE(find(r.diagnostics, "invalid number prefix '12a'"), nullptr);
  const auto* ghost = find(r.diagnostics, "unknown peer 'ghost'");
  ASSERT_NE(ghost, nullptr);
  EXPECT_EQ(ghost->field, "routes[0].to[0]");
  EXPECT_EQ(count_errors(r.diagnostics), 5) << dump(r.diagnostics);
  // In file order.
  for (size_t i = 1; i < r.diagnostics.size(); ++i)
    EXPECT_LE(r.diagnostics[i - 1].line, r.diagnostics[i].line);
}

TEST(Loader, WrongTypesAreErrors) {
  auto r = load(R"(peers:
  - name: [a, b]
    kind: trunk
  - name: t
    kind: trunk
    leg: core
    address: 198.18.2.10
    channels: lots
    port: 70000
timers: 5
)");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "expected a string"), nullptr) << dump(r.diagnostics);
  EXPECT_NE(find(r.diagnostics, "expected an integer, got 'lots'"), nullptr);
  EXPECT_NE(find(r.diagnostics, "70000 is out of range"), nullptr);
  const auto* timers = find(r.diagnostics, "expected a map");
  ASSERT_NE(timers, nullptr);
  EXPECT_EQ(timers->field, "timers");
}

TEST(Loader, MissingRequiredFields) {
  auto r = load(R"(peers:
  - name: t
routes:
  - prefix: "1"
)");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "missing required field 'kind'"), nullptr) << dump(r.diagnostics);
  EXPECT_NE(find(r.diagnostics, "missing required field 'leg'"), nullptr);
  EXPECT_NE(find(r.diagnostics, "missing required field 'to'"), nullptr);
  auto no_legs = load_policy_text("peers: []\n", "x.yaml");
  EXPECT_NE(find(no_legs.diagnostics, "missing required field 'interfaces'"), nullptr);
}

TEST(Loader, DuplicateNames) {
  auto r = load(R"(templates:
  - {name: t, kind: trunk}
  - {name: t, kind: phone}
peers:
  - {name: a, kind: trunk, leg: core, address: 198.18.2.10}
  - {name: a, kind: trunk, leg: core, address: 198.18.2.11}
)");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "duplicate template name 't'"), nullptr) << dump(r.diagnostics);
  const auto* d = find(r.diagnostics, "duplicate peer name 'a'");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->line, 13);
}

TEST(Loader, OverlappingMediaPortsAndBadAddresses) {
  auto r = load_policy_text(R"(interfaces:
  - {name: a, address: 198.18.1.1/24, media_ports: 20000-29999}
  - {name: b, address: 198.18.300.1/24, media_ports: 29000-39999}
)",
                            "x.yaml");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "overlaps the media port range"), nullptr) << dump(r.diagnostics);
  const auto* addr = find(r.diagnostics, "198.18.300.1");
  ASSERT_NE(addr, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(addr->field, "interfaces[1].address");
}

TEST(Loader, TimersAreConfigurableWithUnits) {
  auto r = load(R"(timers:
  t1: 50ms
  t2: 400ms
  registration_min: 1s
  registration_default: 2s
  registration_max: 5s
  nat_keepalive: 2s
  failover: 1500ms
media:
  idle_timeout: 3s
  latching: any
)");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(r.policy->timers.t1, std::chrono::milliseconds(50));
  EXPECT_EQ(r.policy->timers.registration_default, std::chrono::seconds(2));
  EXPECT_EQ(r.policy->timers.failover, std::chrono::milliseconds(1500));
  auto defaults = load("");
  ASSERT_NE(defaults.policy, nullptr) << dump(defaults.diagnostics);
  EXPECT_EQ(defaults.policy->timers.failover, std::chrono::seconds(4));
  EXPECT_EQ(r.policy->media.idle_timeout, std::chrono::seconds(3));
  EXPECT_EQ(r.policy->media.default_latching, LatchingMode::any);
  auto bad = load("timers: {t1: 500, t2: 100ms, registration_min: 2h}\n");
  EXPECT_NE(find(bad.diagnostics, "needs a unit"), nullptr) << dump(bad.diagnostics);
  EXPECT_NE(find(bad.diagnostics, "registration_min is above registration_max"), nullptr);
}

TEST(Loader, DnsTimers) {
  auto defaults = load("");
  ASSERT_NE(defaults.policy, nullptr);
  EXPECT_EQ(defaults.policy->timers.dns_ttl_min, std::chrono::seconds(30));
  EXPECT_EQ(defaults.policy->timers.dns_ttl_max, std::chrono::hours(1));
  EXPECT_EQ(defaults.policy->timers.dns_retry, std::chrono::seconds(10));
  EXPECT_EQ(defaults.policy->timers.dns_timeout, std::chrono::seconds(5));
  auto r = load("timers: {dns_ttl_min: 1s, dns_ttl_max: 10s, dns_retry: 500ms, dns_timeout: 1s}\n");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(r.policy->timers.dns_retry, std::chrono::milliseconds(500));
  auto bad = load("timers: {dns_ttl_min: 2m, dns_ttl_max: 1m, dns_timeout: 10m}\n");
  EXPECT_NE(find(bad.diagnostics, "dns_ttl_min is above dns_ttl_max"), nullptr)
      << dump(bad.diagnostics);
  EXPECT_NE(dump(bad.diagnostics).find("timers.dns_timeout"), std::string::npos)
      << "above its bound: " << dump(bad.diagnostics);
}

TEST(Loader, SecuritySection) {
  auto r = load(R"(security:
  trust_classes:
    - {name: carrier, rate: 500, burst: 800}
    - {name: partner, rate: 100}
  default_trust_class: untrusted
  acl:
    - {action: allow, source: 198.18.2.0/24, leg: core, protocol: udp, ports: 5060-5061, trust: partner}
    - {action: deny, leg: core}
  failed_auth: {threshold: 3, window: 30s, ban: 5m, max_ban: 1h}
  scanner_user_agents: [friendly-scanner, sipvicious]
)");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  const auto& s = r.policy->security;
  ASSERT_EQ(s.acl.size(), 2u);
  EXPECT_EQ(s.acl[0].ports.first, 5060);
  EXPECT_EQ(s.acl[0].ports.last, 5061);
  EXPECT_EQ(s.acl[0].trust_class, "partner");
  EXPECT_EQ(s.acl[1].source.length, 0);
  EXPECT_EQ(s.find_trust_class("carrier")->rate, 500u);  // replaced the built-in
  EXPECT_EQ(s.find_trust_class("partner")->burst, 200u);
  EXPECT_EQ(s.failed_auth.threshold, 3u);
  EXPECT_EQ(s.failed_auth.ban, std::chrono::minutes(5));
  EXPECT_TRUE(s.is_scanner("Friendly-Scanner 1.0"));
  EXPECT_FALSE(s.is_scanner("Yealink SIP-T46S"));

  auto bad = load(R"(security:
  acl:
    - {action: permit, leg: mars, trust: vip, ports: 99999}
    - {action: deny, trust: carrier}
)");
  EXPECT_EQ(bad.policy, nullptr);
  EXPECT_NE(find(bad.diagnostics, "unknown action 'permit'"), nullptr) << dump(bad.diagnostics);
  EXPECT_NE(find(bad.diagnostics, "unknown leg 'mars'"), nullptr);
  EXPECT_NE(find(bad.diagnostics, "invalid port range '99999'"), nullptr);
  EXPECT_NE(find(bad.diagnostics, "a deny entry has no trust class"), nullptr);
}

TEST(Loader, BanRulesAndTheUntrustedCap) {
  auto d = load("");
  ASSERT_NE(d.policy, nullptr) << dump(d.diagnostics);
  EXPECT_EQ(d.policy->security.flood_ban.threshold, 3u);
  EXPECT_EQ(d.policy->security.malformed_ban.threshold, 10u);
  EXPECT_EQ(d.policy->security.untrusted_cap.rate, 2000u);
  EXPECT_EQ(d.policy->security.untrusted_cap.burst, 4000u);

  auto r = load(R"(security:
  flood_ban: {threshold: 5, window: 2m, ban: 1h}
  malformed_ban: {ban: 30m}
  untrusted_cap: {rate: 300, burst: 900}
)");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  const auto& s = r.policy->security;
  EXPECT_EQ(s.flood_ban.threshold, 5u);
  EXPECT_EQ(s.flood_ban.window, std::chrono::minutes(2));
  EXPECT_EQ(s.flood_ban.ban, std::chrono::hours(1));
  EXPECT_EQ(s.malformed_ban.threshold, 10u);  // unchanged where not given
  EXPECT_EQ(s.malformed_ban.ban, std::chrono::minutes(30));
  EXPECT_EQ(s.untrusted_cap.rate, 300u);
  EXPECT_EQ(s.untrusted_cap.burst, 900u);

  auto bad = load(R"(security:
  flood_ban: {threshold: 0, after: 3}
  malformed_ban: {window: 0s}
  untrusted_cap: {burst: 10}
)");
  EXPECT_EQ(bad.policy, nullptr);
  const std::string all = dump(bad.diagnostics);
  for (const char* field : {"security.flood_ban.threshold", "unknown key 'after'",
                            "security.malformed_ban.window", "security.untrusted_cap"})
    EXPECT_NE(all.find(field), std::string::npos) << field << "\n" << all;
}

TEST(Loader, SrtpBeyondPassthroughIsRefusedClearly) {
  auto r = load(R"(peers:
  - {name: t, kind: trunk, leg: core, address: 198.18.2.10, media: {srtp: required}}
)");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "not supported yet"), nullptr) << dump(r.diagnostics);
}

TEST(Loader, FileThatDoesNotExist) {
  auto r = load_policy_file("/nonexistent/policy.yaml");
  EXPECT_EQ(r.policy, nullptr);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_NE(r.diagnostics[0].message.find("cannot open"), std::string::npos);
  auto dir = load_policy_file("/tmp");
  EXPECT_EQ(dir.policy, nullptr);
  EXPECT_NE(find(dir.diagnostics, "not a regular file"), nullptr);
}

TEST(Loader, SnapshotIsSelfContainedAfterTheLoaderIsGone) {
  // A call keeps the snapshot it started with: everything it needs must be
  // inside the Policy, with no pointer into loader state.
  PolicyPtr kept;
  {
    auto r = load(R"(peers:
  - {name: t, kind: trunk, leg: core, address: 198.18.2.10}
routes:
  - {prefix: "1", to: t}
)");
    kept = r.policy;
  }
  ASSERT_NE(kept, nullptr);
  Policy copy = *kept;  // a copy too: the route table holds no pointer to its routes
  const int32_t i =
      copy.route_table.longest_match(copy.routes, "123", [](const Route&) { return true; });
  ASSERT_EQ(i, 0);
  EXPECT_EQ(copy.peers[copy.routes[0].to[0]].name, "t");
}

TEST(Loader, ReloadContract) {
  auto a = testing::load_ok("");
  auto b =
      testing::load_ok("peers:\n  - {name: t, kind: trunk, leg: core, address: 198.18.2.10}\n");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(same_interfaces(*a, *b));  // peers changed: reloadable
  auto c = load_policy_text(R"(interfaces:
  - {name: access, address: 198.18.1.2/24, media_ports: 20000-29999}
  - {name: core, address: 198.18.2.1/24, media_ports: 30000-39999}
)",
                            "c.yaml");
  ASSERT_NE(c.policy, nullptr);
  EXPECT_FALSE(same_interfaces(*a, *c.policy));
}

}  // namespace
}  // namespace sbc::policy
