// The call state machine against a fake transport, the fake dataplane and a
// manual clock: every failure mapping, failover order, CANCEL races, media
// events and topology hiding (DESIGN.md "Control plane"; issue: B2BUA).
#include "controlplane/b2bua.h"

#include <gtest/gtest.h>

#include <map>

#include "dataplane/fake_dataplane.h"
#include "policy/loader.h"

using namespace sbc;
using namespace sbc::controlplane;

namespace {

const char* kPolicy = R"(
interfaces:
  - {name: access, address: 198.18.1.1/24, media_ports: 20000-20999}
  - {name: core, address: 198.18.2.1/24, media_ports: 30000-30999}
peers:
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.10, auth: {mode: ip},
     codecs: [pcma, pcmu, telephone-event], channels: {max: 5}}
  - {name: alice, kind: phone, leg: access, auth: {username: "alice", password: "Zq8#vL2m-Tr5pW"}}
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10, auth: {mode: ip}, channels: {max: 1}}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20, auth: {mode: ip}, channels: {max: 1}}
routes:
  - {prefix: "0", to: [carrier-a, carrier-b]}
  - {prefix: "6", to: alice}
)";

std::string offer_sdp(const std::string& ip = "198.18.1.10",
                      const std::string& codecs = "8 0 101") {
  return "v=0\r\no=pbx 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip +
         "\r\nt=0 0\r\nm=audio 40000 RTP/AVP " + codecs +
         "\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
}

std::string answer_sdp(const std::string& ip) {
  return "v=0\r\no=carrier 7 7 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip +
         "\r\nt=0 0\r\nm=audio 50000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
}

struct FakeSignalling : CallSignalling {
  struct Invite {
    SipHandle handle;
    std::string peer, called, caller, sdp;
    int max_forwards = 0;
  };
  std::vector<std::string> log;
  std::vector<Invite> invites;
  std::map<SipHandle, std::string> a_sdp;  // last SDP sent to A
  SipHandle next = 100;
  bool fail_invites = false;

  void provisional_a(SipHandle a, int status, std::string_view sdp) override {
    log.push_back("provisional_a " + std::to_string(a) + " " + std::to_string(status));
    if (!sdp.empty()) a_sdp[a] = std::string(sdp);
  }
  void answer_a(SipHandle a, std::string_view sdp) override {
    log.push_back("answer_a " + std::to_string(a));
    a_sdp[a] = std::string(sdp);
  }
  void reject_a(SipHandle a, int status, std::string_view, std::optional<int> retry) override {
    log.push_back("reject_a " + std::to_string(a) + " " + std::to_string(status) +
                  (retry ? " retry" : ""));
  }
  void challenge_a(SipHandle a) override { log.push_back("challenge_a " + std::to_string(a)); }
  Result<SipHandle> invite_b(const OutgoingInvite& inv) override {
    if (fail_invites) return make_error("transport down");
    invites.push_back({++next, inv.peer->name, inv.called, inv.caller, inv.sdp, inv.max_forwards});
    log.push_back("invite_b " + inv.peer->name + " " + std::to_string(next));
    return next;
  }
  void cancel_b(SipHandle b) override { log.push_back("cancel_b " + std::to_string(b)); }
  void ack_b(SipHandle b) override { log.push_back("ack_b " + std::to_string(b)); }
  void bye(SipHandle d) override { log.push_back("bye " + std::to_string(d)); }
  void release(SipHandle h) override { released.push_back(h); }
  std::vector<SipHandle> released;

  bool saw(const std::string& entry) const {
    return std::find(log.begin(), log.end(), entry) != log.end();
  }
};

