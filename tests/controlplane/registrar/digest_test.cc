#include "controlplane/registrar/digest.h"

#include <gtest/gtest.h>

#include "controlplane/registrar/auth_params.h"

namespace sbc::registrar {
namespace {

DigestCredentials parse(const std::string& header) {
  auto h = parse_auth_header(header);
  EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message);
  auto c = digest_credentials(*h);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return *c;
}

// RFC 2617 section 3.5.
const char* kRfc2617 =
    R"(Digest username="Mufasa", realm="testrealm@host.com",)"
    R"( nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth,)"
    R"( nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1",)"
    R"( opaque="5ccc069c403ebaf9f0171e9517f40e41")";

TEST(Digest, Rfc2617Md5Vector) {
  DigestCredentials c = parse(kRfc2617);
  EXPECT_EQ(c.algorithm, HashAlgorithm::kMd5);
  std::string ha1 =
      digest_ha1(HashAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(digest_response(c, ha1, "GET"), "6629fae49393a05397450978507c4ef1");
  EXPECT_TRUE(digest_response_matches(c, ha1, "GET"));
  EXPECT_FALSE(digest_response_matches(c, ha1, "POST"));
  std::string wrong =
      digest_ha1(HashAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle of Life");
  EXPECT_FALSE(digest_response_matches(c, wrong, "GET"));
}

// RFC 7616 section 3.9.1: the same request with MD5 and with SHA-256.
std::string rfc7616(const char* algorithm, const char* response) {
  return std::string(R"(Digest username="Mufasa", realm="http-auth@example.org",)"
                     R"( uri="/dir/index.html", algorithm=)") +
         algorithm +
         R"(, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001,)"
         R"( cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth,)"
         R"( response=")" +
         response + R"(", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
}

TEST(Digest, Rfc7616Md5Vector) {
  DigestCredentials c = parse(rfc7616("MD5", "8ca523f5e9506fed4657c9700eebdbec"));
  std::string ha1 =
      digest_ha1(HashAlgorithm::kMd5, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(digest_response(c, ha1, "GET"), "8ca523f5e9506fed4657c9700eebdbec");
  EXPECT_TRUE(digest_response_matches(c, ha1, "GET"));
}

TEST(Digest, Rfc7616Sha256Vector) {
  DigestCredentials c =
      parse(rfc7616("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"));
  EXPECT_EQ(c.algorithm, HashAlgorithm::kSha256);
  std::string ha1 =
      digest_ha1(HashAlgorithm::kSha256, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(digest_response(c, ha1, "GET"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_TRUE(digest_response_matches(c, ha1, "GET"));
  // An MD5 HA1 cannot verify a SHA-256 response.
  std::string md5_ha1 =
      digest_ha1(HashAlgorithm::kMd5, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_FALSE(digest_response_matches(c, md5_ha1, "GET"));
}

// No-qop (RFC 2069 form). Expected values computed independently with
// Python's hashlib: H(HA1:nonce:HA2).
TEST(Digest, NoQopMd5AndSha256) {
  DigestCredentials c =
      parse(R"(Digest username="Mufasa", realm="testrealm@host.com",)"
            R"( nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html",)"
            R"( response="670fd8c2df070c60b045671b8b24ff02")");
  EXPECT_FALSE(c.qop_auth);
  std::string ha1 =
      digest_ha1(HashAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_TRUE(digest_response_matches(c, ha1, "GET"));

  DigestCredentials s =
      parse(R"(Digest username="alice", realm="sbc.example", nonce="abc", uri="sip:sbc.example",)"
            R"( algorithm=SHA-256,)"
            R"( response="28b2975d3c8550fe11b775650de40c8d956791892c2bad457c00dcd97cc8b84c")");
  EXPECT_TRUE(digest_response_matches(
      s, digest_ha1(HashAlgorithm::kSha256, "alice", "sbc.example", "secret"), "REGISTER"));
}

TEST(Digest, StoredHa1InUpperCaseAndResponseInUpperCaseStillMatch) {
  DigestCredentials c = parse(R"(Digest username="Mufasa", realm="testrealm@host.com",)"
                              R"( nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",)"
                              R"( uri="/dir/index.html", qop=auth, nc=00000001,)"
                              R"( cnonce="0a4f113b", response="6629FAE49393A05397450978507C4EF1")");
  std::string ha1 =
      digest_ha1(HashAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  for (auto& ch : ha1) ch = static_cast<char>(toupper(ch));
  EXPECT_TRUE(digest_response_matches(c, ha1, "GET"));
}

TEST(Digest, EmptyHa1NeverMatches) {
  DigestCredentials c = parse(kRfc2617);
  EXPECT_FALSE(digest_response_matches(c, "", "GET"));
}

struct BadCreds {
  const char* name;
  const char* header;
};
class DigestCredentialsRejects : public testing::TestWithParam<BadCreds> {};

TEST_P(DigestCredentialsRejects, WithAnError) {
  auto h = parse_auth_header(GetParam().header);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_FALSE(digest_credentials(*h).ok()) << GetParam().name;
}

#define BASE R"(username="u", realm="r", nonce="n", uri="sip:x", )"
#define RESP R"(response="00112233445566778899aabbccddeeff")"
INSTANTIATE_TEST_SUITE_P(
    Invalid, DigestCredentialsRejects,
    testing::Values(
        BadCreds{"basic scheme", "Basic " BASE RESP},
        BadCreds{"no username", R"(Digest realm="r", nonce="n", uri="sip:x", )" RESP},
        BadCreds{"empty username", R"(Digest username="", realm="r", nonce="n", uri="x", )" RESP},
        BadCreds{"no response", "Digest " BASE "algorithm=MD5"},
        BadCreds{"short response", "Digest " BASE R"(response="0011")"},
        BadCreds{"non-hex response",
                 "Digest " BASE R"(response="zz112233445566778899aabbccddeeff")"},
        BadCreds{"md5 length for sha-256", "Digest " BASE "algorithm=SHA-256, " RESP},
        BadCreds{"md5-sess", "Digest " BASE "algorithm=MD5-sess, " RESP},
        BadCreds{"sha-512-256", "Digest " BASE "algorithm=SHA-512-256, " RESP},
        BadCreds{"auth-int", "Digest " BASE R"(qop=auth-int, nc=00000001, cnonce="c", )" RESP},
        BadCreds{"qop without cnonce", "Digest " BASE "qop=auth, nc=00000001, " RESP},
        BadCreds{"qop without nc", "Digest " BASE R"(qop=auth, cnonce="c", )" RESP},
        BadCreds{"nc too short", "Digest " BASE R"(qop=auth, nc=1, cnonce="c", )" RESP},
        BadCreds{"nc not hex", "Digest " BASE R"(qop=auth, nc=0000000g, cnonce="c", )" RESP},
        BadCreds{"nc zero", "Digest " BASE R"(qop=auth, nc=00000000, cnonce="c", )" RESP},
        BadCreds{"nc without qop", "Digest " BASE "nc=00000001, " RESP},
        BadCreds{"userhash", "Digest " BASE "userhash=true, " RESP}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (auto& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(Digest, ParsesNcValue) {
  auto h = parse_auth_header("Digest " BASE R"(qop=auth, nc=0000001a, cnonce="c", )" RESP);
  ASSERT_TRUE(h.ok());
  auto c = digest_credentials(*h);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->nc_value, 0x1au);
  EXPECT_EQ(c->nc, "0000001a");
}

}  // namespace
}  // namespace sbc::registrar
