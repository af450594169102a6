// Lint findings: warnings that leave the policy loadable.
#include "policy/linter.h"

#include <gtest/gtest.h>

#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

using testing::count_warnings;
using testing::dump;
using testing::find;
using testing::load;

const char* kCarriers = R"(peers:
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20}
)";

TEST(Linter, CleanPolicyHasNoWarnings) {
  auto r = load(std::string(kCarriers) + R"(routes:
  - {prefix: "1", from: carrier-a, to: carrier-b}
)");
  ASSERT_NE(r.policy, nullptr);
  EXPECT_EQ(count_warnings(r.diagnostics), 0) << dump(r.diagnostics);
}

TEST(Linter, WarningsDoNotStopTheLoad) {
  auto r = load(std::string(kCarriers) + R"(routes:
  - {prefix: "1", to: carrier-a}
  - {prefix: "1", to: carrier-b}
)");
  EXPECT_NE(r.policy, nullptr);
  const auto* d = find(r.diagnostics, "same prefix and source");
  ASSERT_NE(d, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(d->severity, Diagnostic::Severity::warning);
  EXPECT_EQ(d->line, 13);
  // A different source is not a duplicate.
  auto ok = load(std::string(kCarriers) + R"(routes:
  - {prefix: "1", from: carrier-b, to: carrier-a}
  - {prefix: "1", from: carrier-a, to: carrier-b}
)");
  EXPECT_EQ(find(ok.diagnostics, "same prefix and source"), nullptr) << dump(ok.diagnostics);
}

TEST(Linter, UnreachablePeer) {
  auto r = load(R"(peers:
  - {name: in-only, kind: trunk, leg: core, auth: {mode: ip, trusted: 198.18.2.40}}
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.10}
routes:
  - {prefix: "9", from: pbx, to: in-only}
)");
  EXPECT_NE(find(r.diagnostics, "peer 'in-only' has no address and cannot register"), nullptr)
      << dump(r.diagnostics);
}

TEST(Linter, LoopBetweenTwoPeers) {
  auto r = load(std::string(kCarriers) + R"(routes:
  - {prefix: "49", from: carrier-a, to: carrier-b}
  - {prefix: "4", from: carrier-b, to: carrier-a}
)");
  EXPECT_NE(find(r.diagnostics, "can loop"), nullptr) << dump(r.diagnostics);
  // A default route with no source sends each carrier's calls to the other.
  auto d = load(std::string(kCarriers) + R"(routes:
  - {prefix: default, to: [carrier-a, carrier-b]}
)");
  EXPECT_NE(find(d.diagnostics, "can loop"), nullptr) << dump(d.diagnostics);
}

TEST(Linter, LoopThroughThreePeers) {
  // a -> b -> c -> a for 49: no two peers send it straight back to each other.
  const std::string peers = R"(peers:
  - {name: a, kind: trunk, leg: core, address: 198.18.2.10}
  - {name: b, kind: trunk, leg: core, address: 198.18.2.20}
  - {name: c, kind: trunk, leg: core, address: 198.18.2.30}
routes:
)";
  auto r = load(peers + R"(  - {prefix: "49", from: a, to: b}
  - {prefix: "49", from: b, to: c}
  - {prefix: "49", from: c, to: a}
)");
  ASSERT_NE(r.policy, nullptr);
  const auto* d = find(r.diagnostics, "can loop");
  ASSERT_NE(d, nullptr) << dump(r.diagnostics);
  EXPECT_NE(d->message.find("'b' sends them to 'c', 'c' to 'a'"), std::string::npos) << d->message;
  size_t loops = 0;
  for (const auto& w : r.diagnostics) loops += w.message.find("can loop") != std::string::npos;
  EXPECT_EQ(loops, 1u) << "one cycle, reported once: " << dump(r.diagnostics);
  // Break the cycle at c (it sends 49 nowhere back): nothing to report.
  auto ok = load(peers + R"(  - {prefix: "49", from: a, to: b}
  - {prefix: "49", from: b, to: c}
  - {prefix: "48", from: c, to: a}
)");
  EXPECT_EQ(find(ok.diagnostics, "can loop"), nullptr) << dump(ok.diagnostics);
}

TEST(Linter, LoopCheckFollowsManipulation) {
  // B strips the 49 the first route matched on, so what comes back is a
  // different number: no loop.
  auto r = load(R"(peers:
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20, manipulation: {inbound: {strip: 2, prepend: "7"}}}
routes:
  - {prefix: "49", from: carrier-a, to: carrier-b}
  - {prefix: "49", from: carrier-b, to: carrier-a}
)");
  EXPECT_EQ(find(r.diagnostics, "can loop"), nullptr) << dump(r.diagnostics);
}

