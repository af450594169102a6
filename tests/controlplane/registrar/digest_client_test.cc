#include "controlplane/registrar/digest_client.h"

#include <gtest/gtest.h>

#include "controlplane/registrar/digest.h"

using namespace sbc::registrar;

namespace {

DigestChallenge challenge(const std::string& header) {
  auto h = parse_auth_header(header);
  EXPECT_TRUE(h.ok()) << header;
  auto ch = digest_challenge(*h);
  EXPECT_TRUE(ch.ok()) << (ch.ok() ? "" : ch.error().message);
  return ch.ok() ? *ch : DigestChallenge{};
}

DigestCredentials credentials(const std::string& authorization) {
  auto h = parse_auth_header(authorization);
  EXPECT_TRUE(h.ok()) << authorization;
  auto c = digest_credentials(*h);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : DigestCredentials{};
}

}  // namespace

// RFC 2617 section 3.5: answering its challenge with its cnonce gives its
// response, and the answer is one our own verifier accepts.
TEST(DigestClient, AnswersRfc2617Challenge) {
  DigestChallenge ch = challenge(
      R"(Digest realm="testrealm@host.com", qop="auth,auth-int",)"
      R"( nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41")");
  EXPECT_TRUE(ch.qop_auth);
  std::string a =
      digest_authorization(ch, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", 1);
  DigestCredentials c = credentials(a);
  EXPECT_EQ(c.response, "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(c.nc, "00000001");
  EXPECT_EQ(c.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  std::string ha1 =
      digest_ha1(HashAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_TRUE(digest_response_matches(c, ha1, "GET"));
}

// RFC 7616 section 3.9.1 with SHA-256.
TEST(DigestClient, AnswersRfc7616Sha256Challenge) {
  DigestChallenge ch =
      challenge(R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256,)"
                R"( nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",)"
                R"( opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")");
  EXPECT_EQ(ch.algorithm, HashAlgorithm::kSha256);
  std::string a = digest_authorization(ch, "Mufasa", "Circle of Life", "GET", "/dir/index.html",
                                       "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 1);
  EXPECT_EQ(credentials(a).response,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

// Without qop (RFC 2069 form, what many carriers still send): no nc/cnonce.
TEST(DigestClient, AnswersChallengeWithoutQop) {
  DigestChallenge ch = challenge(R"(Digest realm="carrier", nonce="abc", stale=TRUE)");
  EXPECT_FALSE(ch.qop_auth);
  EXPECT_TRUE(ch.stale);
  std::string a =
      digest_authorization(ch, "4930555100", "pw\"x", "REGISTER", "sip:198.18.2.10", "ignored", 7);
  EXPECT_EQ(a.find("nc="), std::string::npos);
  EXPECT_EQ(a.find("cnonce"), std::string::npos);
  DigestCredentials c = credentials(a);
  EXPECT_EQ(c.username, "4930555100");
  EXPECT_EQ(c.uri, "sip:198.18.2.10");
  EXPECT_TRUE(digest_response_matches(
      c, digest_ha1(HashAlgorithm::kMd5, "4930555100", "carrier", "pw\"x"), "REGISTER"));
}

TEST(DigestClient, RefusesChallengesItWouldAnswerWrongly) {
  for (const char* bad :
       {R"(Basic realm="x")", R"(Digest nonce="n")", R"(Digest realm="r")",
        R"(Digest realm="", nonce="n")", R"(Digest realm="r", nonce="n", algorithm=MD5-sess)",
        R"(Digest realm="r", nonce="n", qop="auth-int")",
        R"(Digest realm="r", nonce="n", userhash=true)"}) {
    auto h = parse_auth_header(bad);
    ASSERT_TRUE(h.ok()) << bad;
    EXPECT_FALSE(digest_challenge(*h).ok()) << bad;
  }
}
