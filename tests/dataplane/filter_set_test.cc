// A policy's security section and IP-authenticated trunks, turned into the
// dataplane's filters.
#include "dataplane/filter_set.h"

#include <gtest/gtest.h>

#include "policy/loader.h"

namespace sbc::dataplane {
namespace {

policy::PolicyPtr load(const std::string& extra) {
  std::string text =
      "interfaces:\n"
      "  - name: access\n    port: net_null0\n    address: 198.18.1.1/24\n"
      "    sip: [{transport: udp, port: 5060}]\n    media_ports: 20000-20999\n"
      "  - name: core\n    port: net_null1\n    address: 198.18.2.1/24\n"
      "    sip: [{transport: udp, port: 5060}]\n    media_ports: 30000-30999\n"
      "peers:\n"
      "  - name: carrier\n    kind: trunk\n    leg: core\n    address: 198.18.2.10\n"
      "    auth: {mode: ip, trusted: [198.18.2.10/32, 198.18.3.0/24]}\n" +
      extra;
  auto r = policy::load_policy_text(text, "test.yaml");
  if (!r.policy)
    for (const auto& d : r.diagnostics) ADD_FAILURE() << d.to_string();
  return r.policy;
}

TEST(FilterSet, TrunksFirstThenTheAclInOrder) {
  auto p = load(
      "security:\n"
      "  acl:\n"
      "    - {action: deny, source: 198.18.66.0/24}\n"
      "    - {action: allow, source: 198.18.1.0/24, leg: access, protocol: udp, ports: "
      "5060-5061, trust: registered}\n");
  ASSERT_TRUE(p);
  auto f = filters_from_policy(*p);
  ASSERT_TRUE(f.ok()) << f.error().message;
  ASSERT_EQ(f->rules.size(), 4u);
  EXPECT_EQ(f->rules[0].origin, "peer carrier");
  EXPECT_EQ(f->rules[0].source.to_string(), "198.18.2.10/32");
  EXPECT_EQ(f->rules[0].leg, 1);
  EXPECT_EQ(f->classes[f->rules[0].trust_class].name, "carrier");
  EXPECT_EQ(f->rules[1].source.to_string(), "198.18.3.0/24");
  EXPECT_TRUE(f->rules[2].deny);
  EXPECT_EQ(f->rules[2].leg, -1);
  EXPECT_EQ(f->rules[2].protocol, 0);
  const AclRule& a = f->rules[3];
  EXPECT_FALSE(a.deny);
  EXPECT_EQ(a.leg, 0);
  EXPECT_EQ(a.protocol, 17);
  EXPECT_EQ(a.port_lo, 5060);
  EXPECT_EQ(a.port_hi, 5061);
  EXPECT_EQ(f->classes[a.trust_class].name, "registered");
  EXPECT_EQ(f->classes[f->default_class].name, "untrusted");
  EXPECT_EQ(f->classes[f->registered_class].name, "registered");
}

TEST(FilterSet, ATrunkKnownByNameIsTrustedAtItsResolvedAddressesBeforeTheAcl) {
  auto p = load(
      "  - name: carC\n    kind: trunk\n    leg: core\n    address: sip.carrier-c.test\n"
      "    auth: {mode: ip}\n"
      "security:\n  acl:\n    - {action: deny, leg: core}\n");
  ASSERT_TRUE(p);
  policy::ResolvedSources resolved;
  ASSERT_TRUE(resolved.add("core", Ipv4Address{0xc612020b}, "carC"));  // 198.18.2.11
  // Left over from an earlier policy: a peer gone, a peer now trusted by
  // fixed prefixes only, a peer on another leg. None of them is trusted.
  resolved.add("core", Ipv4Address{0xc612020c}, "carD");
  resolved.add("core", Ipv4Address{0xc612020d}, "carrier");
  resolved.add("access", Ipv4Address{0xc612010e}, "carC");
  auto f = filters_from_policy(*p, &resolved);
  ASSERT_TRUE(f.ok()) << f.error().message;
  ASSERT_EQ(f->rules.size(), 4u);  // carrier's two prefixes, carC, the deny
  EXPECT_EQ(f->rules[2].origin, "peer carC (resolved)");
  EXPECT_EQ(f->rules[2].source.to_string(), "198.18.2.11/32");
  EXPECT_EQ(f->rules[2].leg, 1);
  EXPECT_EQ(f->classes[f->rules[2].trust_class].name, "carrier");
  EXPECT_TRUE(f->rules[3].deny);
}

TEST(FilterSet, DefaultClassesWithNoSecuritySection) {
  auto p = load("");
  ASSERT_TRUE(p);
  auto f = filters_from_policy(*p);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->classes.size(), 3u);
  EXPECT_EQ(f->rules.size(), 2u);  // the trunk's prefixes
}

}  // namespace
}  // namespace sbc::dataplane