struct ManualTimers : CallTimers {
  ManualClock& clock;
  struct T {
    MonoTime due;
    std::function<void()> cb;
  };
  std::map<Id, T> timers;
  Id next = 1;
  explicit ManualTimers(ManualClock& c) : clock(c) {}
  Id after(std::chrono::milliseconds d, std::function<void()> cb) override {
    timers[next] = {clock.now() + d, std::move(cb)};
    return next++;
  }
  void cancel(Id id) override { timers.erase(id); }
  void advance(std::chrono::milliseconds d) {
    clock.advance(d);
    for (bool fired = true; fired;) {
      fired = false;
      for (auto it = timers.begin(); it != timers.end(); ++it) {
        if (it->second.due <= clock.now()) {
          auto cb = std::move(it->second.cb);
          timers.erase(it);
          cb();
          fired = true;
          break;
        }
      }
    }
  }
};

class B2buaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = policy::load_policy_text(kPolicy, "test.yaml");
    for (const auto& d : loaded.diagnostics)
      if (d.severity == policy::Diagnostic::Severity::error) ADD_FAILURE() << d.to_string();
    ASSERT_TRUE(loaded.policy);
    policy = loaded.policy;
    settings.no_provisional_timeout = std::chrono::milliseconds(2000);
    settings.ring_timeout = std::chrono::milliseconds(60000);
    b2bua = std::make_unique<B2bua>(
        sig, dp, admission, timers, clock, settings, [this] { return policy; }, facts);
    b2bua->on_call_ended([this](const CallRecord& r) { records.push_back(r); });
  }

  // The PBX (trusted by address) dials `number`; returns its A handle.
  SipHandle dial(const std::string& number, std::string sdp = offer_sdp()) {
    SipHandle a = next_a++;
    InboundCall in{a, "access", *Ipv4Address::parse("198.18.1.10"), number, "6001", std::move(sdp)};
    b2bua->on_invite(in, "", false);
    return a;
  }
  const policy::Peer& peer(const std::string& name) { return *policy->find_peer(name); }

  ManualClock clock;
  ManualTimers timers{clock};
  FakeSignalling sig;
  dataplane::FakeDataplane dp{
      std::vector<dataplane::MediaLeg>{{"access", *Ipv4Address::parse("198.18.1.1"), 20000, 20999},
                                       {"core", *Ipv4Address::parse("198.18.2.1"), 30000, 30999}}};
  Admission admission{clock};
  CallSettings settings;
  LiveFacts facts;
  policy::PolicyPtr policy;
  std::unique_ptr<B2bua> b2bua;
  std::vector<CallRecord> records;
  SipHandle next_a = 1;
};

}  // namespace

TEST_F(B2buaTest, AnsweredCallAnchorsMediaAndHidesEachSide) {
  SipHandle a = dial("0301234");
  ASSERT_EQ(sig.invites.size(), 1u);
  const auto& inv = sig.invites[0];
  EXPECT_EQ(inv.peer, "carrier-a");
  EXPECT_EQ(inv.called, "0301234");
  // The carrier sees only the SBC's core address.
  EXPECT_EQ(inv.sdp.find("198.18.1."), std::string::npos) << inv.sdp;
  EXPECT_NE(inv.sdp.find("c=IN IP4 198.18.2.1"), std::string::npos) << inv.sdp;
  ASSERT_EQ(dp.calls().size(), 1u);
  const auto& open = dp.calls()[0].spec.streams.at(0);
  EXPECT_EQ(open.a.leg, "access");
  EXPECT_EQ(open.a.remote_ip.to_string(), "198.18.1.10");
  EXPECT_EQ(open.a.remote_port, 40000);
  EXPECT_EQ(open.b.leg, "core");
  EXPECT_EQ(admission.channels_in_use(peer("carrier-a")), 1u);
  EXPECT_EQ(admission.channels_in_use(peer("pbx")), 1u);

  b2bua->on_b_response(inv.handle, 180, "");
  EXPECT_TRUE(sig.saw("provisional_a 1 180"));
  b2bua->on_b_response(inv.handle, 200, answer_sdp("198.18.2.10"));
  EXPECT_TRUE(sig.saw("ack_b " + std::to_string(inv.handle)));
  EXPECT_TRUE(sig.saw("answer_a 1"));
  // The caller sees only the SBC's access address; the dataplane got the callee's.
  EXPECT_EQ(sig.a_sdp[a].find("198.18.2."), std::string::npos) << sig.a_sdp[a];
  EXPECT_NE(sig.a_sdp[a].find("c=IN IP4 198.18.1.1"), std::string::npos) << sig.a_sdp[a];
  const auto& upd = dp.calls().back();
  EXPECT_EQ(upd.kind, dataplane::FakeDataplane::Call::Kind::update);
  EXPECT_EQ(upd.spec.streams[0].b.remote_ip.to_string(), "198.18.2.10");
  EXPECT_EQ(upd.spec.streams[0].b.remote_port, 50000);

  b2bua->on_a_ack(a);
  ASSERT_EQ(b2bua->calls().size(), 1u);
  EXPECT_EQ(b2bua->calls()[0]->state(), Call::State::established);

  b2bua->on_bye(a);
  EXPECT_TRUE(sig.saw("bye " + std::to_string(inv.handle)));
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(dp.open_sessions(), 0u) << "pinholes closed after the call";
  EXPECT_EQ(admission.channels_in_use(peer("carrier-a")), 0u);
  EXPECT_EQ(admission.channels_in_use(peer("pbx")), 0u);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].answered);
  EXPECT_EQ(records[0].ended_by, "caller");
  EXPECT_EQ(records[0].destination_peer, "carrier-a");
}

