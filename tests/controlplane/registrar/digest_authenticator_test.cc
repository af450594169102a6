#include "controlplane/registrar/digest_authenticator.h"

#include <gtest/gtest.h>

#include <map>

#include "controlplane/registrar/auth_params.h"
#include "controlplane/registrar/hash.h"

namespace sbc::registrar {
namespace {

constexpr const char* kRealm = "sbc.example";

// A client that answers challenges like a phone would.
std::string answer(const std::string& challenge, const std::string& user,
                   const std::string& password, const std::string& method, const std::string& uri,
                   uint32_t nc, bool with_qop = true) {
  auto ch = parse_auth_header(challenge);
  EXPECT_TRUE(ch.ok());
  DigestCredentials c;
  c.username = user;
  c.realm = *ch->find("realm");
  c.nonce = *ch->find("nonce");
  c.uri = uri;
  c.algorithm =
      iequals(*ch->find("algorithm"), "SHA-256") ? HashAlgorithm::kSha256 : HashAlgorithm::kMd5;
  c.qop_auth = with_qop;
  char ncbuf[9];
  snprintf(ncbuf, sizeof ncbuf, "%08x", nc);
  c.nc = ncbuf;
  c.cnonce = "0a4f113b";
  std::string ha1 = digest_ha1(c.algorithm, user, c.realm, password);
  std::string resp = digest_response(c, ha1, method);
  std::string h = "Digest username=" + quote(user) + ", realm=" + quote(c.realm) +
                  ", nonce=" + quote(c.nonce) + ", uri=" + quote(uri) +
                  ", algorithm=" + std::string(digest_algorithm_name(c.algorithm)) +
                  ", response=" + quote(resp);
  if (with_qop) h += ", qop=auth, nc=" + c.nc + ", cnonce=" + quote(c.cnonce);
  return h;
}

class AuthenticatorTest : public testing::Test {
 protected:
  AuthenticatorTest() {
    users["alice"] = StoredCredential{"secret", "", ""};
    // bob's database holds only HA1s, not the password.
    users["bob"] = StoredCredential{"", digest_ha1(HashAlgorithm::kMd5, "bob", kRealm, "pw2"),
                                    digest_ha1(HashAlgorithm::kSha256, "bob", kRealm, "pw2")};
  }
  CredentialLookup lookup() {
    return [this](std::string_view u, std::string_view) -> std::optional<StoredCredential> {
      auto it = users.find(std::string(u));
      if (it == users.end()) return std::nullopt;
      return it->second;
    };
  }
  AuthResult verify(const std::string& header) {
    return auth.verify(header, "REGISTER", phone, lookup());
  }

