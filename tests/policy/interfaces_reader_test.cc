// The `interfaces` section's SIP listeners: TLS certificates and verification.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "policy/loader.h"
#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

namespace fs = std::filesystem;
using testing::dump;
using testing::find;

// A policy directory with a certificate directory in it; the files are
// placeholders: the loader checks they are there and readable, Sofia
// parses them when sbcd starts (tested in the lab, b2bua_transports).
class TlsListener : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tls-policy-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directory(dir_ / "tls");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void touch(const char* name) { std::ofstream(dir_ / "tls" / name) << "x"; }
  LoadResult load_leg(const std::string& listener) {
    return load_policy_text(
        "interfaces:\n  - name: a\n    address: 198.18.1.1/24\n    media_ports: 20000-29999\n"
        "    sip:\n      - " +
            listener + "\n",
        (dir_ / "policy.yaml").string());
  }
  fs::path dir_;
};

TEST_F(TlsListener, RelativeDirectoryIsResolvedAgainstThePolicyFile) {
  touch("agent.pem");
  auto r = load_leg("{transport: tls, port: 5061, certificates: tls}");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  const auto& l = r.policy->interfaces[0].sip[0];
  EXPECT_EQ(l.transport, SipTransport::tls);
  EXPECT_EQ(l.port, 5061);
  EXPECT_EQ(l.certificates, (dir_ / "tls").string());
  EXPECT_EQ(l.verify, TlsVerify::none);
}

TEST_F(TlsListener, TlsPemIsAcceptedInPlaceOfAgentPem) {
  touch("tls.pem");
  auto r = load_leg("{transport: tls, port: 5061, certificates: " + (dir_ / "tls").string() + "}");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
}

TEST_F(TlsListener, CertificatesAreRequired) {
  auto r = load_leg("{transport: tls, port: 5061}");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "transport tls needs 'certificates'"), nullptr)
      << dump(r.diagnostics);
}

TEST_F(TlsListener, MissingDirectoryOrKeyIsAnError) {
  auto r = load_leg("{transport: tls, certificates: nowhere}");
  EXPECT_EQ(r.policy, nullptr);
  const auto* d = find(r.diagnostics, "does not exist");
  ASSERT_NE(d, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(d->field, "interfaces[0].sip[0].certificates");

  r = load_leg("{transport: tls, certificates: tls}");  // the directory is empty
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "no readable agent.pem"), nullptr) << dump(r.diagnostics);
}

TEST_F(TlsListener, VerifyNeedsTheCaFile) {
  touch("agent.pem");
  auto r = load_leg("{transport: tls, certificates: tls, verify: servers}");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "needs the trusted CAs in cafile.pem"), nullptr)
      << dump(r.diagnostics);

  touch("cafile.pem");
  r = load_leg("{transport: tls, certificates: tls, verify: servers}");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(r.policy->interfaces[0].sip[0].verify, TlsVerify::servers);
  r = load_leg("{transport: tls, certificates: tls, verify: all}");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(r.policy->interfaces[0].sip[0].verify, TlsVerify::all);

  r = load_leg("{transport: tls, certificates: tls, verify: sometimes}");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "expected none, servers or all"), nullptr) << dump(r.diagnostics);
}

TEST_F(TlsListener, TlsFieldsOnOtherTransportsAreErrors) {
  touch("agent.pem");
  auto r = load_leg("{transport: tcp, port: 5060, certificates: tls}");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "apply to transport tls only"), nullptr) << dump(r.diagnostics);
  r = load_leg("{transport: udp, verify: all}");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "apply to transport tls only"), nullptr) << dump(r.diagnostics);
}

TEST_F(TlsListener, UntrustedTextDoesNotLookAtTheFileSystem) {
  LoadOptions options;
  options.allow_member_files = false;
  auto r = load_policy_text(
      "interfaces:\n  - {name: a, address: 198.18.1.1/24, media_ports: 20000-29999,\n"
      "     sip: [{transport: tls, certificates: /nonexistent}]}\n",
      "fuzz.yaml", options);
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
}

}  // namespace
}  // namespace sbc::policy