TEST_F(B2buaTest, CalleeHangsUp) {
  SipHandle a = dial("0301234");
  SipHandle b = sig.invites[0].handle;
  b2bua->on_b_response(b, 200, answer_sdp("198.18.2.10"));
  b2bua->on_a_ack(a);
  b2bua->on_bye(b);
  EXPECT_TRUE(sig.saw("bye 1"));
  EXPECT_EQ(records.at(0).ended_by, "callee");
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(B2buaTest, BusyIsPassedThroughWithoutFailover) {
  dial("0301234");
  b2bua->on_b_response(sig.invites[0].handle, 486, "");
  EXPECT_TRUE(sig.saw("reject_a 1 486"));
  EXPECT_EQ(sig.invites.size(), 1u) << "486 is the callee's answer: no failover";
  EXPECT_EQ(dp.open_sessions(), 0u);
  EXPECT_EQ(admission.channels_in_use(peer("carrier-a")), 0u);
}

TEST_F(B2buaTest, FailsOverOn503ToTheNextCarrier) {
  SipHandle a = dial("0301234");
  b2bua->on_b_response(sig.invites[0].handle, 503, "");
  ASSERT_EQ(sig.invites.size(), 2u);
  EXPECT_EQ(sig.invites[1].peer, "carrier-b");
  EXPECT_EQ(dp.open_sessions(), 1u) << "the first attempt's media is closed";
  b2bua->on_b_response(sig.invites[1].handle, 200, answer_sdp("198.18.2.20"));
  EXPECT_TRUE(sig.saw("answer_a " + std::to_string(a)));
  b2bua->on_a_ack(a);
  b2bua->on_bye(a);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].attempts, (std::vector<std::string>{"carrier-a:503", "carrier-b:200"}));
}

TEST_F(B2buaTest, FailsOverWhenACandidateStaysSilentAndAcksALateAnswer) {
  dial("0301234");
  SipHandle silent = sig.invites[0].handle;
  timers.advance(std::chrono::milliseconds(2000));
  EXPECT_TRUE(sig.saw("cancel_b " + std::to_string(silent)));
  ASSERT_EQ(sig.invites.size(), 2u);
  EXPECT_EQ(sig.invites[1].peer, "carrier-b");
  // The silent carrier answers after all (its 200 crossed our CANCEL).
  b2bua->on_b_response(silent, 200, answer_sdp("198.18.2.10"));
  EXPECT_TRUE(sig.saw("ack_b " + std::to_string(silent)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(silent)));
  EXPECT_FALSE(sig.saw("answer_a 1")) << "the caller is not answered by a given-up attempt";
  EXPECT_EQ(admission.channels_in_use(peer("carrier-a")), 0u);
}

