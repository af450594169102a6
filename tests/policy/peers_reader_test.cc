// Peers and templates: defaults, inheritance, cycles, references, members
// files.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policy/loader.h"
#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

using testing::dump;
using testing::find;
using testing::load;
using testing::load_ok;

TEST(Peers, TrunkDefaults) {
  auto p = load_ok(R"(peers:
  - {name: carrier, kind: trunk, leg: core, address: 198.18.2.10}
)");
  ASSERT_NE(p, nullptr);
  const Peer& t = p->peers[0];
  EXPECT_EQ(t.auth.mode, AuthMode::ip);
  ASSERT_EQ(t.auth.trusted.size(), 1u);
  EXPECT_EQ(t.auth.trusted[0].to_string(), "198.18.2.10/32");
  EXPECT_EQ(t.address.port, 5060);
  EXPECT_EQ(t.probe.interval, p->timers.probe_interval);  // trunks with an address are probed
  EXPECT_EQ(t.probe.failures, 3u);
  EXPECT_EQ(t.media.latching, LatchingMode::strict);
}

TEST(Peers, PhoneDefaultsAndDigest) {
  auto p = load_ok(R"(peers:
  - {name: "2001", kind: phone, leg: access, auth: {password: "Zq8#vL2m-Tr5pW"}}
  - {name: p2, kind: phone, leg: access, auth: {username: u2, ha1: 0123456789ABCDEF0123456789abcdef}}
)");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->peers[0].auth.mode, AuthMode::digest);
  EXPECT_EQ(p->peers[0].auth.username, "2001");  // defaults to the name
  EXPECT_EQ(p->peers[0].probe.interval, Duration(0));
  EXPECT_EQ(p->peers[1].auth.ha1, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(p->find_peer_by_username("u2")->name, "p2");
}

TEST(Peers, AllPeerFields) {
  auto p = load_ok(R"(peers:
  - name: carrier
    kind: trunk
    leg: core
    groups: [carriers]
    address: sip.carrier.example
    transport: tls
    auth: {mode: ip, trusted: [198.18.2.0/28, 198.18.2.64/30]}
    codecs: [PCMA, g729, telephone-event]
    channels: {max: 30, alert_at: 25}
    cps: {rate: 2.5, burst: 5, alert_at: 2}
    manipulation:
      inbound: {strip: 2, prepend: "0"}
      outbound: {prepend: "+49", caller_strip: 1, caller_prepend: "+4930", caller_id: "+4930555"}
    probe: {interval: 10s, failures: 5, recovery: 3}
    register: {registrar: "sip:reg.carrier.example", username: acct, password: "Xk9!rT4m-Qp2vL", expiry: 10m}
    media: {latching: off, srtp: passthrough}
)");
  ASSERT_NE(p, nullptr);
  const Peer& t = p->peers[0];
  EXPECT_EQ(t.address.dns_name, "sip.carrier.example");
  EXPECT_FALSE(t.address.ip.has_value());
  EXPECT_FALSE(t.address.port.has_value());  // SRV decides at run time
  EXPECT_EQ(t.address.transport, SipTransport::tls);
  EXPECT_EQ(t.auth.trusted.size(), 2u);
  EXPECT_EQ(t.codecs, (std::vector<std::string>{"pcma", "g729", "telephone-event"}));
  EXPECT_EQ(t.channels.max, 30u);
  EXPECT_EQ(*t.channels.alert_at, 25u);
  EXPECT_DOUBLE_EQ(t.cps.rate, 2.5);
  EXPECT_EQ(t.cps.burst, 5u);
  EXPECT_EQ(t.inbound.called.strip, 2u);
  EXPECT_EQ(t.inbound.called.prepend, "0");
  EXPECT_EQ(t.outbound.apply_called("301234"), "+49301234");
  EXPECT_EQ(t.outbound.apply_caller("0301"), "+4930555");
  EXPECT_EQ(t.probe.interval, std::chrono::seconds(10));
  EXPECT_EQ(t.probe.recovery, 3u);
  ASSERT_TRUE(t.registration.has_value());
  EXPECT_EQ(t.registration->expiry, std::chrono::minutes(10));
  EXPECT_EQ(t.media.latching, LatchingMode::off);
  EXPECT_TRUE(t.in_group("carriers"));
}

TEST(Peers, InvalidValues) {
  auto r = load(R"(peers:
  - {name: a, kind: trunk, leg: core, address: "not a host!"}
  - {name: b, kind: trunk, leg: core, address: 198.18.2.11, auth: {mode: ip, trusted: [198.18.2.0/33]}}
  - {name: c, kind: phone, leg: access}
  - {name: d, kind: phone, leg: access, auth: {password: "x", ha1: 0123456789abcdef0123456789abcdef}}
  - {name: e, kind: trunk, leg: core, address: 198.18.2.12, channels: {max: 5, alert_at: 9}}
  - {name: f, kind: phone, leg: access, auth: {password: "Zq8#vL2m-Tr5pW"}, register: {registrar: r, username: u, password: p}}
  - {name: "bad name", kind: trunk, leg: core, address: 198.18.2.13}
  - {name: g, kind: trunk, leg: core, address: 198.18.2.14, codecs: [pcma, PCMA]}
)");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "neither an IPv4 address nor a valid host name"), nullptr)
      << dump(r.diagnostics);
  EXPECT_NE(find(r.diagnostics, "/33"), nullptr);
  EXPECT_NE(find(r.diagnostics, "digest auth needs a password or an ha1"), nullptr);
  EXPECT_NE(find(r.diagnostics, "not both"), nullptr);
  EXPECT_NE(find(r.diagnostics, "alert_at is above the cap"), nullptr);
  EXPECT_NE(find(r.diagnostics, "'register' is for trunks"), nullptr);
  EXPECT_NE(find(r.diagnostics, "invalid name 'bad name'"), nullptr);
  EXPECT_NE(find(r.diagnostics, "listed twice"), nullptr);
}

TEST(Peers, TelephoneEventPayloadTypeIsInheritedAndDynamicOnly) {
  auto p = load_ok(R"(templates:
  - {name: strict-dtmf, kind: trunk, leg: core, media: {telephone_event_pt: 101}}
peers:
  - {name: carrier, template: strict-dtmf, address: 198.18.2.10}
  - {name: other, template: strict-dtmf, address: 198.18.2.11, media: {telephone_event_pt: 96}}
  - {name: plain, kind: trunk, leg: core, address: 198.18.2.12}
)");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->find_peer("carrier")->media.telephone_event_pt, 101);
  EXPECT_EQ(p->find_peer("other")->media.telephone_event_pt, 96);
  EXPECT_EQ(p->find_peer("plain")->media.telephone_event_pt, 0);  // unset: as offered

  auto r = load(R"(peers:
  - {name: a, kind: trunk, leg: core, address: 198.18.2.10, media: {telephone_event_pt: 95}}
  - {name: b, kind: trunk, leg: core, address: 198.18.2.11, media: {telephone_event_pt: 128}}
  - {name: c, kind: trunk, leg: core, address: 198.18.2.12, media: {telephone_event_pt: dtmf}}
)");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_EQ(testing::count_errors(r.diagnostics), 3) << dump(r.diagnostics);
  EXPECT_NE(find(r.diagnostics, "95 is out of range [96, 127]"), nullptr) << dump(r.diagnostics);
  EXPECT_NE(find(r.diagnostics, "expected an integer, got 'dtmf'"), nullptr) << dump(r.diagnostics);
}

TEST(Peers, TrunkKnownByDnsName) {
  auto p = load_ok(R"(peers:
  - {name: named, kind: trunk, leg: core, address: sip.carrier.example, auth: {mode: ip}}
  - {name: pinned, kind: trunk, leg: core, address: sip2.carrier.example., port: 5080,
     auth: {mode: ip, trusted: [198.18.2.64/28]}}
  - {name: reg, kind: trunk, leg: core, address: 198.18.2.10,
     register: {registrar: "sip:acct@reg.carrier.example:5070;transport=udp", username: acct,
                password: "Xk9!rT4m-Qp2vL"}}
)");
  ASSERT_NE(p, nullptr);
  const Peer& named = *p->find_peer("named");
  EXPECT_EQ(named.address.dns_name, "sip.carrier.example");
  EXPECT_TRUE(named.auth.trust_resolved) << "ip auth by the addresses the name resolves to";
  EXPECT_TRUE(named.auth.trusted.empty());
  EXPECT_EQ(named.probe.interval, std::chrono::seconds(30)) << "probed like any trunk";
  const Peer& pinned = *p->find_peer("pinned");
  EXPECT_FALSE(pinned.auth.trust_resolved) << "explicit prefixes win";
  EXPECT_EQ(*pinned.address.port, 5080);
  const Peer& reg = *p->find_peer("reg");
  EXPECT_EQ(reg.registration->where, (HostPort{"reg.carrier.example", 5070, true}));
  EXPECT_TRUE(p->routing.peers[named.id].named_by_dns);
  EXPECT_FALSE(p->routing.peers[reg.id].named_by_dns);
}

TEST(Peers, HostNamesAreChecked) {
  for (const char* bad : {"-carrier.example", "carrier-.example", "carrier..example",
                          "carrier_1.example", "198.18.2", "carrier.example-",
                          "x234567890123456789012345678901234567890123456789012345678901234.ex"}) {
    auto r = load(std::string("peers:\n  - {name: t, kind: trunk, leg: core, address: \"") + bad +
                  "\", auth: {mode: ip}}\n");
    EXPECT_EQ(r.policy, nullptr) << bad;
    EXPECT_NE(find(r.diagnostics, "nor a valid host name"), nullptr) << bad << dump(r.diagnostics);
  }
  for (const char* bad :
       {"sip:reg_1.example", "reg.example:0", "reg.example:99999", "sip:", "reg.example:50x"}) {
    auto r = load(std::string(R"(peers:
  - {name: t, kind: trunk, leg: core, address: 198.18.2.10,
     register: {registrar: ")") +
                  bad +
                  R"(", username: u, password: "Xk9!rT4m-Qp2vL"}}
)");
    EXPECT_EQ(r.policy, nullptr) << bad;
    EXPECT_NE(dump(r.diagnostics).find("register.registrar"), std::string::npos)
        << bad << dump(r.diagnostics);
  }
  EXPECT_TRUE(valid_host_name("a.example."));
  EXPECT_TRUE(valid_host_name("localhost"));
  EXPECT_FALSE(valid_host_name("1.2.3.4"));
  EXPECT_FALSE(valid_host_name(""));
  EXPECT_EQ(parse_registrar("198.18.2.10")->is_name, false);
  EXPECT_EQ(parse_registrar("sip:198.18.2.10:5070")->port, 5070);
}

TEST(Peers, DuplicateUsernameAndTrust) {
  auto r = load(R"(peers:
  - {name: a, kind: phone, leg: access, auth: {username: u, password: "Zq8#vL2m-Tr5pW"}}
  - {name: b, kind: phone, leg: access, auth: {username: u, password: "Yq8#vL2m-Tr5pW"}}
  - {name: c, kind: trunk, leg: core, address: 198.18.2.10}
  - {name: d, kind: trunk, leg: core, address: 198.18.2.20, auth: {mode: ip, trusted: 198.18.2.10}}
)");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "username 'u' is already used by peer 'a'"), nullptr)
      << dump(r.diagnostics);
  EXPECT_NE(find(r.diagnostics, "already trusted for peer 'c'"), nullptr);
}

TEST(Templates, ChainedInheritanceAndOverride) {
  auto p = load_ok(R"(templates:
  - {name: base, leg: access, codecs: [pcma], channels: {max: 2, alert_at: 2}}
  - {name: phone, template: base, kind: phone, codecs: [g722, pcma]}
peers:
  - {name: a, template: phone, auth: {password: "Zq8#vL2m-Tr5pW"}}
  - {name: b, template: phone, auth: {password: "Yq8#vL2m-Tr5pW"}, channels: 1}
)");
  ASSERT_NE(p, nullptr);
  const Peer& a = *p->find_peer("a");
  EXPECT_EQ(a.kind, PeerKind::phone);
  EXPECT_EQ(a.leg, "access");                                       // from base, two levels up
  EXPECT_EQ(a.codecs, (std::vector<std::string>{"g722", "pcma"}));  // the nearer template wins
  EXPECT_EQ(a.channels.max, 2u);
  EXPECT_EQ(a.template_name, "phone");
  EXPECT_EQ(p->find_peer("b")->channels.max, 1u);  // the peer wins
}

TEST(Templates, PeerPasswordReplacesTemplateHa1) {
  auto p = load_ok(R"(templates:
  - {name: t, kind: phone, leg: access, auth: {ha1: 0123456789abcdef0123456789abcdef}}
peers:
  - {name: a, template: t, auth: {password: "Zq8#vL2m-Tr5pW"}}
)");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->peers[0].auth.password, "Zq8#vL2m-Tr5pW");
  EXPECT_TRUE(p->peers[0].auth.ha1.empty());
}

TEST(Templates, CyclesAndUnknownReferences) {
  auto r = load(R"(templates:
  - {name: a, template: b}
  - {name: b, template: c}
  - {name: c, template: a}
  - {name: self, template: self}
  - {name: orphan, template: missing}
peers:
  - {name: p, template: nope, kind: trunk, leg: core, address: 198.18.2.10}
)");
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "template inheritance cycle"), nullptr) << dump(r.diagnostics);
  EXPECT_NE(find(r.diagnostics, "cycle through 'self'"), nullptr);
  EXPECT_NE(find(r.diagnostics, "unknown template 'missing'"), nullptr);
  const auto* d = find(r.diagnostics, "unknown template 'nope'");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->field, "peers[0].template");
}

class MembersFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sbc_policy_members_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  LoadResult load_with_members(const std::string& body) {
    LoadOptions o;
    o.base_dir = dir_.string();
    return load_policy_text(std::string(testing::kLegs) + body, (dir_ / "p.yaml").string(), o);
  }
  std::filesystem::path dir_;
};

TEST_F(MembersFiles, CsvRowsBecomePeers) {
  write("agents.csv",
        "# exported from the directory\nname,username,password\n"
        "agent-1,1001,Zq8#vL2m-Tr5pW\n\"agent-2\",1002,\"Yq8#v\"\"L2m-Tr5pW\"\r\n");
  auto r = load_with_members(R"(templates:
  - {name: agent, kind: phone, leg: access, codecs: [pcma], members: {csv: agents.csv}}
)");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  ASSERT_EQ(r.policy->peers.size(), 2u);
  const Peer* a2 = r.policy->find_peer_by_username("1002");
  ASSERT_NE(a2, nullptr);
  EXPECT_EQ(a2->name, "agent-2");
  EXPECT_EQ(a2->auth.password, "Yq8#v\"L2m-Tr5pW");
  EXPECT_EQ(a2->codecs, std::vector<std::string>{"pcma"});
  EXPECT_EQ(a2->template_name, "agent");
  EXPECT_EQ(a2->defined_at.line, 4);
}

