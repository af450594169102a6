#include "controlplane/admin_protocol.h"

#include <gtest/gtest.h>

using namespace sbc::admin;

TEST(AdminProtocol, RequestRoundTrip) {
  std::vector<std::string> words = {"policy", "check", "/etc/sbc/my policy.yaml"};
  auto decoded = decode_request(encode_request(words));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, words);
}

TEST(AdminProtocol, IncompleteRequestWantsMore) {
  EXPECT_FALSE(decode_request("status\n--json").has_value());
  EXPECT_FALSE(decode_request("status\n").has_value());
}

TEST(AdminProtocol, MalformedRequestsAreEmpty) {
  std::string huge(kMaxRequestBytes + 10, 'a');
  auto r = decode_request(huge);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->empty());
  auto nul = decode_request(std::string("sta\0tus\n\n", 9));
  ASSERT_TRUE(nul.has_value());
  EXPECT_TRUE(nul->empty());
  auto blank = decode_request("\n");
  ASSERT_TRUE(blank.has_value());
  EXPECT_TRUE(blank->empty());
}

TEST(AdminProtocol, ReplyRoundTrip) {
  auto r = decode_reply(encode_reply({false, "policy invalid\nline 2\n"}));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->body, "policy invalid\nline 2\n");
  EXPECT_FALSE(decode_reply("maybe\nbody").has_value());
  EXPECT_FALSE(decode_reply("").has_value());
}
