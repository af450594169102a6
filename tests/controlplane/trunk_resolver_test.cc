// The trunk resolver over a fake DNS and manual timers: SRV then A, A alone,
// TTL expiry, failures that keep the last good answer, names that never
// resolve, timeouts, reloads, and trunks recognised by resolved addresses.
#include "controlplane/trunk_resolver.h"

#include <gtest/gtest.h>

#include <deque>

#include "manual_timers.h"
#include "policy/loader.h"
#include "policy/peer_identification.h"

using namespace sbc;
using namespace sbc::controlplane;
using sbc::controlplane::testing::ManualTimers;
using std::chrono::milliseconds;
using std::chrono::seconds;
using S = DnsAnswer::Status;

namespace {

struct FakeDns : DnsQuery {
  struct Q {
    DnsType type;
    std::string name;
    Done done;
  };
  std::map<Id, Q> pending;
  std::vector<std::string> asked;  // "SRV name" / "A name", in order
  Id next = 1;
  int cancelled = 0;

  Id query(DnsType type, const std::string& name, Done done) override {
    asked.push_back((type == DnsType::srv ? "SRV " : "A ") + name);
    pending[next] = {type, name, std::move(done)};
    return next++;
  }
  void cancel(Id id) override { cancelled += static_cast<int>(pending.erase(id)); }

  bool has(DnsType type, const std::string& name) const {
    for (const auto& [id, q] : pending)
      if (q.type == type && q.name == name) return true;
    return false;
  }
  // Answers the pending question; false if there is none.
  bool answer(DnsType type, const std::string& name, DnsAnswer a) {
    for (auto it = pending.begin(); it != pending.end(); ++it) {
      if (it->second.type != type || it->second.name != name) continue;
      Done d = std::move(it->second.done);
      pending.erase(it);
      d(a);
      return true;
    }
    return false;
  }
  bool a(const std::string& name, std::vector<std::string> addrs, uint32_t ttl = 60) {
    DnsAnswer x;
    x.status = S::ok;
    x.ttl = ttl;
    for (const auto& s : addrs) x.a.push_back(*Ipv4Address::parse(s));
    return answer(DnsType::a, name, x);
  }
  bool srv(const std::string& name, std::vector<DnsAnswer::Srv> records, uint32_t ttl = 60) {
    DnsAnswer x;
    x.status = S::ok;
    x.ttl = ttl;
    x.srv = std::move(records);
    return answer(DnsType::srv, name, x);
  }
  bool fail(DnsType type, const std::string& name, S status) {
    DnsAnswer x;
    x.status = status;
    return answer(type, name, x);
  }
};

const char* kLegs = R"(
interfaces:
  - {name: access, address: 198.18.1.1/24, media_ports: 20000-20999}
  - {name: core, address: 198.18.2.1/24, media_ports: 30000-30999}
timers: {dns_ttl_min: 2s, dns_ttl_max: 300s, dns_retry: 5s, dns_timeout: 3s}
)";

policy::PolicyPtr load(const std::string& peers) {
  auto loaded = policy::load_policy_text(std::string(kLegs) + peers, "test.yaml");
  for (const auto& d : loaded.diagnostics)
    if (d.severity == policy::Diagnostic::Severity::error) ADD_FAILURE() << d.to_string();
  return loaded.policy;
}

const char* kCarrier = R"(peers:
  - {name: carrier, kind: trunk, leg: core, address: carrier.test, auth: {mode: ip}}
)";

class TrunkResolverTest : public ::testing::Test {
 protected:
  ManualClock clock;
  ManualTimers timers{clock};
  FakeDns dns;
  TrunkResolver resolver{dns, timers, clock, [](uint32_t) { return 0u; }};
  std::vector<std::pair<std::string, bool>> changes;  // (state, changed)

  void SetUp() override {
    resolver.on_change([this](const DnsSpec&, const DnsStatus& s, bool changed) {
      changes.emplace_back(to_string(s.state), changed);
    });
  }
  DnsSpec carrier{"carrier.test", std::nullopt, policy::SipTransport::udp};
  std::string endpoint(const DnsSpec& s) {
    auto e = resolver.endpoint(s);
    return e ? e->to_string() : "none";
  }
};

}  // namespace

