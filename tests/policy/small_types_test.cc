// Durations, number rewrites and password strength.
#include <gtest/gtest.h>

#include "policy/duration.h"
#include "policy/number_rewrite.h"
#include "policy/password_strength.h"
#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(*parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_duration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(*parse_duration("5m"), std::chrono::minutes(5));
  EXPECT_EQ(*parse_duration("2h"), std::chrono::hours(2));
  EXPECT_FALSE(parse_duration("30").ok());
  EXPECT_FALSE(parse_duration("30 s").ok());
  EXPECT_FALSE(parse_duration("-1s").ok());
  EXPECT_FALSE(parse_duration("s").ok());
  EXPECT_FALSE(parse_duration("99999999999999h").ok());
  EXPECT_EQ(to_string(std::chrono::milliseconds(1500)), "1500ms");
  EXPECT_EQ(to_string(std::chrono::seconds(90)), "90s");
  EXPECT_EQ(to_string(std::chrono::hours(2)), "2h");
}

TEST(NumberRewrite, StripThenPrepend) {
  NumberRewrite r{2, "+49"};
  EXPECT_EQ(r.apply("0030123"), "+4930123");
  EXPECT_EQ(r.apply("0"), "+49");  // stripping more than the number holds leaves the prepend
  EXPECT_TRUE(NumberRewrite{}.is_identity());
  Manipulation m;
  m.caller = {1, "0"};
  EXPECT_EQ(m.apply_caller("930"), "030");
  m.caller_id = "+4930555";
  EXPECT_EQ(m.apply_caller("930"), "+4930555");
}

TEST(PasswordStrength, FlagsWeakOnes) {
  EXPECT_TRUE(password_weakness("1001", "1001"));
  EXPECT_TRUE(password_weakness("1001", "x1001x-long-enough"));
  EXPECT_TRUE(password_weakness("u", "Password123!"));
  EXPECT_TRUE(password_weakness("u", "Sh0rt!"));
  EXPECT_TRUE(password_weakness("u", "aaaaaaaaaaaaaaaa"));
  EXPECT_TRUE(password_weakness("u", "1234567890123"));
  EXPECT_FALSE(password_weakness("u", "Zq8#vL2m-Tr5pW"));
  EXPECT_FALSE(password_weakness("2000", "Pq5LnO6RZMEJL6lDYHGI"));
  EXPECT_LT(password_bits("abcdefghijklmnop"), password_bits("qzmxnwbevrctyuio"));
}

}  // namespace
}  // namespace sbc::policy

namespace sbc::policy {
namespace {

using testing::dump;
using testing::load;

TEST(SipTransport, ParsesWhatToStringPrints) {
  for (SipTransport t : {SipTransport::udp, SipTransport::tcp, SipTransport::tls})
    EXPECT_EQ(parse_sip_transport(to_string(t)), t);
  for (const char* bad : {"", "UDP", "sctp", "ws", "udp "})
    EXPECT_FALSE(parse_sip_transport(bad).has_value()) << bad;
}

TEST(SipTransport, UnknownTransportIsAnErrorInBothReaders) {
  auto leg = load_policy_text(
      "interfaces:\n  - {name: access, address: 198.18.1.1/24, media_ports: 20000-20999,\n"
      "     sip: [{transport: sctp, port: 5060}]}\n",
      "leg.yaml");
  EXPECT_EQ(leg.policy, nullptr);
  EXPECT_NE(dump(leg.diagnostics).find("unknown transport 'sctp'"), std::string::npos)
      << dump(leg.diagnostics);
  auto peer = load(
      "peers:\n  - {name: t, kind: trunk, leg: core, address: 198.18.2.10,\n"
      "     transport: sctp, auth: {mode: ip}}\n");
  EXPECT_EQ(peer.policy, nullptr);
  EXPECT_NE(dump(peer.diagnostics).find("unknown transport 'sctp'"), std::string::npos)
      << dump(peer.diagnostics);
}

}  // namespace
}  // namespace sbc::policy
