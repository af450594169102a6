#include "controlplane/registrar/registrar.h"

#include <gtest/gtest.h>

#include <map>

#include "controlplane/registrar/auth_params.h"

namespace sbc::registrar {
namespace {

constexpr const char* kRealm = "sbc.example";

std::string answer(const std::string& challenge, const std::string& user,
                   const std::string& password, uint32_t nc) {
  auto ch = parse_auth_header(challenge);
  DigestCredentials c;
  c.username = user;
  c.realm = *ch->find("realm");
  c.nonce = *ch->find("nonce");
  c.uri = "sip:sbc.example";
  c.algorithm =
      iequals(*ch->find("algorithm"), "SHA-256") ? HashAlgorithm::kSha256 : HashAlgorithm::kMd5;
  c.qop_auth = true;
  char ncbuf[9];
  snprintf(ncbuf, sizeof ncbuf, "%08x", nc);
  c.nc = ncbuf;
  c.cnonce = "abc";
  std::string resp =
      digest_response(c, digest_ha1(c.algorithm, user, c.realm, password), "REGISTER");
  return "Digest username=" + quote(user) + ", realm=" + quote(c.realm) +
         ", nonce=" + quote(c.nonce) +
         ", uri=\"sip:sbc.example\", algorithm=" + std::string(digest_algorithm_name(c.algorithm)) +
         ", response=" + quote(resp) + ", qop=auth, nc=" + c.nc + ", cnonce=\"abc\"";
}

class RegistrarTest : public testing::Test {
 protected:
  RegistrarTest() {
    for (int i = 0; i < 20; ++i) users["agent" + std::to_string(i)] = "pw" + std::to_string(i);
  }

  RegisterInput input(const std::string& user, Source src, std::string authorization,
                      uint32_t cseq) {
    RegisterInput in;
    in.request.aor = "sip:" + user + "@sbc.example";
    in.request.call_id = user + "-call";
    in.request.cseq = cseq;
    in.request.expires_header = 600;
    ContactSpec c;
    c.uri = "sip:" + user + "@192.168.1.10:5060";
    in.request.contacts = {c};
    in.request.received = src;
    in.via_host = "192.168.1.10";
    in.via_port = 5060;
    in.contact_host = "192.168.1.10";
    in.contact_port = 5060;
    auth_storage = std::move(authorization);
    in.authorization = auth_storage;
    return in;
  }

  // The two-step REGISTER a phone does: challenge, then answer.
  RegisterDecision register_phone(const std::string& user, const std::string& password, Source src,
                                  uint32_t& cseq) {
    RegisterDecision first = registrar.handle(input(user, src, "", cseq++));
    EXPECT_EQ(first.status, 401);
    if (first.www_authenticate.empty()) return first;
    return registrar.handle(
        input(user, src, answer(first.www_authenticate[0], user, password, 1), cseq++));
  }