TEST_F(B2buaTest, RingingWithoutAnswerEndsWith480NotFailover) {
  dial("0301234");
  b2bua->on_b_response(sig.invites[0].handle, 180, "");
  timers.advance(std::chrono::milliseconds(60000));
  EXPECT_TRUE(sig.saw("cancel_b " + std::to_string(sig.invites[0].handle)));
  EXPECT_TRUE(sig.saw("reject_a 1 480"));
  EXPECT_EQ(sig.invites.size(), 1u);
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaTest, CallerCancelsAndARacing200IsHungUp) {
  SipHandle a = dial("0301234");
  SipHandle b = sig.invites[0].handle;
  b2bua->on_b_response(b, 180, "");
  b2bua->on_a_cancel(a);
  EXPECT_TRUE(sig.saw("cancel_b " + std::to_string(b)));
  EXPECT_TRUE(sig.saw("reject_a 1 487"));
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(dp.open_sessions(), 0u);
  b2bua->on_b_response(b, 200, answer_sdp("198.18.2.10"));
  EXPECT_TRUE(sig.saw("ack_b " + std::to_string(b)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_EQ(std::count(sig.released.begin(), sig.released.end(), b), 1);
}

TEST_F(B2buaTest, UnknownNumberIs404) {
  dial("9999");
  EXPECT_TRUE(sig.saw("reject_a 1 404"));
  EXPECT_TRUE(sig.invites.empty());
  // A refused call still gets its record (billing and metrics see it).
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].final_status, 404);
  EXPECT_EQ(records[0].source_peer, "pbx");
  EXPECT_EQ(records[0].called_in, "9999");
  EXPECT_FALSE(records[0].answered);
  EXPECT_TRUE(records[0].attempts.empty());
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaTest, PeerDialogOnlyForAnsweredCalls) {
  SipHandle a = dial("0301");
  ASSERT_EQ(sig.invites.size(), 1u);
  SipHandle b = sig.invites[0].handle;
  EXPECT_EQ(b2bua->peer_dialog(a), 0u) << "nothing is relayed before the answer";
  b2bua->on_b_response(b, 200, answer_sdp("198.18.2.10"));
  EXPECT_EQ(b2bua->peer_dialog(a), b);
  EXPECT_EQ(b2bua->peer_dialog(b), a);
  b2bua->on_bye(a);
  EXPECT_EQ(b2bua->peer_dialog(a), 0u);
  EXPECT_EQ(b2bua->peer_dialog(b), 0u);
}

TEST_F(B2buaTest, AnAnswerNeverAckedIsHungUpOnBothSides) {
  SipHandle a = dial("0301");
  SipHandle b = sig.invites[0].handle;
  b2bua->on_b_response(b, 200, answer_sdp("198.18.2.10"));
  timers.advance(settings.ack_timeout - std::chrono::milliseconds(1));
  EXPECT_FALSE(sig.saw("bye " + std::to_string(a)));
  timers.advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(a)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].ended_by, "no_ack");
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaTest, AnAckedAnswerKeepsTheCall) {
  SipHandle a = dial("0301");
  b2bua->on_b_response(sig.invites[0].handle, 200, answer_sdp("198.18.2.10"));
  b2bua->on_a_ack(a);
  timers.advance(settings.ack_timeout * 2);
  EXPECT_FALSE(sig.saw("bye " + std::to_string(a)));
  EXPECT_EQ(b2bua->active_calls(), 1u);
}

TEST_F(B2buaTest, MaxForwardsIsDecrementedTowardTheCallee) {
  InboundCall in{1, "access", *Ipv4Address::parse("198.18.1.10"), "0301", "6001", offer_sdp()};
  in.max_forwards = 12;
  b2bua->on_invite(in, "", false);
  ASSERT_EQ(sig.invites.size(), 1u);
  EXPECT_EQ(sig.invites[0].max_forwards, 11);
}

TEST_F(B2buaTest, UnregisteredPhoneIs480) {
  facts.registered = [](const policy::Peer&) { return false; };
  b2bua = std::make_unique<B2bua>(
      sig, dp, admission, timers, clock, settings, [this] { return policy; }, facts);
  dial("6001");
  EXPECT_TRUE(sig.saw("reject_a 1 480"));
}