TEST_F(TrunkResolverTest, SrvTargetsThenTheirAddresses) {
  resolver.reconcile(load(kCarrier));
  EXPECT_EQ(dns.asked, (std::vector<std::string>{"SRV _sip._udp.carrier.test"}));
  ASSERT_EQ(resolver.status(carrier)->state, DnsStatus::State::resolving);
  ASSERT_TRUE(dns.srv("_sip._udp.carrier.test",
                      {{20, 0, 5080, "backup.carrier.test."}, {10, 0, 5070, "main.carrier.test."}},
                      120));
  ASSERT_TRUE(dns.has(DnsType::a, "main.carrier.test"));
  ASSERT_TRUE(dns.has(DnsType::a, "backup.carrier.test"));
  EXPECT_TRUE(dns.a("backup.carrier.test", {"198.18.2.20"}, 30));
  EXPECT_EQ(resolver.status(carrier)->state, DnsStatus::State::resolving) << "one A still due";
  EXPECT_TRUE(dns.a("main.carrier.test", {"198.18.2.10", "198.18.2.11"}, 90));
  const DnsStatus* s = resolver.status(carrier);
  EXPECT_EQ(s->state, DnsStatus::State::resolved);
  EXPECT_TRUE(s->from_srv);
  ASSERT_EQ(s->targets.size(), 2u);
  EXPECT_EQ(s->targets[0].host, "main.carrier.test.") << "priority order";
  EXPECT_EQ(s->ttl, seconds(30)) << "the smallest TTL of SRV and A records";
  EXPECT_EQ(endpoint(carrier), "198.18.2.10:5070");
  EXPECT_EQ(changes.back(), std::make_pair(std::string("resolved"), true));
}

