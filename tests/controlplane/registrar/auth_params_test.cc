#include "controlplane/registrar/auth_params.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::registrar {
namespace {

TEST(AuthParams, ParsesQuotedAndTokenValues) {
  auto h = parse_auth_header(
      R"(Digest username="Mufasa", realm="testrealm@host.com", nc=00000001, qop=auth,)"
      R"( uri="/dir/index.html", algorithm=MD5)");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->scheme, "Digest");
  ASSERT_NE(h->find("username"), nullptr);
  EXPECT_EQ(*h->find("username"), "Mufasa");
  EXPECT_EQ(*h->find("realm"), "testrealm@host.com");
  EXPECT_EQ(*h->find("nc"), "00000001");
  EXPECT_EQ(*h->find("qop"), "auth");
  EXPECT_EQ(*h->find("algorithm"), "MD5");
  EXPECT_EQ(h->find("cnonce"), nullptr);
}

TEST(AuthParams, UnescapesQuotedPairsAndLowercasesNames) {
  auto h = parse_auth_header(R"(Digest UserName="a\"b\\c", Realm = "x" )");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(*h->find("username"), "a\"b\\c");
  EXPECT_EQ(*h->find("realm"), "x");
}

TEST(AuthParams, QuoteRoundTrips) {
  std::string v = "we\"ird\\realm";
  auto h = parse_auth_header("Digest realm=" + quote(v));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h->find("realm"), v);
}

TEST(AuthParams, ToleratesEmptyListElementsAndLineFolding) {
  auto h = parse_auth_header("Digest ,username=\"a\",\r\n\t, realm=\"b\",");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->params.size(), 2u);
}

TEST(AuthParams, AcceptsBase64AndUriCharactersUnquoted) {
  auto h = parse_auth_header("Digest nonce=7ypf/xlj9XXwfDPE+oM4URrv=, uri=sip:bob@example.com");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(*h->find("nonce"), "7ypf/xlj9XXwfDPE+oM4URrv=");
  EXPECT_EQ(*h->find("uri"), "sip:bob@example.com");
}

struct BadCase {
  const char* name;
  std::string input;
};

class AuthParamsRejects : public testing::TestWithParam<BadCase> {};

TEST_P(AuthParamsRejects, WithAnError) {
  auto h = parse_auth_header(GetParam().input);
  EXPECT_FALSE(h.ok()) << GetParam().name;
  if (!h.ok()) {
    EXPECT_FALSE(h.error().message.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, AuthParamsRejects,
    testing::Values(BadCase{"empty", ""}, BadCase{"blank", "   "}, BadCase{"no scheme", "=abc"},
                    BadCase{"scheme glued to quote", "Digest\"x\""},
                    BadCase{"missing equals", "Digest username"},
                    BadCase{"missing value", "Digest username="},
                    BadCase{"missing comma", "Digest a=\"1\" b=\"2\""},
                    BadCase{"unterminated quote", "Digest username=\"abc"},
                    BadCase{"dangling backslash", "Digest username=\"abc\\"},
                    BadCase{"duplicate param", "Digest username=\"a\", USERNAME=\"b\""},
                    BadCase{"control char", std::string("Digest username=\"a\x01\"")},
                    BadCase{"nul byte", std::string("Digest username=\"a\0b\"",
                                                    sizeof("Digest username=\"a\0b\"") - 1)},
                    BadCase{"bad name char", "Digest us(er=\"a\""},
                    BadCase{"escaped newline", "Digest username=\"a\\\nb\""},
                    BadCase{"escaped control char",
                            "Digest username=\"a\\\x13"
                            "b\""},
                    BadCase{"bad value char", "Digest nc=0000;0001"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (auto& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(AuthParams, RejectsOversizeInput) {
  std::string big = "Digest username=\"" + std::string(5000, 'a') + "\"";
  EXPECT_FALSE(parse_auth_header(big).ok());
  // The same header under a larger limit is fine: the limit is what refused it.
  AuthParamLimits wide{10000, 32, 10000};
  EXPECT_TRUE(parse_auth_header(big, wide).ok());
}

TEST(AuthParams, RejectsOversizeValueAndTooManyParams) {
  AuthParamLimits limits;
  limits.max_value = 8;
  EXPECT_FALSE(parse_auth_header("Digest a=\"123456789\"", limits).ok());
  EXPECT_TRUE(parse_auth_header("Digest a=\"12345678\"", limits).ok());
  std::string many = "Digest ";
  for (int i = 0; i < 40; ++i) many += "p" + std::to_string(i) + "=1,";
  EXPECT_FALSE(parse_auth_header(many).ok());
}

}  // namespace
}  // namespace sbc::registrar