TEST(Linter, HoleInANumberRange) {
  auto r = load(std::string(kCarriers) + R"(routes:
  - {prefix: "61", from: carrier-a, to: carrier-b}
  - {prefix: "62", from: carrier-a, to: carrier-b}
  - {prefix: "65", from: carrier-a, to: carrier-b}
)");
  const auto* d = find(r.diagnostics, "no route for numbers starting 60,63-64,66-69");
  EXPECT_NE(d, nullptr) << dump(r.diagnostics);
  // A first digit with no routes at all is intent, not a hole.
  EXPECT_EQ(find(r.diagnostics, "starting 0"), nullptr);
  auto none = load(kCarriers);
  EXPECT_NE(find(none.diagnostics, "no routes"), nullptr);
}

TEST(Linter, WeakPasswords) {
  auto r = load(R"(peers:
  - {name: p1, kind: phone, leg: access, auth: {username: "1001", password: "1001"}}
  - {name: p2, kind: phone, leg: access, auth: {password: "short"}}
  - {name: t, kind: trunk, leg: core, address: 198.18.2.10, register: {registrar: r.example, username: acct, password: acct}}
)");
  ASSERT_NE(r.policy, nullptr);
  const auto* d = find(r.diagnostics, "password equals the username");
  ASSERT_NE(d, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(d->field, "peers.p1.auth.password");
  EXPECT_NE(find(r.diagnostics, "5 characters"), nullptr);
  const auto* reg = find(r.diagnostics, "password equals the username");
  EXPECT_NE(reg, nullptr);
  int register_findings = 0;
  for (const auto& x : r.diagnostics) register_findings += x.field == "peers.t.register.password";
  EXPECT_EQ(register_findings, 1);
}

TEST(Linter, WideTrust) {
  auto r = load(R"(peers:
  - {name: t, kind: trunk, leg: core, address: 198.18.2.10, auth: {mode: ip, trusted: [198.18.0.0/16]}}
  - {name: u, kind: trunk, leg: core, address: 198.18.3.10, auth: {mode: ip, trusted: [198.18.3.0/24]}}
)");
  EXPECT_NE(find(r.diagnostics, "trusts 198.18.0.0/16"), nullptr) << dump(r.diagnostics);
  EXPECT_EQ(find(r.diagnostics, "trusts 198.18.3.0/24"), nullptr);
}

TEST(Linter, CapWithoutAlert) {
  auto r = load(R"(peers:
  - {name: t, kind: trunk, leg: core, address: 198.18.2.10, channels: 30, cps: 5}
  - {name: u, kind: trunk, leg: core, address: 198.18.2.20, channels: {max: 30, alert_at: 25}}
)");
  EXPECT_NE(find(r.diagnostics, "a cap of 30 channels with no alert_at"), nullptr)
      << dump(r.diagnostics);
  EXPECT_NE(find(r.diagnostics, "calls-per-second cap with no alert_at"), nullptr);
  int alerts = 0;
  for (const auto& x : r.diagnostics) alerts += x.message.find("alert_at") != std::string::npos;
  EXPECT_EQ(alerts, 2);
}

TEST(Linter, PeerThatOverridesNothing) {
  auto r = load(R"(templates:
  - {name: desk, kind: phone, leg: access, auth: {password: "Zq8#vL2m-Tr5pW"}}
peers:
  - {name: a, template: desk}
  - {name: b, template: desk, codecs: [pcma]}
)");
  const auto* d = find(r.diagnostics, "sets nothing beyond its template 'desk'");
  ASSERT_NE(d, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(d->field, "peers.a");
  int n = 0;
  for (const auto& x : r.diagnostics) n += x.message.find("sets nothing") != std::string::npos;
  EXPECT_EQ(n, 1);
}

TEST(Linter, HostNameWithoutDomain) {
  auto r = load(R"(peers:
  - {name: t, kind: trunk, leg: core, address: carrier, auth: {mode: ip}}
  - {name: u, kind: trunk, leg: core, address: sip.carrier.example, auth: {mode: ip},
     register: {registrar: "registrar:5070", username: u1, password: "Kd8!mZ2q-Lp7vRt5"}}
)");
  ASSERT_NE(r.policy, nullptr) << "a warning, not an error: " << dump(r.diagnostics);
  const auto* d = find(r.diagnostics, "'carrier' has no domain");
  ASSERT_NE(d, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(d->field, "peers.t.address");
  EXPECT_NE(find(r.diagnostics, "'registrar' has no domain"), nullptr);
  EXPECT_EQ(find(r.diagnostics, "'sip.carrier.example' has no domain"), nullptr);
}

TEST(Linter, FindingsOfOneKindAreCapped) {
  std::string body = "peers:\n";
  for (int i = 0; i < 50; ++i)
    body += "  - {name: p" + std::to_string(i) +
            ", kind: phone, leg: access, auth: {password: \"p" + std::to_string(i) + "\"}}\n";
  auto r = load(body);
  int weak = 0;
  for (const auto& x : r.diagnostics) weak += x.field.find("auth.password") != std::string::npos;
  EXPECT_EQ(weak, static_cast<int>(kMaxFindingsPerKind));
  EXPECT_NE(find(r.diagnostics, "and 30 more: weak passwords"), nullptr) << dump(r.diagnostics);
}

}  // namespace
}  // namespace sbc::policy