  FakeClock clock;
  NonceKey key{};
  AuthConfig config{kRealm, NonceConfig{Seconds{60}, true, 1000}, true, true};
  DigestAuthenticator auth{config, clock, key};
  std::map<std::string, StoredCredential> users;
  Source phone{Ipv4Address{0xC6120001}, 5060, Transport::kUdp};
};

TEST_F(AuthenticatorTest, ChallengesOfferSha256ThenMd5) {
  auto cs = auth.challenges(phone);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_NE(cs[0].find("algorithm=SHA-256"), std::string::npos);
  EXPECT_NE(cs[1].find("algorithm=MD5"), std::string::npos);
  EXPECT_NE(cs[0].find("qop=\"auth\""), std::string::npos);
  EXPECT_EQ(cs[0].find("stale"), std::string::npos);
  EXPECT_NE(auth.challenges(phone, true)[0].find("stale=true"), std::string::npos);
  EXPECT_NE(cs[0].find("realm=\"sbc.example\""), std::string::npos);
}

TEST_F(AuthenticatorTest, CorrectPasswordSucceedsWithBothAlgorithms) {
  auto cs = auth.challenges(phone);
  for (const auto& c : cs) {
    auto r = verify(answer(c, "alice", "secret", "REGISTER", "sip:sbc.example", 1));
    EXPECT_EQ(r.verdict, AuthVerdict::kOk) << c << " " << r.detail;
    EXPECT_EQ(r.username, "alice");
    EXPECT_EQ(r.uri, "sip:sbc.example");
  }
}

TEST_F(AuthenticatorTest, StoredHa1WorksWithoutPassword) {
  for (const auto& c : auth.challenges(phone)) {
    EXPECT_EQ(verify(answer(c, "bob", "pw2", "REGISTER", "sip:sbc.example", 1)).verdict,
              AuthVerdict::kOk);
    EXPECT_EQ(verify(answer(c, "bob", "wrong", "REGISTER", "sip:sbc.example", 2)).verdict,
              AuthVerdict::kFailed);
  }
}

TEST_F(AuthenticatorTest, NoQopClientSucceedsOnce) {
  auto c = auth.challenges(phone)[1];
  auto h = answer(c, "alice", "secret", "REGISTER", "sip:sbc.example", 0, false);
  EXPECT_EQ(verify(h).verdict, AuthVerdict::kOk);
  EXPECT_EQ(verify(h).verdict, AuthVerdict::kReplay);
}

TEST_F(AuthenticatorTest, WrongPasswordAndUnknownUserLookTheSame) {
  auto c = auth.challenges(phone)[0];
  auto wrong = verify(answer(c, "alice", "guess", "REGISTER", "sip:sbc.example", 1));
  auto unknown = verify(answer(c, "mallory", "guess", "REGISTER", "sip:sbc.example", 1));
  EXPECT_EQ(wrong.verdict, AuthVerdict::kFailed);
  EXPECT_EQ(unknown.verdict, AuthVerdict::kFailed);
  EXPECT_FALSE(wrong.unknown_user);
  EXPECT_TRUE(unknown.unknown_user);  // for the log only
  EXPECT_EQ(unknown.username, "mallory");
  // A failed attempt did not burn the nonce: the real user can still use it.
  EXPECT_EQ(verify(answer(c, "alice", "secret", "REGISTER", "sip:sbc.example", 1)).verdict,
            AuthVerdict::kOk);
}

TEST_F(AuthenticatorTest, UnknownUserCannotGetInEvenWithTheFakeHa1) {
  // The fake path must never grant access, even to someone who derived the
  // fake HA1 (here we know the key; an attacker would not).
  std::string fake = to_hex(hmac_sha256(key, std::string("fake-ha1|mallory|") + kRealm));
  for (const auto& c : auth.challenges(phone)) {
    auto ch = parse_auth_header(c);
    ASSERT_TRUE(ch.ok());
    DigestCredentials d;
    d.username = "mallory";
    d.realm = kRealm;
    d.nonce = *ch->find("nonce");
    d.uri = "sip:sbc.example";
    d.algorithm =
        iequals(*ch->find("algorithm"), "SHA-256") ? HashAlgorithm::kSha256 : HashAlgorithm::kMd5;
    d.qop_auth = true;
    d.nc = "00000001";
    d.cnonce = "x";
    std::string resp = digest_response(d, fake.substr(0, hash_hex_length(d.algorithm)), "REGISTER");
    std::string h =
        "Digest username=\"mallory\", realm=\"sbc.example\", nonce=" + quote(d.nonce) +
        ", uri=\"sip:sbc.example\", algorithm=" + std::string(digest_algorithm_name(d.algorithm)) +
        ", response=" + quote(resp) + ", qop=auth, nc=00000001, cnonce=\"x\"";
    auto r = verify(h);
    EXPECT_EQ(r.verdict, AuthVerdict::kFailed);
    EXPECT_TRUE(r.unknown_user);
  }
}

TEST_F(AuthenticatorTest, WrongRealmFails) {
  auto c = auth.challenges(phone)[0];
  auto h = answer(c, "alice", "secret", "REGISTER", "sip:sbc.example", 1);
  auto pos = h.find(kRealm);
  h.replace(pos, strlen(kRealm), "other.example");
  EXPECT_EQ(verify(h).verdict, AuthVerdict::kFailed);
}

TEST_F(AuthenticatorTest, ReplayedRequestIsRefused) {
  auto c = auth.challenges(phone)[0];
  auto h = answer(c, "alice", "secret", "REGISTER", "sip:sbc.example", 1);
  EXPECT_EQ(verify(h).verdict, AuthVerdict::kOk);
  EXPECT_EQ(verify(h).verdict, AuthVerdict::kReplay);
  EXPECT_EQ(verify(answer(c, "alice", "secret", "REGISTER", "sip:sbc.example", 2)).verdict,
            AuthVerdict::kOk);
}

TEST_F(AuthenticatorTest, ExpiredNonceWithRightPasswordIsStale) {
  auto c = auth.challenges(phone)[0];
  clock.advance(Seconds{61});
  auto r = verify(answer(c, "alice", "secret", "REGISTER", "sip:sbc.example", 1));
  EXPECT_EQ(r.verdict, AuthVerdict::kStale);
  // A wrong password with an expired nonce is a failure, not "stale".
  EXPECT_EQ(verify(answer(c, "alice", "bad", "REGISTER", "sip:sbc.example", 2)).verdict,
            AuthVerdict::kFailed);
}

TEST_F(AuthenticatorTest, NonceFromBeforeARestartIsStale) {
  NonceKey other_key{};
  other_key[0] = 1;
  DigestAuthenticator before(config, clock, other_key);
  auto c = before.challenges(phone)[0];
  EXPECT_EQ(verify(answer(c, "alice", "secret", "REGISTER", "sip:sbc.example", 1)).verdict,
            AuthVerdict::kStale);
}

TEST_F(AuthenticatorTest, NonceIssuedToAnotherAddressIsNotAccepted) {
  Source elsewhere{Ipv4Address{0xC6120002}, 5060, Transport::kUdp};
  auto c = auth.challenges(elsewhere)[0];
  EXPECT_NE(verify(answer(c, "alice", "secret", "REGISTER", "sip:sbc.example", 1)).verdict,
            AuthVerdict::kOk);
}

TEST_F(AuthenticatorTest, MissingAndMalformedCredentials) {
  EXPECT_EQ(verify("").verdict, AuthVerdict::kNoCredentials);
  EXPECT_EQ(verify("Digest username=\"alice").verdict, AuthVerdict::kMalformed);
  EXPECT_EQ(verify("Basic YWxhZGRpbjpvcGVuc2VzYW1l").verdict, AuthVerdict::kMalformed);
  EXPECT_EQ(verify(std::string(100000, 'x')).verdict, AuthVerdict::kMalformed);
}

TEST_F(AuthenticatorTest, AlgorithmNotOfferedIsRefused) {
  AuthConfig md5_only = config;
  md5_only.offer_sha256 = false;
  DigestAuthenticator a(md5_only, clock, key);
  ASSERT_EQ(a.challenges(phone).size(), 1u);
  auto sha_challenge = auth.challenges(phone)[0];  // from the SHA-256 capable one
  auto r = a.verify(answer(sha_challenge, "alice", "secret", "REGISTER", "sip:sbc.example", 1),
                    "REGISTER", phone, lookup());
  EXPECT_EQ(r.verdict, AuthVerdict::kMalformed);
}

}  // namespace
}  // namespace sbc::registrar
