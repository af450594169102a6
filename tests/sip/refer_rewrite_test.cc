// REFER across the SBC: the transfer target and the referrer are rewritten
// to the SBC's address on the receiving leg, the user part and an attended
// transfer's Replaces kept; a NOTIFY's sipfrag keeps only its status line.
#include "sip/refer_rewrite.h"

#include <gtest/gtest.h>

#include "sip/sip_message.h"

using namespace sbc::sip;

namespace {

MsgPtr refer_with(const std::string& headers) {
  std::string m =
      "REFER sip:sbc@198.18.1.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.1.11:5060;branch=z9hG4bK1\r\n"
      "From: <sip:6001@198.18.1.11>;tag=1\r\nTo: <sip:1001@198.18.1.1>;tag=2\r\nCall-ID: c1\r\n"
      "CSeq: 2 REFER\r\n" +
      headers + "Content-Length: 0\r\n\r\n";
  return parse_sip_message(m);
}

const char* kSbc = "198.18.2.1:5060";

}  // namespace

TEST(ReferRewrite, BlindTransferTargetGetsTheSbcsAddress) {
  auto msg = refer_with("Refer-To: \"Desk\" <sip:2002@198.18.1.11:5070;transport=udp>\r\n");
  ASSERT_TRUE(msg);
  auto r = refer_to_toward(sip_of(msg)->sip_refer_to, kSbc);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "<sip:2002@198.18.2.1:5060>");
}

TEST(ReferRewrite, ReplacesAndOtherUriHeadersStayBehind) {
  auto msg = refer_with(
      "Refer-To: <sip:2002@pbx.example?Replaces=abc%40198.18.1.11%3Bto-tag%3D7%3Bfrom-tag%3D9"
      "&Route=%3Csip%3A198.18.1.99%3E>\r\n");
  ASSERT_TRUE(msg);
  auto r = refer_to_toward(sip_of(msg)->sip_refer_to, kSbc);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "<sip:2002@198.18.2.1:5060>");  // the referrer's Call-ID host stays behind
}

TEST(ReferRewrite, TargetsTheSbcCannotRouteAreRefused) {
  for (const char* h : {"Refer-To: <tel:+4930123>\r\n", "Refer-To: <sip:198.18.1.11>\r\n",
                        "Refer-To: <sip:a%0Db@198.18.1.11>\r\n"}) {
    auto msg = refer_with(h);
    ASSERT_TRUE(msg) << h;
    EXPECT_FALSE(refer_to_toward(sip_of(msg)->sip_refer_to, kSbc)) << h;
  }
  EXPECT_FALSE(refer_to_toward(nullptr, kSbc));
}

TEST(ReferRewrite, ReferredByNamesTheUserAtTheSbc) {
  auto msg = refer_with(
      "Refer-To: <sip:2002@198.18.1.11>\r\nReferred-By: \"Agent\" <sip:6001@198.18.1.11:5060>\r\n");
  ASSERT_TRUE(msg);
  EXPECT_EQ(referred_by_toward(sip_of(msg)->sip_referred_by, kSbc), "<sip:6001@198.18.2.1:5060>");
  EXPECT_EQ(referred_by_toward(nullptr, kSbc), std::nullopt);
  auto anonymous = refer_with("Referred-By: <sip:198.18.1.11>\r\n");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(referred_by_toward(sip_of(anonymous)->sip_referred_by, kSbc), std::nullopt);
}

TEST(ReferRewrite, SipfragKeepsTheStatusLineOnly) {
  EXPECT_EQ(sipfrag_status_line("SIP/2.0 200 OK\r\nContact: <sip:198.18.2.10>\r\n"),
            "SIP/2.0 200 OK\r\n");
  EXPECT_EQ(sipfrag_status_line("SIP/2.0 100 Trying"), "SIP/2.0 100 Trying\r\n");
  EXPECT_EQ(sipfrag_status_line("SIP/2.0 503"), "SIP/2.0 503\r\n");
  EXPECT_EQ(sipfrag_status_line("INVITE sip:x SIP/2.0\r\n"), "");
  EXPECT_EQ(sipfrag_status_line("SIP/2.0 2x0 OK\r\n"), "");
  EXPECT_EQ(sipfrag_status_line(""), "");
}

TEST(ReferRewrite, PlainUserParts) {
  EXPECT_TRUE(plain_user("+4930123"));
  EXPECT_TRUE(plain_user("alice.b"));
  EXPECT_FALSE(plain_user(""));
  EXPECT_FALSE(plain_user("a b"));
  EXPECT_FALSE(plain_user("a<b"));
  EXPECT_FALSE(plain_user(std::string(65, '1')));
}
