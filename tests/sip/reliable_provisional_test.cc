// Reading RFC 3262's option tag and RSeq from real parsed messages.
#include "sip/reliable_provisional.h"

#include <gtest/gtest.h>

#include "sip/sip_message.h"

using namespace sbc::sip;
using Kind = ProvisionalReliability::Kind;

namespace {

MsgPtr invite_with(const std::string& headers) {
  std::string m =
      "INVITE sip:1001@198.18.1.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.1.11:5060;branch=z9hG4bK1\r\n"
      "From: <sip:6001@198.18.1.11>;tag=1\r\nTo: <sip:1001@198.18.1.1>\r\nCall-ID: c1\r\n"
      "CSeq: 1 INVITE\r\n" +
      headers + "Content-Length: 0\r\n\r\n";
  return parse_sip_message(m);
}

MsgPtr response_with(int status, const std::string& headers) {
  std::string m = "SIP/2.0 " + std::to_string(status) +
                  " Something\r\nVia: SIP/2.0/UDP 198.18.1.1:5060;branch=z9hG4bK1\r\n"
                  "From: <sip:6001@198.18.1.1>;tag=1\r\nTo: <sip:1001@198.18.2.11>;tag=b\r\n"
                  "Call-ID: c1\r\nCSeq: 1 INVITE\r\n" +
                  headers + "Content-Length: 0\r\n\r\n";
  return parse_sip_message(m);
}

}  // namespace

TEST(Rel100Support, SupportedAndRequiredAreReadApart) {
  auto s = invite_with("Supported: timer, 100rel\r\n");
  ASSERT_TRUE(s);
  EXPECT_TRUE(rel100_support(sip_of(s)).supported);
  EXPECT_FALSE(rel100_support(sip_of(s)).required);
  auto r = invite_with("Require: 100REL\r\n");
  ASSERT_TRUE(r);
  EXPECT_TRUE(rel100_support(sip_of(r)).required);
  EXPECT_TRUE(rel100_support(sip_of(r)).any());
  auto none = invite_with("Supported: timer\r\n");
  ASSERT_TRUE(none);
  EXPECT_FALSE(rel100_support(sip_of(none)).any());
  EXPECT_FALSE(rel100_support(nullptr).any());
}

TEST(ProvisionalReliability, ReliableWithItsRSeq) {
  auto m = response_with(183, "Require: 100rel\r\nRSeq: 4711\r\n");
  ASSERT_TRUE(m);
  auto p = provisional_reliability(sip_of(m));
  EXPECT_EQ(p.kind, Kind::reliable);
  EXPECT_EQ(p.rseq, 4711u);
}

TEST(ProvisionalReliability, AnRSeqWithoutRequireIsUnreliable) {
  // RFC 3262 3: only Require: 100rel makes a provisional response reliable.
  auto m = response_with(180, "RSeq: 5\r\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(provisional_reliability(sip_of(m)).kind, Kind::unreliable);
}

TEST(ProvisionalReliability, RequireWithoutRSeqIsBroken) {
  auto m = response_with(183, "Require: 100rel\r\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(provisional_reliability(sip_of(m)).kind, Kind::missing_rseq);
}

TEST(ProvisionalReliability, AnRSeqOutOfRangeIsBroken) {
  auto zero = response_with(183, "Require: 100rel\r\nRSeq: 0\r\n");
  ASSERT_TRUE(zero);
  EXPECT_EQ(provisional_reliability(sip_of(zero)).kind, Kind::missing_rseq);
  auto big = response_with(183, "Require: 100rel\r\nRSeq: 4294967296\r\n");
  ASSERT_TRUE(big);
  EXPECT_EQ(provisional_reliability(sip_of(big)).kind, Kind::missing_rseq);
}

TEST(ProvisionalReliability, OnlyProvisionalResponses) {
  auto ok = response_with(200, "Require: 100rel\r\nRSeq: 1\r\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(provisional_reliability(sip_of(ok)).kind, Kind::unreliable);
  auto trying = response_with(100, "Require: 100rel\r\nRSeq: 1\r\n");
  ASSERT_TRUE(trying);
  EXPECT_EQ(provisional_reliability(sip_of(trying)).kind, Kind::unreliable);
  EXPECT_EQ(provisional_reliability(nullptr).kind, Kind::unreliable);
}