TEST_F(TrunkResolverTest, NoSrvMeansTheNamesARecordsAtTheDefaultPort) {
  resolver.reconcile(load(R"(peers:
  - {name: carrier, kind: trunk, leg: core, address: carrier.test, transport: tls, auth: {mode: ip}}
)"));
  DnsSpec tls{"carrier.test", std::nullopt, policy::SipTransport::tls};
  ASSERT_TRUE(dns.fail(DnsType::srv, "_sips._tcp.carrier.test", S::no_such_name));
  ASSERT_TRUE(dns.a("carrier.test", {"198.18.2.10"}));
  EXPECT_FALSE(resolver.status(tls)->from_srv);
  EXPECT_EQ(endpoint(tls), "198.18.2.10:5061");
}

TEST_F(TrunkResolverTest, AWrittenPortMeansNoSrv) {
  resolver.reconcile(load(R"(peers:
  - {name: carrier, kind: trunk, leg: core, address: carrier.test, port: 5099, auth: {mode: ip}}
)"));
  EXPECT_EQ(dns.asked, (std::vector<std::string>{"A carrier.test"}));
  ASSERT_TRUE(dns.a("carrier.test", {"198.18.2.10"}));
  EXPECT_EQ(endpoint({"carrier.test", 5099, policy::SipTransport::udp}), "198.18.2.10:5099");
}

TEST_F(TrunkResolverTest, LookedUpAgainWhenTheTtlRunsOutAndFollowsTheChange) {
  resolver.reconcile(load(kCarrier));
  ASSERT_TRUE(dns.srv("_sip._udp.carrier.test", {{10, 0, 5060, "a.carrier.test"}}, 10));
  ASSERT_TRUE(dns.a("a.carrier.test", {"198.18.2.10"}, 10));
  EXPECT_EQ(endpoint(carrier), "198.18.2.10:5060");
  timers.advance(milliseconds(9900));
  EXPECT_TRUE(dns.pending.empty()) << "not before the TTL";
  timers.advance(milliseconds(100));
  ASSERT_TRUE(dns.srv("_sip._udp.carrier.test", {{10, 0, 5062, "b.carrier.test"}}, 10));
  ASSERT_TRUE(dns.a("b.carrier.test", {"198.18.2.20"}, 10));
  EXPECT_EQ(endpoint(carrier), "198.18.2.20:5062");
  EXPECT_EQ(resolver.status(carrier)->lookups_ok, 2u);
  EXPECT_EQ(changes.back(), std::make_pair(std::string("resolved"), true))
      << "same state, new addresses: a change";
}

TEST_F(TrunkResolverTest, AFailedReresolutionKeepsTheLastGoodAnswer) {
  resolver.reconcile(load(kCarrier));
  ASSERT_TRUE(dns.fail(DnsType::srv, "_sip._udp.carrier.test", S::no_records));
  ASSERT_TRUE(dns.a("carrier.test", {"198.18.2.10"}, 0));
  EXPECT_EQ(resolver.status(carrier)->ttl, seconds(2)) << "TTL 0 held at dns_ttl_min";
  timers.advance(seconds(2));
  ASSERT_TRUE(dns.fail(DnsType::srv, "_sip._udp.carrier.test", S::failed));
  const DnsStatus* s = resolver.status(carrier);
  EXPECT_EQ(s->state, DnsStatus::State::stale);
  EXPECT_EQ(s->last_error, "srv failed");
  EXPECT_EQ(endpoint(carrier), "198.18.2.10:5060") << "the last good answer is still used";
  EXPECT_EQ(s->lookups_failed, 1u);
  // Retried after dns_retry, not after the TTL.
  timers.advance(milliseconds(4900));
  EXPECT_TRUE(dns.pending.empty());
  timers.advance(milliseconds(100));
  EXPECT_TRUE(dns.has(DnsType::srv, "_sip._udp.carrier.test"));
}

TEST_F(TrunkResolverTest, ANameThatNeverResolvesLeavesTheTrunkUnusable) {
  auto pol = load(kCarrier);
  resolver.reconcile(pol);
  const policy::Peer& peer = *pol->find_peer("carrier");
  EXPECT_FALSE(resolver.resolved(peer)) << "not before the first answer";
  ASSERT_TRUE(dns.fail(DnsType::srv, "_sip._udp.carrier.test", S::no_such_name));
  ASSERT_TRUE(dns.fail(DnsType::a, "carrier.test", S::no_such_name));
  const DnsStatus* s = resolver.status(carrier);
  EXPECT_EQ(s->state, DnsStatus::State::failed);
  EXPECT_EQ(s->last_error, "nxdomain");
  EXPECT_FALSE(resolver.resolved(peer));
  EXPECT_EQ(endpoint(carrier), "none");
  timers.advance(seconds(5));
  EXPECT_TRUE(dns.has(DnsType::srv, "_sip._udp.carrier.test")) << "retried after dns_retry";
}

TEST_F(TrunkResolverTest, NoAnswerAtAllTimesOutAndCancelsTheQuestion) {
  resolver.reconcile(load(kCarrier));
  timers.advance(milliseconds(2999));
  EXPECT_EQ(resolver.status(carrier)->state, DnsStatus::State::resolving);
  timers.advance(milliseconds(1));
  EXPECT_EQ(resolver.status(carrier)->state, DnsStatus::State::failed);
  EXPECT_EQ(resolver.status(carrier)->last_error, "timeout");
  EXPECT_EQ(dns.cancelled, 1);
  EXPECT_TRUE(dns.pending.empty());
}

TEST_F(TrunkResolverTest, SrvTargetsThatDoNotResolveAreLeftOut) {
  resolver.reconcile(load(kCarrier));
  ASSERT_TRUE(dns.srv("_sip._udp.carrier.test",
                      {{10, 0, 5060, "gone.carrier.test"}, {20, 0, 5060, "ok.carrier.test"}}));
  ASSERT_TRUE(dns.fail(DnsType::a, "gone.carrier.test", S::no_such_name));
  ASSERT_TRUE(dns.a("ok.carrier.test", {"198.18.2.20"}));
  ASSERT_EQ(resolver.status(carrier)->targets.size(), 1u);
  EXPECT_EQ(endpoint(carrier), "198.18.2.20:5060");
}

TEST_F(TrunkResolverTest, SrvDotTargetMeansNoService) {
  resolver.reconcile(load(kCarrier));
  ASSERT_TRUE(dns.srv("_sip._udp.carrier.test", {{0, 0, 0, "."}}));
  EXPECT_EQ(resolver.status(carrier)->state, DnsStatus::State::failed);
  EXPECT_TRUE(dns.pending.empty()) << "no A lookup for '.'";
}

TEST_F(TrunkResolverTest, ReloadDropsNamesNoPeerUsesAndKeepsTheOthers) {
  resolver.reconcile(load(kCarrier));
  ASSERT_TRUE(dns.fail(DnsType::srv, "_sip._udp.carrier.test", S::no_records));
  ASSERT_TRUE(dns.a("carrier.test", {"198.18.2.10"}));
  dns.asked.clear();
  resolver.reconcile(load(R"(peers:
  - {name: carrier, kind: trunk, leg: core, address: carrier.test, auth: {mode: ip}}
  - {name: other, kind: trunk, leg: core, address: other.test, auth: {mode: ip},
     register: {registrar: "sip:reg.other.test:5070", username: u1, password: "Kd8!mZ2q-Lp7vRt5"}}
)"));
  EXPECT_EQ(dns.asked, (std::vector<std::string>{"SRV _sip._udp.other.test", "A reg.other.test"}))
      << "only new names are looked up; a registrar with a port needs no SRV";
  EXPECT_EQ(resolver.status(carrier)->state, DnsStatus::State::resolved);
  resolver.reconcile(load(R"(peers:
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.10, auth: {mode: ip}}
)"));
  EXPECT_EQ(resolver.names(), 0u);
  EXPECT_TRUE(dns.pending.empty()) << "lookups of dropped names are cancelled";
  EXPECT_EQ(dns.cancelled, 2);
}

TEST_F(TrunkResolverTest, ATrunkKnownByNameIsRecognisedByItsResolvedAddresses) {
  auto pol = load(R"(peers:
  - {name: carrier, kind: trunk, leg: core, address: carrier.test, auth: {mode: ip}}
  - {name: pinned, kind: trunk, leg: core, address: pinned.test, auth: {mode: ip, trusted: [198.18.2.64/28]}}
)");
  resolver.reconcile(pol);
  ASSERT_TRUE(dns.srv("_sip._udp.carrier.test", {{10, 0, 5060, "a.carrier.test"}}));
  ASSERT_TRUE(dns.a("a.carrier.test", {"198.18.2.10"}));
  ASSERT_TRUE(dns.srv("_sip._udp.pinned.test", {{10, 0, 5060, "a.pinned.test"}}));
  ASSERT_TRUE(dns.a("a.pinned.test", {"198.18.2.30"}));
  auto who = [&](const char* leg, const char* src) {
    auto id = policy::identify_peer(*pol, {leg, *Ipv4Address::parse(src), ""}, &resolver.sources());
    return id.peer ? id.peer->name : std::string(policy::to_string(id.outcome));
  };
  EXPECT_EQ(who("core", "198.18.2.10"), "carrier");
  EXPECT_EQ(who("access", "198.18.2.10"), "no_credentials") << "only on the trunk's own leg";
  EXPECT_EQ(who("core", "198.18.2.30"), "no_credentials")
      << "a trunk with trusted prefixes is not trusted by what its name resolves to";
  EXPECT_EQ(who("core", "198.18.2.70"), "pinned");
  // The name moves: the old address is no longer the carrier.
  timers.advance(seconds(60));
  ASSERT_TRUE(dns.srv("_sip._udp.carrier.test", {{10, 0, 5060, "b.carrier.test"}}));
  ASSERT_TRUE(dns.a("b.carrier.test", {"198.18.2.20"}));
  EXPECT_EQ(who("core", "198.18.2.20"), "carrier");
  EXPECT_EQ(who("core", "198.18.2.10"), "no_credentials");
}