TEST_F(B2buaTest, NoChannelLeftIs503WithRetryAfter) {
  dial("0301");  // carrier-a's only channel
  dial("0302");  // carrier-b's only channel
  ASSERT_EQ(sig.invites.size(), 2u);
  EXPECT_EQ(sig.invites[1].peer, "carrier-b") << "a capped carrier is skipped";
  dial("0303");
  EXPECT_TRUE(sig.saw("reject_a 3 503 retry"));
}

TEST_F(B2buaTest, AllCandidatesFailingGivesTheBestAnswer) {
  dial("0301234");
  b2bua->on_b_response(sig.invites[0].handle, 503, "");
  b2bua->on_b_response(sig.invites[1].handle, 500, "");
  EXPECT_TRUE(sig.saw("reject_a 1 503 retry"));
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaTest, PhonesMustAuthenticate) {
  SipHandle a = next_a++;
  InboundCall in{a,      "access", *Ipv4Address::parse("198.18.1.50"),
                 "0301", "alice",  offer_sdp("198.18.1.50")};
  b2bua->on_invite(in, "", false);
  EXPECT_TRUE(sig.saw("challenge_a 1"));
  b2bua->on_invite(in, "alice", false);  // credentials that did not verify
  EXPECT_EQ(std::count(sig.log.begin(), sig.log.end(), "challenge_a 1"), 2);
  b2bua->on_invite(in, "mallory", false);  // unknown user: the same answer
  EXPECT_EQ(std::count(sig.log.begin(), sig.log.end(), "challenge_a 1"), 3);
  EXPECT_TRUE(sig.invites.empty());
  b2bua->on_invite(in, "alice", true);
  EXPECT_EQ(sig.invites.size(), 1u);
}

TEST_F(B2buaTest, NoCommonCodecIs488) {
  dial("0301234", offer_sdp("198.18.1.10", "18"));  // G729 only; the PBX allows pcma/pcmu
  EXPECT_TRUE(sig.saw("reject_a 1 488"));
  EXPECT_TRUE(sig.invites.empty());
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(B2buaTest, CodecsAreFilteredAndDtmfSurvives) {
  dial("0301234", offer_sdp("198.18.1.10", "18 8 0 101"));
  ASSERT_EQ(sig.invites.size(), 1u);
  EXPECT_NE(sig.invites[0].sdp.find("m=audio 3"), std::string::npos);
  EXPECT_EQ(sig.invites[0].sdp.find("G729"), std::string::npos) << sig.invites[0].sdp;
  EXPECT_NE(sig.invites[0].sdp.find("telephone-event"), std::string::npos) << sig.invites[0].sdp;
}

TEST_F(B2buaTest, LateOfferAndBadSdpAre488) {
  dial("0301234", "");
  dial("0301234", "this is not sdp");
  EXPECT_TRUE(sig.saw("reject_a 1 488"));
  EXPECT_TRUE(sig.saw("reject_a 2 488"));
}

TEST_F(B2buaTest, MediaIdleEndsTheCallOnBothSides) {
  SipHandle a = dial("0301234");
  SipHandle b = sig.invites[0].handle;
  b2bua->on_b_response(b, 200, answer_sdp("198.18.2.10"));
  b2bua->on_a_ack(a);
  dataplane::DataplaneEvent e;
  e.type = dataplane::EventType::media_idle;
  e.session = *b2bua->calls()[0]->media();
  b2bua->on_dataplane_event(e);
  EXPECT_TRUE(sig.saw("bye " + std::to_string(a)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_EQ(records.at(0).ended_by, "media_idle");
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(B2buaTest, TransportFailureMovesOn) {
  sig.fail_invites = true;
  dial("0301234");
  EXPECT_TRUE(sig.saw("reject_a 1 503 retry"));
  EXPECT_EQ(dp.open_sessions(), 0u);
  EXPECT_EQ(admission.channels_in_use(peer("carrier-a")), 0u);
  EXPECT_EQ(admission.channels_in_use(peer("carrier-b")), 0u);
}
