// Reading RFC 4028's headers from real parsed messages, and writing Session-Expires.
#include "sip/session_timer_headers.h"

#include <gtest/gtest.h>

#include "sip/sip_message.h"

using namespace sbc::sip;

namespace {

MsgPtr invite_with(const std::string& headers) {
  std::string m =
      "INVITE sip:1001@198.18.1.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.1.11:5060;branch=z9hG4bK1\r\n"
      "From: <sip:6001@198.18.1.11>;tag=1\r\nTo: <sip:1001@198.18.1.1>\r\nCall-ID: c1\r\n"
      "CSeq: 1 INVITE\r\n" +
      headers + "Content-Length: 0\r\n\r\n";
  return parse_sip_message(m);
}

}  // namespace

TEST(SessionTimerHeaders, ReadsExpiresRefresherMinSeAndTheOptionTag) {
  auto msg = invite_with(
      "Supported: 100rel, timer\r\nSession-Expires: 600;refresher=uac\r\nMin-SE: 120\r\n");
  ASSERT_TRUE(msg);
  auto h = session_timer_headers(sip_of(msg));
  EXPECT_EQ(h.expires, 600u);
  EXPECT_EQ(h.refresher, Refresher::uac);
  EXPECT_EQ(h.min_se, 120u);
  EXPECT_TRUE(h.supported);
  EXPECT_FALSE(h.required);
}

TEST(SessionTimerHeaders, CompactFormAndRequire) {
  auto msg = invite_with("x: 90;refresher=UAS\r\nRequire: timer\r\n");
  ASSERT_TRUE(msg);
  auto h = session_timer_headers(sip_of(msg));
  EXPECT_EQ(h.expires, 90u);
  EXPECT_EQ(h.refresher, Refresher::uas);
  EXPECT_TRUE(h.required);
  EXPECT_FALSE(h.supported);
}

TEST(SessionTimerHeaders, NoneOfThem) {
  auto msg = invite_with("Supported: 100rel\r\n");
  ASSERT_TRUE(msg);
  auto h = session_timer_headers(sip_of(msg));
  EXPECT_EQ(h.expires, 0u);
  EXPECT_EQ(h.refresher, Refresher::unspecified);
  EXPECT_EQ(h.min_se, 0u);
  EXPECT_FALSE(h.supported);
  EXPECT_EQ(session_timer_headers(nullptr).expires, 0u);
}

TEST(SessionTimerHeaders, WritesSessionExpires) {
  EXPECT_EQ(session_expires_value(1800, Refresher::uac), "1800;refresher=uac");
  EXPECT_EQ(session_expires_value(90, Refresher::uas), "90;refresher=uas");
  EXPECT_EQ(session_expires_value(300, Refresher::unspecified), "300");
}