  FakeClock clock;
  NonceKey key{};
  DigestAuthenticator auth{AuthConfig{kRealm, NonceConfig{Seconds{60}, true, 1000}, true, true},
                           clock, key};
  AuthFailureTracker failures{AuthFailureConfig{Seconds{60}, 3, 100, 5, Seconds{600}, 1000}, clock};
  LocationStore store{RegistrarConfig{60, 3600, 1800, 120, 5, 1000}, clock};
  std::map<std::string, std::string> users;
  Registrar registrar{
      auth, failures, store,
      [this](std::string_view u, std::string_view) -> std::optional<StoredCredential> {
        auto it = users.find(std::string(u));
        if (it == users.end()) return std::nullopt;
        return StoredCredential{it->second, "", ""};
      }};
  std::string auth_storage;
  Ipv4Address call_centre{0xC6120001};
};

TEST_F(RegistrarTest, ChallengeThenRegisterBehindNat) {
  uint32_t cseq = 1;
  Source src{call_centre, 40001, Transport::kUdp};
  RegisterDecision d = register_phone("agent1", "pw1", src, cseq);
  ASSERT_EQ(d.status, 200) << d.reason;
  EXPECT_EQ(d.auth, AuthVerdict::kOk);
  ASSERT_EQ(d.bindings.size(), 1u);
  EXPECT_TRUE(d.nat.behind_nat);
  EXPECT_TRUE(d.bindings[0].behind_nat);
  EXPECT_EQ(d.bindings[0].remaining(clock.now()).count(), 120);  // NAT expiry
  EXPECT_EQ(d.bindings[0].received, src);
  EXPECT_EQ(store.state("sip:agent1@sbc.example"), RegistrationState::kRegistered);
}

TEST_F(RegistrarTest, UnknownUserAndWrongPasswordGetTheSameAnswer) {
  Source src{Ipv4Address{0xC6120009}, 5060, Transport::kUdp};
  auto challenge = registrar.handle(input("agent1", src, "", 1)).www_authenticate[0];
  RegisterDecision wrong =
      registrar.handle(input("agent1", src, answer(challenge, "agent1", "nope", 1), 2));
  RegisterDecision unknown =
      registrar.handle(input("ghost", src, answer(challenge, "ghost", "nope", 2), 3));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, wrong.status);
  EXPECT_EQ(unknown.reason, wrong.reason);
  EXPECT_EQ(unknown.www_authenticate.size(), wrong.www_authenticate.size());
  EXPECT_EQ(unknown.www_authenticate[0].find("stale"), std::string::npos);
  EXPECT_EQ(wrong.www_authenticate[0].find("stale"), std::string::npos);
}

TEST_F(RegistrarTest, OnePhoneWithWrongPasswordDoesNotTakeTheSiteDown) {
  uint32_t cseq = 1;
  // Ten agents registered from the call-centre NAT address.
  for (int i = 0; i < 10; ++i) {
    Source src{call_centre, static_cast<uint16_t>(40000 + i), Transport::kUdp};
    ASSERT_EQ(
        register_phone("agent" + std::to_string(i), "pw" + std::to_string(i), src, cseq).status,
        200);
  }
  // Agent 15's phone has the wrong password and keeps trying, from new NAT
  // ports as its router remaps it: 9 failures from the address in all,
  // above the whole-address threshold (5).
  uint32_t bad_cseq = 1;
  for (uint16_t port : {41015, 41016, 41017}) {
    Source bad{call_centre, port, Transport::kUdp};
    bool dropped = false;
    int failures_seen = 0;
    for (int attempt = 0; attempt < 10; ++attempt) {
      auto first = registrar.handle(input("agent15", bad, "", bad_cseq++));
      if (first.status == 0) {
        dropped = true;
        break;
      }
      auto d = registrar.handle(input(
          "agent15", bad, answer(first.www_authenticate[0], "agent15", "wrong", 1), bad_cseq++));
      EXPECT_EQ(d.status, 401);
      ++failures_seen;
      for (const auto& b : d.new_bans) EXPECT_NE(b.kind, BanKind::kAddress);
    }
    EXPECT_TRUE(dropped);
    EXPECT_EQ(failures_seen, 3);  // the source threshold
  }
  // Everyone else at the site still registers, including a new port.
  Source other{call_centre, 40100, Transport::kUdp};
  EXPECT_EQ(register_phone("agent11", "pw11", other, cseq).status, 200);
}

TEST_F(RegistrarTest, ScannerAddressWithNoRegistrationsIsBanned) {
  Ipv4Address scanner{0xC6120063};
  std::vector<Ban> bans;
  for (uint16_t p = 0; p < 5; ++p) {
    Source src{scanner, static_cast<uint16_t>(50000 + p), Transport::kUdp};
    auto ch = registrar.handle(input("agent1", src, "", 1)).www_authenticate[0];
    auto d = registrar.handle(
        input("user" + std::to_string(p), src, answer(ch, "user" + std::to_string(p), "x", 1), 2));
    bans.insert(bans.end(), d.new_bans.begin(), d.new_bans.end());
  }
  ASSERT_EQ(bans.size(), 1u);
  EXPECT_EQ(bans[0].kind, BanKind::kAddress);
  EXPECT_EQ(registrar.handle(input("agent1", Source{scanner, 1, Transport::kUdp}, "", 1)).status,
            0);
}

TEST_F(RegistrarTest, StaleNonceGetsStaleChallengeAndNoFailure) {
  Source src{Ipv4Address{0xC6120002}, 5060, Transport::kUdp};
  auto ch = registrar.handle(input("agent2", src, "", 1)).www_authenticate[0];
  clock.advance(Seconds{61});
  for (uint32_t i = 0; i < 5; ++i) {
    auto d = registrar.handle(input("agent2", src, answer(ch, "agent2", "pw2", i + 1), i + 2));
    EXPECT_EQ(d.status, 401);
    EXPECT_EQ(d.auth, AuthVerdict::kStale);
    EXPECT_NE(d.www_authenticate[0].find("stale=true"), std::string::npos);
  }
  EXPECT_FALSE(failures.banned(src.address, src.port, "agent2").has_value());
}

TEST_F(RegistrarTest, UserMayOnlyRegisterItsOwnAor) {
  Source src{Ipv4Address{0xC6120002}, 5060, Transport::kUdp};
  auto ch = registrar.handle(input("agent2", src, "", 1)).www_authenticate[0];
  auto in = input("agent2", src, answer(ch, "agent2", "pw2", 1), 2);
  in.request.aor = "sip:agent3@sbc.example";
  auto d = registrar.handle(std::move(in));
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(store.state("sip:agent3@sbc.example"), RegistrationState::kNever);
}

TEST_F(RegistrarTest, MalformedCredentialsAre400AndStoreErrorsPassThrough) {
  Source src{Ipv4Address{0xC6120002}, 5060, Transport::kUdp};
  EXPECT_EQ(registrar.handle(input("agent2", src, "Digest username=\"x", 1)).status, 400);
  auto ch = registrar.handle(input("agent2", src, "", 2)).www_authenticate[0];
  auto in = input("agent2", src, answer(ch, "agent2", "pw2", 1), 3);
  in.request.expires_header = 10;
  auto d = registrar.handle(std::move(in));
  EXPECT_EQ(d.status, 423);
  EXPECT_EQ(d.min_expires, 60u);
}

TEST_F(RegistrarTest, SweepExpiresBindings) {
  uint32_t cseq = 1;
  Source src{Ipv4Address{0xC6120002}, 5060, Transport::kUdp};
  ASSERT_EQ(register_phone("agent2", "pw2", src, cseq).status, 200);
  clock.advance(Seconds{120});
  auto gone = registrar.sweep();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].aor, "sip:agent2@sbc.example");
  EXPECT_EQ(auth.nonces().tracked(), 0u);
}

TEST(AorUser, ExtractsUserPart) {
  EXPECT_EQ(aor_user("sip:alice@example.com"), "alice");
  EXPECT_EQ(aor_user("sips:bob@example.com;transport=tls"), "bob");
  EXPECT_EQ(aor_user("sip:example.com"), "");
  EXPECT_EQ(aor_user("garbage"), "");
}

}  // namespace
}  // namespace sbc::registrar