TEST_F(MembersFiles, CsvErrorsPointAtTheRow) {
  write("agents.csv", "name,password,colour\n");
  auto r = load_with_members(R"(templates:
  - {name: agent, kind: phone, leg: access, members: {csv: agents.csv}}
)");
  EXPECT_NE(find(r.diagnostics, "unknown column 'colour'"), nullptr) << dump(r.diagnostics);
  write("agents.csv", "name,ha1\nbadhash,xyz\n");
  r = load_with_members(R"(templates:
  - {name: agent, kind: phone, leg: access, members: {csv: agents.csv}}
)");
  EXPECT_NE(find(r.diagnostics, "expected 32 hex digits"), nullptr) << dump(r.diagnostics);
  write("agents.csv", "name,password\na1,Zq8#vL2m-Tr5pW\n,nameless\na3,\"broken\n");
  r = load_with_members(R"(templates:
  - {name: agent, kind: phone, leg: access, members: {csv: agents.csv}}
)");
  EXPECT_EQ(r.policy, nullptr);
  const auto* empty = find(r.diagnostics, "empty name");
  ASSERT_NE(empty, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(empty->line, 3);
  EXPECT_NE(empty->file.find("agents.csv"), std::string::npos);
  EXPECT_NE(find(r.diagnostics, "unbalanced quotes"), nullptr);
  auto missing = load_with_members(R"(templates:
  - {name: agent, kind: phone, leg: access, members: {csv: none.csv}}
)");
  EXPECT_NE(find(missing.diagnostics, "cannot open members file"), nullptr);
  auto dev = load_with_members(R"(templates:
  - {name: agent, kind: phone, leg: access, members: {csv: /dev/zero}}
)");
  EXPECT_NE(find(dev.diagnostics, "not a regular file"), nullptr) << dump(dev.diagnostics);
}

TEST_F(MembersFiles, SqliteTable) {
  const std::string db_path = (dir_ / "phones.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "CREATE TABLE phones(name TEXT, username TEXT, ha1 TEXT);"
                   "INSERT INTO phones VALUES('desk-1','3001','0123456789abcdef0123456789abcdef');"
                   "INSERT INTO phones VALUES('desk-2','3002','fedcba9876543210fedcba9876543210');",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto r = load_with_members(R"(templates:
  - {name: desk, kind: phone, leg: access, members: {sqlite: phones.db, table: phones}}
routes:
  - {prefix: "3002", to: desk-2}
)");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  ASSERT_EQ(r.policy->peers.size(), 2u);
  EXPECT_EQ(r.policy->find_peer_by_username("3001")->auth.ha1, "0123456789abcdef0123456789abcdef");
  auto bad = load_with_members(R"(templates:
  - {name: desk, kind: phone, leg: access, members: {sqlite: phones.db, table: "x; DROP TABLE phones"}}
  - {name: desk2, kind: phone, leg: access, members: {sqlite: phones.db, table: nosuch}}
)");
  EXPECT_NE(find(bad.diagnostics, "plain identifier"), nullptr) << dump(bad.diagnostics);
  EXPECT_NE(find(bad.diagnostics, "cannot read table 'nosuch'"), nullptr);
}

TEST_F(MembersFiles, RefusedWhenDisabled) {
  write("agents.csv", "name,password\na1,Zq8#vL2m-Tr5pW\n");
  auto r = testing::load(R"(templates:
  - {name: agent, kind: phone, leg: access, members: {csv: agents.csv}}
)");
  EXPECT_NE(find(r.diagnostics, "members files are disabled"), nullptr) << dump(r.diagnostics);
}

}  // namespace
}  // namespace sbc::policy
