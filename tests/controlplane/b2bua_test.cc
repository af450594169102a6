// The call state machine against a fake transport, the fake dataplane and a
// manual clock: every failure mapping, failover order, CANCEL races, media
// events and topology hiding (DESIGN.md "Control plane"; issue: B2BUA).
#include "controlplane/b2bua.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "dataplane/fake_dataplane.h"
#include "manual_timers.h"
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
  - {prefix: "112", to: carrier-b, emergency: true}
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
    std::string asserted_identity, privacy;
    uint32_t session_expires = 0, min_se = 0;
    bool offer_100rel = false;
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
  // RFC 3262: reliable 18x to the caller, answers to its PRACKs, PRACKs to callees.
  struct Reliable {
    SipHandle a = 0, id = 0;
    int status = 0;
    std::string sdp;
  };
  std::vector<Reliable> reliables;
  bool refuse_reliable = false;
  Result<SipHandle> reliable_provisional_a(SipHandle a, int status, std::string_view sdp) override {
    if (refuse_reliable) return make_error("no 100rel");
    reliables.push_back({a, ++next, status, std::string(sdp)});
    log.push_back("reliable_a " + std::to_string(a) + " " + std::to_string(status));
    if (!sdp.empty()) a_sdp[a] = std::string(sdp);
    return next;
  }
  std::map<SipHandle, int> prack_answers;  // the caller's PRACK -> status
  void answer_prack(SipHandle prack, int status, std::string_view sdp) override {
    prack_answers[prack] = status;
    log.push_back("answer_prack " + std::to_string(prack) + " " + std::to_string(status) +
                  (sdp.empty() ? "" : " sdp"));
  }
  struct Prack {
    SipHandle b = 0, id = 0;
    uint32_t rseq = 0;
    std::string sdp;
  };
  std::vector<Prack> pracks;
  Result<SipHandle> prack_b(SipHandle b, uint32_t rseq, std::string_view sdp) override {
    pracks.push_back({b, ++next, rseq, std::string(sdp)});
    log.push_back("prack_b " + std::to_string(b) + " " + std::to_string(rseq));
    return next;
  }
  void answer_a(SipHandle a, std::string_view sdp) override {
    log.push_back("answer_a " + std::to_string(a));
    a_sdp[a] = std::string(sdp);
  }
  void reject_a(SipHandle a, const FinalAnswer& f) override {
    log.push_back("reject_a " + std::to_string(a) + " " + std::to_string(f.status) +
                  (f.retry_after ? " retry" : "") +
                  (f.min_se ? " min_se=" + std::to_string(*f.min_se) : ""));
  }
  void challenge_a(SipHandle a) override { log.push_back("challenge_a " + std::to_string(a)); }
  Result<SipHandle> invite_b(const OutgoingInvite& inv) override {
    if (fail_invites) return make_error("transport down");
    invites.push_back({++next, inv.peer->name, inv.called, inv.caller, inv.sdp, inv.max_forwards,
                       inv.asserted_identity, inv.privacy, inv.session_expires, inv.min_se,
                       inv.offer_100rel});
    log.push_back("invite_b " + inv.peer->name + " " + std::to_string(next));
    return next;
  }
  void cancel_b(SipHandle b) override { log.push_back("cancel_b " + std::to_string(b)); }
  void ack_b(SipHandle b, std::string_view sdp) override {
    log.push_back("ack_b " + std::to_string(b));
    ack_sdp[b] = std::string(sdp);
  }
  std::map<SipHandle, std::string> ack_sdp;
  void bye(SipHandle d) override { log.push_back("bye " + std::to_string(d)); }
  void release(SipHandle h) override { released.push_back(h); }
  std::vector<SipHandle> released;

  struct Offer {
    SipHandle dialog = 0, id = 0;
    OfferMethod method = OfferMethod::reinvite;
    std::string sdp;
  };
  struct OfferAnswer {
    int status = 0;
    std::string sdp, warning;
  };
  std::vector<Offer> offers;                 // relayed to the other side
  std::map<SipHandle, OfferAnswer> answers;  // given to the offerer
  bool fail_offers = false;
  Result<SipHandle> send_offer(SipHandle dialog, OfferMethod m, std::string_view sdp) override {
    if (fail_offers) return make_error("transport down");
    offers.push_back({dialog, ++next, m, std::string(sdp)});
    log.push_back(std::string("send_offer ") + to_string(m) + " " + std::to_string(dialog));
    return next;
  }
  std::map<SipHandle, std::string> offer_acks;  // ack_offer: out id -> the answer it carried
  void ack_offer(SipHandle out, std::string_view sdp) override {
    offer_acks[out] = std::string(sdp);
    log.push_back("ack_offer " + std::to_string(out));
  }
  void answer_offer(SipHandle offer, int status, std::string_view sdp, std::string_view warning,
                    std::optional<int>) override {
    answers[offer] = {status, std::string(sdp), std::string(warning)};
  }

  std::map<SipHandle, LegSessionTimer> session;  // session_timer: per dialog
  void session_timer(SipHandle dialog, const LegSessionTimer& t) override { session[dialog] = t; }
  struct Refresh {
    SipHandle dialog = 0, id = 0;
    std::string sdp;  // empty: an UPDATE; else a re-INVITE
  };
  std::vector<Refresh> refreshes;
  Result<SipHandle> refresh_session(SipHandle dialog, std::string_view sdp) override {
    refreshes.push_back({dialog, ++next, std::string(sdp)});
    log.push_back("refresh " + std::to_string(dialog));
    return next;
  }

  bool saw(const std::string& entry) const {
    return std::find(log.begin(), log.end(), entry) != log.end();
  }
};

using sbc::controlplane::testing::ManualTimers;

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
  // An answered and acknowledged call from the PBX to carrier-a: {A, B}.
  std::pair<SipHandle, SipHandle> established() {
    SipHandle a = dial("0301234");
    SipHandle b = sig.invites.at(0).handle;
    b2bua->on_b_response(b, 200, answer_sdp("198.18.2.10"));
    b2bua->on_a_ack(a);
    return {a, b};
  }
  const dataplane::MediaStreamSpec& last_media_spec() const {
    return dp.calls().back().spec.streams.at(0);
  }

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
  // Audio without a=ptime: policed at twice 50 packets/s (docs/protection.md).
  EXPECT_EQ(open.packet_rate, 100u);
  EXPECT_EQ(open.packet_burst, 33u);
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
  // It rang (180) before it was answered: post-dial delay has a peer.
  EXPECT_EQ(records[0].rang_peer, "carrier-a");
  EXPECT_GE(records[0].ringing, records[0].setup);
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
  EXPECT_TRUE(records[0].rang_peer.empty()) << "answered without ringing: no post-dial delay";
}

TEST_F(B2buaTest, StartsAreCountedForTheCallerAndEveryCandidateEmergencyCallsIncluded) {
  std::vector<std::string> started;
  admission.on_call_start([&](const std::string& p) { started.push_back(p); });
  dial("0301234");
  b2bua->on_b_response(sig.invites[0].handle, 503, "");
  EXPECT_EQ(started, (std::vector<std::string>{"pbx", "carrier-a", "carrier-b"}));
  started.clear();
  b2bua->on_b_response(sig.invites[1].handle, 486, "");
  dial("112");  // emergency: no admission check, still a start of both peers
  EXPECT_EQ(started, (std::vector<std::string>{"pbx", "carrier-b"}));
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

TEST_F(B2buaTest, BadSdpIs488) {
  dial("0301234", "this is not sdp");
  EXPECT_TRUE(sig.saw("reject_a 1 488"));
  EXPECT_TRUE(sig.invites.empty());
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

// ---------------------------------------------------------------- re-INVITE and UPDATE

namespace {

std::string with(std::string sdp, const std::string& from, const std::string& to) {
  auto at = sdp.find(from);
  if (at != std::string::npos) sdp.replace(at, from.size(), to);
  return sdp;
}

std::string hold_offer() {
  return with(offer_sdp(), "a=sendrecv", "a=sendonly");
}

std::string carrier_answer(const std::string& ip, const std::string& direction, int port = 50000) {
  return "v=0\r\no=carrier 7 8 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip +
         "\r\nt=0 0\r\nm=audio " + std::to_string(port) +
         " RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=" + direction + "\r\n";
}

}  // namespace

TEST_F(B2buaTest, HoldFromTheCallerIsRelayedAnsweredAndSurvivesSilence) {
  auto [a, b] = established();
  b2bua->on_offer(a, 900, OfferMethod::reinvite, hold_offer());
  ASSERT_EQ(sig.offers.size(), 1u);
  const auto& relayed = sig.offers[0];
  EXPECT_EQ(relayed.dialog, b);
  EXPECT_EQ(relayed.method, OfferMethod::reinvite);
  EXPECT_NE(relayed.sdp.find("a=sendonly"), std::string::npos) << relayed.sdp;
  EXPECT_NE(relayed.sdp.find("c=IN IP4 198.18.2.1\r\n"), std::string::npos) << relayed.sdp;
  EXPECT_EQ(relayed.sdp.find("198.18.1."), std::string::npos) << "nothing of A reaches B";
  // The same SBC port on B's leg as in the first offer: the carrier keeps sending there.
  auto first = sip::SdpSession::parse(sig.invites[0].sdp);
  auto now = sip::SdpSession::parse(relayed.sdp);
  ASSERT_TRUE(first && now);
  EXPECT_EQ(now->streams()[0].port, first->streams()[0].port);
  EXPECT_TRUE(b2bua->calls()[0]->offer_pending());

  b2bua->on_offer_response(relayed.id, 200, carrier_answer("198.18.2.10", "recvonly"));
  ASSERT_TRUE(sig.answers.count(900));
  const auto& ans = sig.answers[900];
  EXPECT_EQ(ans.status, 200);
  EXPECT_NE(ans.sdp.find("a=recvonly"), std::string::npos) << ans.sdp;
  EXPECT_NE(ans.sdp.find("c=IN IP4 198.18.1.1\r\n"), std::string::npos) << ans.sdp;
  EXPECT_EQ(ans.sdp.find("198.18.2."), std::string::npos) << "nothing of B reaches A";
  auto a_first = sip::SdpSession::parse(sig.a_sdp[a]);
  auto a_now = sip::SdpSession::parse(ans.sdp);
  ASSERT_TRUE(a_first && a_now);
  EXPECT_EQ(a_now->streams()[0].port, a_first->streams()[0].port);
  EXPECT_EQ(dp.calls().back().kind, dataplane::FakeDataplane::Call::Kind::update);
  EXPECT_TRUE(b2bua->calls()[0]->on_hold());
  EXPECT_FALSE(b2bua->calls()[0]->offer_pending());

  // On hold, one-way or no media is what was agreed: the call stays.
  dataplane::DataplaneEvent e;
  e.type = dataplane::EventType::one_way;
  e.session = *b2bua->calls()[0]->media();
  b2bua->on_dataplane_event(e);
  e.type = dataplane::EventType::media_idle;
  b2bua->on_dataplane_event(e);
  EXPECT_EQ(b2bua->active_calls(), 1u);
  EXPECT_FALSE(sig.saw("bye " + std::to_string(a)));

  // Resume: sendrecv again, and silence ends the call again.
  b2bua->on_offer(a, 901, OfferMethod::reinvite, offer_sdp());
  ASSERT_EQ(sig.offers.size(), 2u);
  EXPECT_NE(sig.offers[1].sdp.find("a=sendrecv"), std::string::npos) << sig.offers[1].sdp;
  b2bua->on_offer_response(sig.offers[1].id, 200, carrier_answer("198.18.2.10", "sendrecv"));
  EXPECT_EQ(sig.answers[901].status, 200);
  EXPECT_FALSE(b2bua->calls()[0]->on_hold());
  b2bua->on_dataplane_event(e);
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(records.at(0).ended_by, "media_idle");
}

TEST_F(B2buaTest, OriginVersionGrowsWithEveryOfferToASide) {
  auto [a, b] = established();
  (void)b;
  b2bua->on_offer(a, 900, OfferMethod::reinvite, hold_offer());
  auto first = sip::SdpSession::parse(sig.invites[0].sdp);
  ASSERT_TRUE(first);
  // o=sbc <id> <version>: the version the carrier sees never goes back.
  auto version = [](const std::string& sdp) {
    auto o = sdp.find("o=sbc ");
    std::istringstream in(sdp.substr(o + 6));
    uint64_t id = 0, v = 0;
    in >> id >> v;
    return v;
  };
  EXPECT_GT(version(sig.offers[0].sdp), version(sig.invites[0].sdp));
}

TEST_F(B2buaTest, ReInviteFromTheCalleeWithANewAddressRelatches) {
  auto [a, b] = established();
  EXPECT_EQ(last_media_spec().b.remote_ip.to_string(), "198.18.2.10");
  std::string moved =
      "v=0\r\no=carrier 7 9 IN IP4 198.18.2.11\r\ns=-\r\nc=IN IP4 198.18.2.11\r\n"
      "t=0 0\r\nm=audio 50002 RTP/AVP 0 101\r\na=rtpmap:101 "
      "telephone-event/8000\r\na=sendrecv\r\n";
  b2bua->on_offer(b, 950, OfferMethod::reinvite, moved);
  ASSERT_EQ(sig.offers.size(), 1u);
  EXPECT_EQ(sig.offers[0].dialog, a);
  EXPECT_EQ(sig.offers[0].sdp.find("198.18.2."), std::string::npos) << sig.offers[0].sdp;
  EXPECT_NE(sig.offers[0].sdp.find("c=IN IP4 198.18.1.1\r\n"), std::string::npos);
  b2bua->on_offer_response(sig.offers[0].id, 200,
                           with(offer_sdp("198.18.1.10", "0 101"), "o=pbx 1 1", "o=pbx 1 2"));
  EXPECT_EQ(sig.answers[950].status, 200);
  EXPECT_NE(sig.answers[950].sdp.find("c=IN IP4 198.18.2.1\r\n"), std::string::npos);
  // The dataplane has the callee's new remote (a new remote clears the latch there).
  EXPECT_EQ(last_media_spec().b.remote_ip.to_string(), "198.18.2.11");
  EXPECT_EQ(last_media_spec().b.remote_port, 50002);
  EXPECT_EQ(last_media_spec().a.remote_ip.to_string(), "198.18.1.10");
  EXPECT_EQ(last_media_spec().a.remote_port, 40000);
}

TEST_F(B2buaTest, AReInviteRecomputesTheBandwidthBudget) {
  auto [a, b] = established();
  EXPECT_EQ(last_media_spec().byte_rate, 20'000u);  // PCMA at ptime 20 (media_budget.h)
  // The carrier re-offers at 16 kbit/s of payload (b=TIAS).
  std::string narrow = with(with(answer_sdp("198.18.2.10"), "o=carrier 7 7", "o=carrier 7 8"),
                            "t=0 0\r\n", "b=TIAS:16000\r\nt=0 0\r\n");
  b2bua->on_offer(b, 960, OfferMethod::reinvite, narrow);
  ASSERT_EQ(sig.offers.size(), 1u);
  b2bua->on_offer_response(sig.offers[0].id, 200, offer_sdp());
  EXPECT_EQ(sig.answers[960].status, 200);
  EXPECT_EQ(last_media_spec().byte_rate, 2u * (2'000 + 40 * 50));
  EXPECT_EQ(last_media_spec().packet_rate, 100u);
}

TEST_F(B2buaTest, HoldWithAZeroAddressKeepsThePinholesRemote) {
  auto [a, b] = established();
  (void)b;
  std::string zero = with(offer_sdp(), "c=IN IP4 198.18.1.10", "c=IN IP4 0.0.0.0");
  b2bua->on_offer(a, 900, OfferMethod::reinvite, zero);
  ASSERT_EQ(sig.offers.size(), 1u);
  EXPECT_NE(sig.offers[0].sdp.find("c=IN IP4 0.0.0.0"), std::string::npos)
      << "hold the RFC 2543 way reaches the callee as such" << sig.offers[0].sdp;
  b2bua->on_offer_response(sig.offers[0].id, 200, carrier_answer("198.18.2.10", "sendrecv"));
  EXPECT_EQ(sig.answers[900].status, 200);
  EXPECT_EQ(last_media_spec().a.remote_ip.to_string(), "198.18.1.10");
  EXPECT_EQ(last_media_spec().a.remote_port, 40000);
  EXPECT_TRUE(b2bua->calls()[0]->on_hold());
}

TEST_F(B2buaTest, UpdateIsRelayedAsUpdate) {
  auto [a, b] = established();
  b2bua->on_offer(b, 960, OfferMethod::update, carrier_answer("198.18.2.10", "sendonly"));
  ASSERT_EQ(sig.offers.size(), 1u);
  EXPECT_EQ(sig.offers[0].method, OfferMethod::update);
  EXPECT_EQ(sig.offers[0].dialog, a);
  b2bua->on_offer_response(sig.offers[0].id, 200, with(offer_sdp(), "a=sendrecv", "a=recvonly"));
  EXPECT_EQ(sig.answers[960].status, 200);
  EXPECT_NE(sig.answers[960].sdp.find("a=recvonly"), std::string::npos);
}

TEST_F(B2buaTest, GlareIs491BothWays) {
  auto [a, b] = established();
  b2bua->on_offer(a, 900, OfferMethod::reinvite, hold_offer());
  // The callee offers while the caller's offer is in flight: 491 to it.
  b2bua->on_offer(b, 901, OfferMethod::reinvite, carrier_answer("198.18.2.10", "sendonly"));
  EXPECT_EQ(sig.answers[901].status, 491);
  EXPECT_EQ(sig.offers.size(), 1u);
  // The callee's UA saw glare too and answers ours 491: passed back as it is.
  b2bua->on_offer_response(sig.offers[0].id, 491, "");
  EXPECT_EQ(sig.answers[900].status, 491);
  EXPECT_EQ(b2bua->active_calls(), 1u);
  EXPECT_FALSE(b2bua->calls()[0]->on_hold()) << "a refused offer changes nothing";
  // Later, the retry goes through.
  b2bua->on_offer(a, 902, OfferMethod::reinvite, hold_offer());
  EXPECT_EQ(sig.offers.size(), 2u);
}

TEST_F(B2buaTest, ReInviteWithoutSdpTheOfferComesBackInThe200AndTheAnswerInTheAck) {
  auto [a, b] = established();
  b2bua->on_offer(a, 900, OfferMethod::reinvite, "");
  ASSERT_EQ(sig.offers.size(), 1u);
  EXPECT_EQ(sig.offers[0].dialog, b);
  EXPECT_TRUE(sig.offers[0].sdp.empty()) << "relayed as a late offer";
  // The callee's 2xx brings an offer (from a new port): to the caller in our 200.
  b2bua->on_offer_response(sig.offers[0].id, 200, carrier_answer("198.18.2.11", "sendrecv", 50004));
  ASSERT_EQ(sig.answers[900].status, 200);
  const std::string& to_a = sig.answers[900].sdp;
  EXPECT_NE(to_a.find("c=IN IP4 198.18.1.1\r\n"), std::string::npos) << to_a;
  EXPECT_EQ(to_a.find("198.18.2."), std::string::npos) << to_a;
  EXPECT_TRUE(sig.offer_acks.empty()) << "our ACK waits for the caller's answer";
  EXPECT_EQ(last_media_spec().b.remote_ip.to_string(), "198.18.2.11");
  // Another offer meanwhile is glare.
  b2bua->on_offer(b, 901, OfferMethod::reinvite, carrier_answer("198.18.2.10", "sendonly"));
  EXPECT_EQ(sig.answers[901].status, 491);
  // The caller's ACK brings the answer: anchored for the callee, in our ACK.
  b2bua->on_a_ack(a, with(offer_sdp("198.18.1.10", "8 101"), "a=sendrecv", "a=recvonly"));
  ASSERT_TRUE(sig.offer_acks.count(sig.offers[0].id));
  const std::string& to_b = sig.offer_acks[sig.offers[0].id];
  EXPECT_NE(to_b.find("c=IN IP4 198.18.2.1\r\n"), std::string::npos) << to_b;
  EXPECT_NE(to_b.find("a=recvonly"), std::string::npos) << to_b;
  EXPECT_EQ(to_b.find("198.18.1."), std::string::npos) << to_b;
  EXPECT_TRUE(b2bua->calls()[0]->on_hold());
  EXPECT_FALSE(b2bua->calls()[0]->offer_pending());
  EXPECT_EQ(b2bua->active_calls(), 1u);
}

TEST_F(B2buaTest, ReInviteWithoutSdpFromTheCalleeAnsweredInItsAck) {
  auto [a, b] = established();
  b2bua->on_offer(b, 900, OfferMethod::reinvite, "");
  ASSERT_EQ(sig.offers.size(), 1u);
  EXPECT_EQ(sig.offers[0].dialog, a);
  b2bua->on_offer_response(sig.offers[0].id, 200, offer_sdp("198.18.1.10", "8 101"));
  ASSERT_EQ(sig.answers[900].status, 200);
  EXPECT_NE(sig.answers[900].sdp.find("c=IN IP4 198.18.2.1\r\n"), std::string::npos);
  b2bua->on_b_ack(b, carrier_answer("198.18.2.10", "sendrecv"));
  ASSERT_TRUE(sig.offer_acks.count(sig.offers[0].id));
  EXPECT_NE(sig.offer_acks[sig.offers[0].id].find("c=IN IP4 198.18.1.1\r\n"), std::string::npos);
}

TEST_F(B2buaTest, ReInviteWithoutSdpAndAnAckWithoutAnswerEndsTheCall) {
  auto [a, b] = established();
  b2bua->on_offer(a, 900, OfferMethod::reinvite, "");
  b2bua->on_offer_response(sig.offers[0].id, 200, carrier_answer("198.18.2.10", "sendrecv"));
  b2bua->on_a_ack(a, "");
  EXPECT_TRUE(sig.offer_acks.count(sig.offers[0].id)) << "the callee's 2xx is ACKed first";
  EXPECT_TRUE(sig.saw("bye " + std::to_string(a)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(B2buaTest, ReInviteWithoutSdpNeverAckedEndsTheCall) {
  auto [a, b] = established();
  b2bua->on_offer(a, 900, OfferMethod::reinvite, "");
  b2bua->on_offer_response(sig.offers[0].id, 200, carrier_answer("198.18.2.10", "sendrecv"));
  timers.advance(settings.ack_timeout);
  EXPECT_TRUE(sig.offer_acks.count(sig.offers[0].id));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

TEST_F(B2buaTest, UpdateWithoutSdpIsRefused) {
  auto [a, b] = established();
  (void)b;
  b2bua->on_offer(a, 900, OfferMethod::update, "");
  EXPECT_EQ(sig.answers[900].status, 488);
  EXPECT_TRUE(sig.offers.empty());
}

TEST_F(B2buaTest, OffersBeforeTheCallIsEstablishedAre491) {
  SipHandle a = dial("0301234");
  b2bua->on_b_response(sig.invites[0].handle, 180, "");
  b2bua->on_offer(a, 900, OfferMethod::update, hold_offer());
  EXPECT_EQ(sig.answers[900].status, 491);
  // An offer in a dialog the SBC does not know: 481.
  b2bua->on_offer(777, 901, OfferMethod::reinvite, hold_offer());
  EXPECT_EQ(sig.answers[901].status, 481);
}

TEST_F(B2buaTest, AnAddedStreamGetsPortsAndARefusalGivesThemBack) {
  auto [a, b] = established();
  (void)b;
  std::string second = offer_sdp() + "m=audio 40002 RTP/AVP 8\r\n";
  b2bua->on_offer(a, 900, OfferMethod::reinvite, second);
  ASSERT_EQ(sig.offers.size(), 1u);
  auto relayed = sip::SdpSession::parse(sig.offers[0].sdp);
  ASSERT_TRUE(relayed);
  ASSERT_EQ(relayed->streams().size(), 2u);
  EXPECT_NE(relayed->streams()[1].port, 0);
  EXPECT_NE(relayed->streams()[1].port, relayed->streams()[0].port);
  EXPECT_EQ(dp.calls().back().spec.streams.size(), 2u);
  b2bua->on_offer_response(sig.offers[0].id, 488, "");
  EXPECT_EQ(sig.answers[900].status, 488);
  EXPECT_EQ(dp.calls().back().spec.streams.size(), 1u) << "the new stream's ports are given back";
  // An offer that drops an m= line breaks RFC 3264: refused, nothing relayed.
  b2bua->on_offer(a, 901, OfferMethod::reinvite,
                  "v=0\r\no=pbx 1 3 IN IP4 198.18.1.10\r\ns=-\r\nt=0 0\r\n");
  EXPECT_EQ(sig.answers[901].status, 488);
  EXPECT_EQ(sig.offers.size(), 1u);
}

TEST_F(B2buaTest, AByeWhileAnOfferIsInFlightAnswersIt487) {
  auto [a, b] = established();
  b2bua->on_offer(a, 900, OfferMethod::reinvite, hold_offer());
  b2bua->on_bye(b);
  EXPECT_EQ(sig.answers[900].status, 487);
  EXPECT_EQ(b2bua->active_calls(), 0u);
  // Its late answer finds nothing and changes nothing.
  b2bua->on_offer_response(sig.offers[0].id, 200, carrier_answer("198.18.2.10", "recvonly"));
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(B2buaTest, An481ToARelayedOfferEndsTheCall) {
  auto [a, b] = established();
  b2bua->on_offer(a, 900, OfferMethod::reinvite, hold_offer());
  b2bua->on_offer_response(sig.offers[0].id, 481, "");
  EXPECT_EQ(sig.answers[900].status, 481);
  EXPECT_TRUE(sig.saw("bye " + std::to_string(a)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(B2buaTest, AnUnusableAnswerLeavesTheMediaAsItWas) {
  auto [a, b] = established();
  (void)b;
  size_t updates = dp.calls().size();
  b2bua->on_offer(a, 900, OfferMethod::reinvite, hold_offer());
  b2bua->on_offer_response(sig.offers[0].id, 200, "garbage");
  EXPECT_EQ(sig.answers[900].status, 488);
  EXPECT_FALSE(sig.answers[900].warning.empty());
  EXPECT_EQ(dp.calls().size(), updates) << "no dataplane change";
  EXPECT_EQ(b2bua->active_calls(), 1u);
}

TEST_F(B2buaTest, AStreamNoPeerCanCarryIsDeclinedAlone) {
  auto [a, b] = established();
  (void)b;
  std::string video = offer_sdp() + "m=video 40002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  b2bua->on_offer(a, 900, OfferMethod::reinvite, video);
  ASSERT_EQ(sig.offers.size(), 1u);
  auto relayed = sip::SdpSession::parse(sig.offers[0].sdp);
  ASSERT_TRUE(relayed);
  ASSERT_EQ(relayed->streams().size(), 2u);
  EXPECT_NE(relayed->streams()[0].port, 0);
  EXPECT_EQ(relayed->streams()[1].port, 0) << "H264 is not in the PBX's codecs";
}

// ---------------------------------------------------------------- drain

TEST_F(B2buaTest, DrainingRefusesNewCallsAndLetsCurrentOnesEnd) {
  auto [a, b] = established();
  b2bua->set_draining(true, 120);
  EXPECT_TRUE(b2bua->draining());
  SipHandle refused = dial("0305555");
  EXPECT_TRUE(sig.saw("reject_a " + std::to_string(refused) + " 503 retry"));
  EXPECT_EQ(sig.invites.size(), 1u) << "no attempt for a new call";
  EXPECT_EQ(b2bua->counters().refused_draining, 1u);
  // The call in progress goes on: a hold still works, the BYE ends it.
  b2bua->on_offer(a, 900, OfferMethod::reinvite, hold_offer());
  EXPECT_EQ(sig.offers.size(), 1u);
  b2bua->on_offer_response(sig.offers[0].id, 200, carrier_answer("198.18.2.10", "recvonly"));
  b2bua->on_bye(b);
  EXPECT_EQ(b2bua->active_calls(), 0u);
  // Emergency calls are still placed.
  dial("112");
  EXPECT_EQ(sig.invites.size(), 2u);
  EXPECT_EQ(sig.invites[1].peer, "carrier-b");
  // Resumed: calls are taken again.
  b2bua->set_draining(false);
  dial("0306666");
  EXPECT_EQ(sig.invites.size(), 3u);
}

// ---------------------------------------------------------------- 3xx

TEST_F(B2buaTest, ARedirectIsNotFollowedButMovesToTheNextCandidate) {
  SipHandle a = dial("0301234");
  b2bua->on_b_response(sig.invites[0].handle, 302, "");
  ASSERT_EQ(sig.invites.size(), 2u) << "the next candidate, not the redirect's Contact";
  EXPECT_EQ(sig.invites[1].peer, "carrier-b");
  b2bua->on_b_response(sig.invites[1].handle, 301, "");
  EXPECT_TRUE(sig.saw("reject_a " + std::to_string(a) + " 480"));
  EXPECT_EQ(records.at(0).attempts, (std::vector<std::string>{"carrier-a:302", "carrier-b:301"}));
  EXPECT_EQ(dp.open_sessions(), 0u);
}

// ---------------------------------------------------------------- late offer

TEST_F(B2buaTest, LateOfferTheCalleesOfferGoesInThe200AndTheCallersAnswerInTheAck) {
  SipHandle a = dial("0301234", "");
  ASSERT_EQ(sig.invites.size(), 1u);
  EXPECT_TRUE(sig.invites[0].sdp.empty()) << "passed on as a late offer";
  EXPECT_EQ(dp.open_sessions(), 0u) << "no media before an offer";
  SipHandle b = sig.invites[0].handle;
  b2bua->on_b_response(b, 180, "");
  EXPECT_TRUE(sig.saw("provisional_a 1 180"));
  // The callee's offer (G.711 A-law, PCMU and DTMF) comes in its 200.
  b2bua->on_b_response(b, 200, offer_sdp("198.18.2.10", "8 0 101"));
  EXPECT_FALSE(sig.saw("ack_b " + std::to_string(b))) << "our ACK waits for the caller's answer";
  EXPECT_TRUE(sig.saw("answer_a 1"));
  ASSERT_EQ(dp.open_sessions(), 1u);
  EXPECT_EQ(last_media_spec().b.remote_ip.to_string(), "198.18.2.10");
  EXPECT_EQ(last_media_spec().b.remote_port, 40000);
  const std::string& to_a = sig.a_sdp[a];
  EXPECT_NE(to_a.find("c=IN IP4 198.18.1.1\r\n"), std::string::npos) << to_a;
  EXPECT_EQ(to_a.find("198.18.2."), std::string::npos) << to_a;

  // The caller's answer comes in its ACK: anchored for the callee, media completed.
  b2bua->on_a_ack(a, answer_sdp("198.18.1.10"));
  ASSERT_TRUE(sig.saw("ack_b " + std::to_string(b)));
  const std::string& to_b = sig.ack_sdp[b];
  EXPECT_NE(to_b.find("c=IN IP4 198.18.2.1\r\n"), std::string::npos) << to_b;
  EXPECT_EQ(to_b.find("198.18.1."), std::string::npos) << to_b;
  EXPECT_EQ(last_media_spec().a.remote_ip.to_string(), "198.18.1.10");
  EXPECT_EQ(last_media_spec().a.remote_port, 50000);
  EXPECT_EQ(b2bua->calls().at(0)->state(), Call::State::established);
  // The SBC's ports in the 200 to A and in the ACK to B are the pinhole's two sides.
  auto a_side = sip::SdpSession::parse(to_a);
  auto b_side = sip::SdpSession::parse(to_b);
  ASSERT_TRUE(a_side && b_side);
  EXPECT_NE(a_side->streams()[0].port, b_side->streams()[0].port);
  b2bua->on_bye(a);
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(B2buaTest, LateOfferWithoutAnAnswerInTheAckHangsUpBoth) {
  SipHandle a = dial("0301234", "");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 200, offer_sdp("198.18.2.10", "8 0 101"));
  b2bua->on_a_ack(a, "");
  EXPECT_TRUE(sig.saw("ack_b " + std::to_string(b))) << "ACKed before its BYE";
  EXPECT_TRUE(sig.saw("bye " + std::to_string(a)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(dp.open_sessions(), 0u);
  EXPECT_EQ(records.at(0).final_status, 488);
}

TEST_F(B2buaTest, LateOfferTheCalleeCannotMakeAnAcceptableOffer) {
  SipHandle a = dial("0301234", "");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 200, offer_sdp("198.18.2.10", "18"));  // G729 only: not for the PBX
  EXPECT_TRUE(sig.saw("ack_b " + std::to_string(b)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_TRUE(sig.saw("reject_a " + std::to_string(a) + " 502"));
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(B2buaTest, LateOfferNeverAckedIsAckedAndHungUp) {
  SipHandle a = dial("0301234", "");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 200, offer_sdp("198.18.2.10", "8 0 101"));
  timers.advance(settings.ack_timeout);
  EXPECT_TRUE(sig.saw("ack_b " + std::to_string(b)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(a)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

// ---------------------------------------------------------------- identity (RFC 3325)

TEST_F(B2buaTest, AssertedIdentityFromATrustedTrunkGoesToATrustedTrunk) {
  InboundCall in{1, "access", *Ipv4Address::parse("198.18.1.10"), "0301", "6001", offer_sdp()};
  in.identity = {"<sip:+493055501@pbx.example>", "id", false};
  b2bua->on_invite(in, "", false);
  ASSERT_EQ(sig.invites.size(), 1u);
  EXPECT_EQ(sig.invites[0].asserted_identity, "<sip:+493055501@pbx.example>");
  EXPECT_EQ(sig.invites[0].privacy, "id");
  EXPECT_EQ(sig.invites[0].caller, "6001") << "the trust domain applies the privacy";
}

TEST_F(B2buaTest, APhonesOwnAssertedIdentityIsReplacedByTheVerifiedOne) {
  InboundCall in{1, "access", *Ipv4Address::parse("198.18.1.50"), "0301", "alice", offer_sdp()};
  in.identity = {"<sip:+4930999@forged>", "", false};
  b2bua->on_invite(in, "alice", true);
  ASSERT_EQ(sig.invites.size(), 1u);
  EXPECT_EQ(sig.invites[0].asserted_identity, "<sip:alice@198.18.2.1>");
}

TEST_F(B2buaTest, NoAssertedIdentityTowardAPhoneAndPrivacyHidesTheCaller) {
  InboundCall in{1,      "core",       *Ipv4Address::parse("198.18.2.10"),
                 "6001", "+493012345", offer_sdp("198.18.2.10")};
  in.identity = {"<sip:+493012345@carrier>", "id", false};
  b2bua->on_invite(in, "", false);
  ASSERT_EQ(sig.invites.size(), 1u);
  EXPECT_EQ(sig.invites[0].peer, "alice");
  EXPECT_TRUE(sig.invites[0].asserted_identity.empty());
  EXPECT_EQ(sig.invites[0].caller, "anonymous");
  in.a = 2;
  in.source = *Ipv4Address::parse("198.18.2.20");  // carrier-b: carrier-a's one channel is taken
  in.identity = {"<sip:+493012345@carrier>", "", false};
  b2bua->on_invite(in, "", false);
  ASSERT_EQ(sig.invites.size(), 2u);
  EXPECT_TRUE(sig.invites[1].asserted_identity.empty());
  EXPECT_EQ(sig.invites[1].caller, "+493012345");
}

// ---------------------------------------------------------------- failover timer

TEST_F(B2buaTest, TheFailoverTimeoutComesFromTheCallsPolicyUnlessOverridden) {
  auto loaded =
      policy::load_policy_text(std::string(kPolicy) + "timers: {failover: 700ms}\n", "test.yaml");
  ASSERT_TRUE(loaded.policy);
  policy = loaded.policy;
  settings.no_provisional_timeout.reset();
  b2bua = std::make_unique<B2bua>(
      sig, dp, admission, timers, clock, settings, [this] { return policy; }, facts);
  dial("0301234");
  ASSERT_EQ(sig.invites.size(), 1u);
  timers.advance(std::chrono::milliseconds(600));
  EXPECT_EQ(sig.invites.size(), 1u);
  timers.advance(std::chrono::milliseconds(100));
  ASSERT_EQ(sig.invites.size(), 2u) << "carrier-a given up after the policy's 700 ms";
  EXPECT_EQ(sig.invites[1].peer, "carrier-b");
}

// A forking callee: every early dialog rings the caller; a provisional that
// comes after the answer (another fork still ringing) changes nothing.
TEST_F(B2buaTest, AProvisionalAfterTheAnswerChangesNothing) {
  auto [a, b] = established();
  const size_t provisionals = std::count_if(sig.log.begin(), sig.log.end(), [](const auto& l) {
    return l.rfind("provisional_a", 0) == 0;
  });
  b2bua->on_b_response(b, 180, "");
  b2bua->on_b_response(b, 183, answer_sdp("198.18.2.99"));
  EXPECT_EQ(std::count_if(sig.log.begin(), sig.log.end(),
                          [](const auto& l) { return l.rfind("provisional_a", 0) == 0; }),
            static_cast<long>(provisionals));
  ASSERT_EQ(b2bua->calls().size(), 1u);
  EXPECT_EQ(b2bua->calls()[0]->state(), Call::State::established);
  EXPECT_EQ(last_media_spec().b.remote_ip.to_string(), "198.18.2.10") << "no fork's early media";
  b2bua->on_bye(a);
  EXPECT_EQ(b2bua->active_calls(), 0u);
}

// ---------------------------------------------------------------- session timers (RFC 4028)

namespace {

sip::SessionTimerHeaders timer_headers(uint32_t expires, sip::Refresher r, bool supported = true,
                                       uint32_t min_se = 0) {
  sip::SessionTimerHeaders h;
  h.expires = expires;
  h.refresher = r;
  h.supported = supported;
  h.min_se = min_se;
  return h;
}

}  // namespace

class SessionTimerTest : public B2buaTest {
 protected:
  // The PBX calls carrier-a with these session timer headers; carrier-a
  // answers with `ok`. Returns {A, B}, established.
  std::pair<SipHandle, SipHandle> call(const sip::SessionTimerHeaders& invite,
                                       const sip::SessionTimerHeaders& ok) {
    SipHandle a = next_a++;
    InboundCall in{a, "access", *Ipv4Address::parse("198.18.1.10"), "0301234", "6001", offer_sdp()};
    in.session_timer = invite;
    b2bua->on_invite(in, "", false);
    SipHandle b = sig.invites.back().handle;
    b2bua->on_b_response(b, 200, answer_sdp("198.18.2.10"), ok);
    b2bua->on_a_ack(a);
    return {a, b};
  }
  void advance_s(int s) { timers.advance(std::chrono::seconds(s)); }
};

TEST_F(SessionTimerTest, TheCallersLegExpiresWithoutARefreshAndBothLegsAreHungUp) {
  auto [a, b] = call(timer_headers(120, sip::Refresher::uac), {});
  // The caller refreshes every 120 s; the callee said nothing: no timer there.
  EXPECT_EQ(sig.session[a], (LegSessionTimer{120, false}));
  EXPECT_FALSE(sig.session[b].active());
  advance_s(87);  // the caller's UPDATE before the expiry (120 s less 32 s)
  b2bua->on_session_refresh(a);
  advance_s(87);
  EXPECT_EQ(b2bua->active_calls(), 1u) << "the refresh moved the expiry on";
  EXPECT_TRUE(sig.refreshes.empty()) << "the caller is the refresher, not the SBC";
  advance_s(1);
  EXPECT_TRUE(sig.saw("bye " + std::to_string(a)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(dp.open_sessions(), 0u) << "media released";
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].ended_by, "session_timer");
  EXPECT_EQ(records[0].final_status, 200);
}

TEST_F(SessionTimerTest, ARelayedReInviteRefreshesBothLegs) {
  auto [a, b] =
      call(timer_headers(120, sip::Refresher::uac), timer_headers(100, sip::Refresher::uas));
  EXPECT_EQ(sig.session[b], (LegSessionTimer{100, false}));
  advance_s(60);
  b2bua->on_offer(a, 900, OfferMethod::reinvite, offer_sdp());
  ASSERT_EQ(sig.offers.size(), 1u);
  b2bua->on_offer_response(sig.offers[0].id, 200, answer_sdp("198.18.2.10"));
  EXPECT_EQ(sig.answers[900].status, 200);
  advance_s(
      67);  // past the first expiries (68 s for the callee, 88 s for the caller) from the start
  EXPECT_EQ(b2bua->active_calls(), 1u);
  advance_s(1);  // 68 s after the refresh: the callee's leg expires
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(records.at(0).ended_by, "session_timer");
}

TEST_F(SessionTimerTest, AFailedReInviteRefreshesNothing) {
  auto [a, b] = call(timer_headers(120, sip::Refresher::uac), {});
  advance_s(60);
  b2bua->on_offer(a, 900, OfferMethod::reinvite, offer_sdp());
  b2bua->on_offer_response(sig.offers.at(0).id, 488, "");
  advance_s(28);
  EXPECT_EQ(b2bua->active_calls(), 0u) << "expired 88 s after the answer";
}

TEST_F(SessionTimerTest, ARefreshDueDuringAFailedOfferIsStillSent) {
  auto [a, b] = call({}, timer_headers(90, sip::Refresher::uac));
  advance_s(44);
  b2bua->on_offer(a, 900, OfferMethod::reinvite, offer_sdp());  // in flight at 45 s
  advance_s(1);
  EXPECT_TRUE(sig.refreshes.empty()) << "the offer would refresh both legs";
  b2bua->on_offer_response(sig.offers.at(0).id, 488, "");  // it did not
  advance_s(6);  // a retry within the interval's sixteenth (5.6 s)
  ASSERT_EQ(sig.refreshes.size(), 1u);
  EXPECT_EQ(sig.refreshes[0].dialog, b);
  b2bua->on_refresh_response(sig.refreshes[0].id, 200);
  advance_s(50);  // past the 60 s expiry the failed offer would have left
  EXPECT_EQ(b2bua->active_calls(), 1u);
  EXPECT_EQ(sig.refreshes.size(), 2u) << "and the next one half an interval later";
}

TEST_F(SessionTimerTest, TheSbcRefreshesACalleeThatAsksItTo) {
  auto [a, b] = call({}, timer_headers(90, sip::Refresher::uac));
  EXPECT_FALSE(sig.session[a].active()) << "the caller knows no timers: none on its leg";
  EXPECT_EQ(sig.session[b], (LegSessionTimer{90, true}));
  advance_s(44);
  EXPECT_TRUE(sig.refreshes.empty());
  advance_s(1);
  ASSERT_EQ(sig.refreshes.size(), 1u);
  EXPECT_EQ(sig.refreshes[0].dialog, b);
  b2bua->on_refresh_response(sig.refreshes[0].id, 200);
  advance_s(45);
  ASSERT_EQ(sig.refreshes.size(), 2u) << "refreshed every half interval";
  EXPECT_EQ(b2bua->active_calls(), 1u);
  // The callee has lost the dialog: the call ends on both legs.
  b2bua->on_refresh_response(sig.refreshes[1].id, 481);
  EXPECT_TRUE(sig.saw("bye " + std::to_string(a)));
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(records.at(0).ended_by, "session_timer");
}

TEST_F(SessionTimerTest, ACalleeThatRefusesUpdateIsRefreshedWithReInvites) {
  SipHandle b = call({}, timer_headers(90, sip::Refresher::uac)).second;
  advance_s(45);
  ASSERT_EQ(sig.refreshes.size(), 1u);
  EXPECT_TRUE(sig.refreshes[0].sdp.empty()) << "an UPDATE first";
  b2bua->on_refresh_response(sig.refreshes[0].id, 501);
  ASSERT_EQ(sig.refreshes.size(), 2u) << "at once, as a re-INVITE";
  EXPECT_EQ(sig.refreshes[1].dialog, b);
  EXPECT_EQ(sig.refreshes[1].sdp, sig.invites.at(0).sdp) << "the session it has, unchanged";
  b2bua->on_refresh_response(sig.refreshes[1].id, 200);
  advance_s(45);
  ASSERT_EQ(sig.refreshes.size(), 3u);
  EXPECT_EQ(sig.refreshes[2].sdp, sig.invites.at(0).sdp) << "re-INVITEs from now on";
  b2bua->on_refresh_response(sig.refreshes[2].id, 200);
  EXPECT_EQ(b2bua->active_calls(), 1u);
}

TEST_F(SessionTimerTest, ARefusedRefreshLeavesTheExpiryToDecide) {
  SipHandle b = call({}, timer_headers(90, sip::Refresher::uac)).second;
  advance_s(45);
  ASSERT_EQ(sig.refreshes.size(), 1u);
  EXPECT_EQ(sig.refreshes[0].dialog, b);
  b2bua->on_refresh_response(sig.refreshes[0].id, 403);
  EXPECT_EQ(sig.refreshes.size(), 1u);
  EXPECT_EQ(b2bua->active_calls(), 1u);
  advance_s(15);  // 60 s: 90 s less 30 s
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(records.at(0).ended_by, "session_timer");
}

TEST_F(SessionTimerTest, NoTimerOnEitherLegNoTeardown) {
  call({}, {});
  timers.advance(std::chrono::hours(3));
  EXPECT_EQ(b2bua->active_calls(), 1u);
  EXPECT_TRUE(sig.refreshes.empty());
}

TEST_F(SessionTimerTest, TheCalleeIsAskedForThePolicysIntervalAndA422IsRetried) {
  SipHandle a = dial("0301234");
  ASSERT_EQ(sig.invites.size(), 1u);
  EXPECT_EQ(sig.invites[0].session_expires, 1800u);  // the policy's default
  EXPECT_EQ(sig.invites[0].min_se, 90u);
  b2bua->on_b_response(sig.invites[0].handle, 422, "", timer_headers(0, {}, false, 3600));
  ASSERT_EQ(sig.invites.size(), 2u);
  EXPECT_EQ(sig.invites[1].peer, "carrier-a") << "the same callee, asked again";
  EXPECT_EQ(sig.invites[1].session_expires, 3600u);
  EXPECT_EQ(sig.invites[1].min_se, 3600u);  // the 422's Min-SE (RFC 4028 7.4)
  EXPECT_FALSE(sig.saw("reject_a " + std::to_string(a) + " 422"));
  EXPECT_EQ(admission.channels_in_use(peer("carrier-a")), 1u);
  b2bua->on_b_response(sig.invites[1].handle, 200, answer_sdp("198.18.2.10"),
                       timer_headers(3600, sip::Refresher::uas));
  EXPECT_TRUE(sig.saw("answer_a " + std::to_string(a)));
  EXPECT_EQ(sig.session[sig.invites[1].handle], (LegSessionTimer{3600, false}));
}

TEST_F(SessionTimerTest, ASecond422IsNotRetriedAndFailsOverLikeA500) {
  SipHandle a = dial("0301234");
  b2bua->on_b_response(sig.invites[0].handle, 422, "", timer_headers(0, {}, false, 3600));
  b2bua->on_b_response(sig.invites[1].handle, 422, "", timer_headers(0, {}, false, 7200));
  ASSERT_EQ(sig.invites.size(), 3u);
  EXPECT_EQ(sig.invites[2].peer, "carrier-b");
  EXPECT_EQ(sig.invites[2].session_expires, 1800u) << "a new candidate starts from the policy";
  EXPECT_EQ(admission.channels_in_use(peer("carrier-a")), 0u);
  b2bua->on_b_response(sig.invites[2].handle, 503, "");
  EXPECT_TRUE(sig.saw("reject_a " + std::to_string(a) + " 503 retry"))
      << "never a 422 without Min-SE";
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].attempts,
            (std::vector<std::string>{"carrier-a:422", "carrier-a:500", "carrier-b:503"}));
}

TEST_F(SessionTimerTest, ACallerAskingForLessThanMinSeGets422WithIt) {
  SipHandle a = next_a++;
  InboundCall in{a, "access", *Ipv4Address::parse("198.18.1.10"), "0301234", "6001", offer_sdp()};
  in.session_timer = timer_headers(30, sip::Refresher::unspecified);
  b2bua->on_invite(in, "", false);
  EXPECT_TRUE(sig.saw("reject_a " + std::to_string(a) + " 422 min_se=90"));
  EXPECT_TRUE(sig.invites.empty());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].final_status, 422);
}

// The negotiation itself, per leg (controlplane/call_session_timer.h).
TEST(CallSessionTimer, CallerLegNegotiation) {
  policy::Timers t;  // 1800 s, Min-SE 90 s
  using sip::Refresher;
  // Shortened to the policy's, the caller refreshing as it asked.
  EXPECT_EQ(caller_leg(timer_headers(3600, Refresher::uac), t), (LegSessionTimer{1800, false}));
  // It asked the SBC to refresh.
  EXPECT_EQ(caller_leg(timer_headers(600, Refresher::uas), t), (LegSessionTimer{600, true}));
  // Supported: timer and nothing else: the policy's interval, the caller refreshes.
  EXPECT_EQ(caller_leg(timer_headers(0, Refresher::unspecified), t),
            (LegSessionTimer{1800, false}));
  // A Session-Expires without Supported: timer (a proxy added it): the SBC refreshes.
  EXPECT_EQ(caller_leg(timer_headers(600, Refresher::unspecified, false), t),
            (LegSessionTimer{600, true}));
  // Never below the caller's own Min-SE.
  EXPECT_EQ(caller_leg(timer_headers(0, Refresher::unspecified, true, 2400), t),
            (LegSessionTimer{2400, false}));
  EXPECT_FALSE(caller_leg({}, t).active());
  EXPECT_EQ(too_brief(timer_headers(89, Refresher::uac), t), 90u);
  EXPECT_EQ(too_brief(timer_headers(90, Refresher::uac), t), std::nullopt);
  EXPECT_EQ(too_brief({}, t), std::nullopt);
}

TEST(CallSessionTimer, CalleeLegAndTimes) {
  using sip::Refresher;
  EXPECT_EQ(callee_leg(timer_headers(300, Refresher::uas), 90), (LegSessionTimer{300, false}));
  EXPECT_EQ(callee_leg(timer_headers(300, Refresher::uac), 90), (LegSessionTimer{300, true}));
  EXPECT_EQ(callee_leg(timer_headers(300, Refresher::unspecified), 90),
            (LegSessionTimer{300, true}));
  EXPECT_FALSE(callee_leg({}, 90).active());
  // Below the Min-SE we sent (RFC 4028 9): held at it, no refresh storm.
  EXPECT_EQ(callee_leg(timer_headers(1, Refresher::uac), 90), (LegSessionTimer{90, true}));
  EXPECT_EQ(retry_interval(timer_headers(0, {}, false, 3600), 1800), 3600u);
  EXPECT_EQ(retry_interval(timer_headers(0, {}, false, 1800), 1800), std::nullopt);
  EXPECT_EQ(refresh_after(90), std::chrono::milliseconds(45000));
  EXPECT_EQ(expiry_after(90), std::chrono::milliseconds(60000));
  EXPECT_EQ(expiry_after(1800), std::chrono::milliseconds(1768000));
  EXPECT_EQ(expiry_after(3), std::chrono::milliseconds(2000));
  // Requests the SBC sends on a leg the peer refreshes say uas; its responses say uac.
  EXPECT_EQ(refresher_param({90, false}, true), Refresher::uas);
  EXPECT_EQ(refresher_param({90, false}, false), Refresher::uac);
  EXPECT_EQ(refresher_param({90, true}, true), Refresher::uac);
  EXPECT_EQ(refresher_param({90, true}, false), Refresher::uas);
}

// ---------------------------------------------------------------- 100rel / PRACK (RFC 3262)

class ReliableProvisionalTest : public B2buaTest {
 protected:
  // The PBX dials with Supported (or Require) 100rel.
  SipHandle dial_100rel(const std::string& number, std::string sdp = offer_sdp(),
                        bool required = false) {
    SipHandle a = next_a++;
    InboundCall in{a, "access", *Ipv4Address::parse("198.18.1.10"), number, "6001", std::move(sdp)};
    in.rel100 = {!required, required};
    b2bua->on_invite(in, "", false);
    return a;
  }
  SipHandle next_prack = 900;
};

TEST_F(ReliableProvisionalTest, TheCalleeIsOffered100relOnlyWhenTheCallerCanTakeIt) {
  dial("0301234");
  dial_100rel("0301235");
  ASSERT_EQ(sig.invites.size(), 2u);
  EXPECT_FALSE(sig.invites[0].offer_100rel);
  EXPECT_TRUE(sig.invites[1].offer_100rel);
}

TEST_F(ReliableProvisionalTest, AReliable183WithEarlyMediaAndItsPrackCrossEndToEnd) {
  SipHandle a = dial_100rel("0301234");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 183, answer_sdp("198.18.2.10"), {}, 7);
  // To the caller as a reliable 183 of the SBC's, the answer anchored on its leg.
  ASSERT_EQ(sig.reliables.size(), 1u);
  EXPECT_EQ(sig.reliables[0].status, 183);
  EXPECT_NE(sig.reliables[0].sdp.find("c=IN IP4 198.18.1.1\r\n"), std::string::npos);
  EXPECT_EQ(sig.reliables[0].sdp.find("198.18.2."), std::string::npos);
  EXPECT_FALSE(sig.saw("provisional_a 1 183")) << "not also sent unreliably";
  EXPECT_EQ(last_media_spec().b.remote_ip.to_string(), "198.18.2.10") << "early media anchored";
  EXPECT_TRUE(sig.pracks.empty()) << "the callee's PRACK waits for the caller's";

  // The caller's PRACK goes on as a PRACK of the callee's RSeq.
  SipHandle prack = next_prack++;
  b2bua->on_prack(a, prack, sig.reliables[0].id, "");
  ASSERT_EQ(sig.pracks.size(), 1u);
  EXPECT_EQ(sig.pracks[0].b, b);
  EXPECT_EQ(sig.pracks[0].rseq, 7u);
  EXPECT_TRUE(sig.pracks[0].sdp.empty());
  EXPECT_EQ(sig.prack_answers.count(prack), 0u) << "answered when the callee answers";
  b2bua->on_prack_response(sig.pracks[0].id, 200);
  EXPECT_EQ(sig.prack_answers[prack], 200);

  b2bua->on_b_response(b, 200, answer_sdp("198.18.2.10"));
  EXPECT_TRUE(sig.saw("answer_a 1"));
  b2bua->on_a_ack(a);
  EXPECT_EQ(b2bua->calls().at(0)->state(), Call::State::established);
}

TEST_F(ReliableProvisionalTest, TheCalleesAnswerToAPrackIsPassedBackAsItIs) {
  SipHandle a = dial_100rel("0301234");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 180, "", {}, 1);
  b2bua->on_prack(a, 900, sig.reliables.at(0).id, "");
  b2bua->on_prack_response(sig.pracks.at(0).id, 100);  // provisional: nothing yet
  EXPECT_EQ(sig.prack_answers.count(900), 0u);
  b2bua->on_prack_response(sig.pracks.at(0).id, 481);
  EXPECT_EQ(sig.prack_answers[900], 481);
}

TEST_F(ReliableProvisionalTest, UnreliableProvisionalResponsesStayAsTheyWere) {
  SipHandle a = dial_100rel("0301234");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 183, answer_sdp("198.18.2.10"));
  EXPECT_TRUE(sig.saw("provisional_a 1 183"));
  EXPECT_TRUE(sig.reliables.empty());
  EXPECT_NE(sig.a_sdp[a].find("c=IN IP4 198.18.1.1\r\n"), std::string::npos);
  EXPECT_TRUE(sig.pracks.empty());
}

TEST_F(ReliableProvisionalTest, ACalleeReliableTowardACallerWithout100relIsPrackedHere) {
  // Per leg: the callee sent 100rel unasked; the SBC acknowledges it and the
  // caller gets an ordinary 180.
  SipHandle a = dial("0301234");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 180, "", {}, 3);
  EXPECT_TRUE(sig.reliables.empty());
  EXPECT_TRUE(sig.saw("provisional_a " + std::to_string(a) + " 180"));
  ASSERT_EQ(sig.pracks.size(), 1u);
  EXPECT_EQ(sig.pracks[0].rseq, 3u);
  b2bua->on_prack_response(sig.pracks[0].id, 200);  // its answer concerns nobody
  EXPECT_TRUE(sig.prack_answers.empty());
}

TEST_F(ReliableProvisionalTest, LateOfferEarlyMediaTheOfferIn183AndTheAnswerInPrack) {
  SipHandle a = dial_100rel("0301234", "");
  SipHandle b = sig.invites.at(0).handle;
  EXPECT_TRUE(sig.invites[0].sdp.empty());
  // The callee's offer in a reliable 183 opens the media and reaches the caller anchored.
  b2bua->on_b_response(b, 183, offer_sdp("198.18.2.10", "8 0 101"), {}, 1);
  ASSERT_EQ(dp.open_sessions(), 1u);
  EXPECT_EQ(last_media_spec().b.remote_ip.to_string(), "198.18.2.10");
  ASSERT_EQ(sig.reliables.size(), 1u);
  const std::string to_a = sig.reliables[0].sdp;
  EXPECT_NE(to_a.find("c=IN IP4 198.18.1.1\r\n"), std::string::npos) << to_a;
  EXPECT_EQ(to_a.find("198.18.2."), std::string::npos) << to_a;

  // The caller's answer in its PRACK completes the media and reaches the callee anchored.
  b2bua->on_prack(a, 900, sig.reliables[0].id, answer_sdp("198.18.1.10"));
  ASSERT_EQ(sig.pracks.size(), 1u);
  const std::string to_b = sig.pracks[0].sdp;
  EXPECT_NE(to_b.find("c=IN IP4 198.18.2.1\r\n"), std::string::npos) << to_b;
  EXPECT_EQ(to_b.find("198.18.1."), std::string::npos) << to_b;
  EXPECT_EQ(last_media_spec().a.remote_ip.to_string(), "198.18.1.10");
  EXPECT_EQ(last_media_spec().a.remote_port, 50000);
  b2bua->on_prack_response(sig.pracks[0].id, 200);
  EXPECT_EQ(sig.prack_answers[900], 200);

  // The 200 opens nothing new: the callee is ACKed at once, the caller's
  // 200 repeats the session it has, and its ACK brings no answer.
  b2bua->on_b_response(b, 200, offer_sdp("198.18.2.10", "8 0 101"));
  EXPECT_TRUE(sig.saw("ack_b " + std::to_string(b)));
  EXPECT_TRUE(sig.ack_sdp[b].empty());
  EXPECT_TRUE(sig.saw("answer_a " + std::to_string(a)));
  EXPECT_EQ(sig.a_sdp[a], to_a);
  EXPECT_EQ(dp.open_sessions(), 1u);
  b2bua->on_a_ack(a);
  EXPECT_EQ(b2bua->calls().at(0)->state(), Call::State::established);
  EXPECT_EQ(std::count(sig.log.begin(), sig.log.end(), "ack_b " + std::to_string(b)), 1);
  b2bua->on_bye(a);
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(ReliableProvisionalTest, LateOfferAPrackWithoutAnAnswerEndsTheCall) {
  SipHandle a = dial_100rel("0301234", "");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 183, offer_sdp("198.18.2.10", "8 0 101"), {}, 1);
  b2bua->on_prack(a, 900, sig.reliables.at(0).id, "");
  EXPECT_EQ(sig.prack_answers[900], 488);
  EXPECT_TRUE(sig.pracks.empty());
  EXPECT_TRUE(sig.saw("cancel_b " + std::to_string(b)));
  EXPECT_TRUE(sig.saw("reject_a " + std::to_string(a) + " 488"));
  EXPECT_EQ(b2bua->active_calls(), 0u);
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(ReliableProvisionalTest, LateOfferInAnUnreliable183IsStillNotPassedOn) {
  SipHandle a = dial_100rel("0301234", "");
  b2bua->on_b_response(sig.invites.at(0).handle, 183, offer_sdp("198.18.2.10"));
  EXPECT_TRUE(sig.saw("provisional_a " + std::to_string(a) + " 183"));
  EXPECT_EQ(sig.a_sdp.count(a), 0u);
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(ReliableProvisionalTest, LateOfferTheCalleeAnswersBeforeItsEarlyOfferWasAnswered) {
  SipHandle a = dial_100rel("0301234", "");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 183, offer_sdp("198.18.2.10"), {}, 1);
  b2bua->on_b_response(b, 200, offer_sdp("198.18.2.10"));
  EXPECT_TRUE(sig.saw("ack_b " + std::to_string(b)));
  EXPECT_TRUE(sig.saw("bye " + std::to_string(b)));
  EXPECT_TRUE(sig.saw("reject_a " + std::to_string(a) + " 502"));
  EXPECT_EQ(dp.open_sessions(), 0u) << "the early media is not left behind";
}

TEST_F(ReliableProvisionalTest, AnEarlyOfferTheCallerCannotGetReliablyFailsThatCandidate) {
  sig.refuse_reliable = true;
  dial_100rel("0301234", "");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 183, offer_sdp("198.18.2.10"), {}, 1);
  EXPECT_TRUE(sig.saw("cancel_b " + std::to_string(b)));
  ASSERT_EQ(sig.invites.size(), 2u) << "the next candidate is tried";
  EXPECT_EQ(sig.invites[1].peer, "carrier-b");
  EXPECT_EQ(dp.open_sessions(), 0u);
}

TEST_F(ReliableProvisionalTest, APrackOfNoKnownResponseOrCallGets481) {
  SipHandle a = dial_100rel("0301234");
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 180, "", {}, 1);
  b2bua->on_prack(a, 900, 424242, "");
  EXPECT_EQ(sig.prack_answers[900], 481);
  // The same response PRACKed twice: the second finds nothing.
  b2bua->on_prack(a, 901, sig.reliables.at(0).id, "");
  b2bua->on_prack(a, 902, sig.reliables.at(0).id, "");
  EXPECT_EQ(sig.prack_answers[902], 481);
  EXPECT_EQ(sig.pracks.size(), 1u);
  // A call that is not (or no longer) there.
  b2bua->on_prack(77, 903, 1, "");
  EXPECT_EQ(sig.prack_answers[903], 481);
}

TEST_F(ReliableProvisionalTest, APrackForAnAttemptGivenUpIsAnsweredHere) {
  SipHandle a = dial_100rel("0301234");
  SipHandle b1 = sig.invites.at(0).handle;
  b2bua->on_b_response(b1, 180, "", {}, 1);
  b2bua->on_b_response(b1, 503, "");  // fails over to carrier-b
  ASSERT_EQ(sig.invites.size(), 2u);
  b2bua->on_prack(a, 900, sig.reliables.at(0).id, "");
  EXPECT_EQ(sig.prack_answers[900], 200);
  EXPECT_TRUE(sig.pracks.empty()) << "nobody to pass it to";
  // The next candidate's reliable 180 is relayed and PRACKed end to end.
  SipHandle b2 = sig.invites[1].handle;
  b2bua->on_b_response(b2, 180, "", {}, 5);
  ASSERT_EQ(sig.reliables.size(), 2u);
  b2bua->on_prack(a, 901, sig.reliables[1].id, "");
  ASSERT_EQ(sig.pracks.size(), 1u);
  EXPECT_EQ(sig.pracks[0].b, b2);
  EXPECT_EQ(sig.pracks[0].rseq, 5u);
}

TEST_F(ReliableProvisionalTest, ACallerThatRequires100relAlsoGetsTheCalleesUnreliable180) {
  // Per leg: the layer sends it reliably to a caller that requires 100rel
  // (nta does) and answers that PRACK itself; the call logic relays as usual.
  SipHandle a = dial_100rel("0301234", offer_sdp(), true);
  EXPECT_TRUE(sig.invites.at(0).offer_100rel);
  b2bua->on_b_response(sig.invites[0].handle, 180, "");
  EXPECT_TRUE(sig.saw("provisional_a " + std::to_string(a) + " 180"));
}

// ---- DTMF: telephone-event numbered as a trunk insists (docs/b2bua.md "DTMF") ----

namespace {

// carrier-a insists on 101; the PBX (any codec) numbers its events 96.
class DtmfTest : public B2buaTest {
 protected:
  void SetUp() override {
    B2buaTest::SetUp();
    std::string text = with(kPolicy, "codecs: [pcma, pcmu, telephone-event], ", "");
    text = with(text, "address: 198.18.2.10, auth: {mode: ip}, channels: {max: 1}}",
                "address: 198.18.2.10, auth: {mode: ip}, channels: {max: 1},\n"
                "     media: {telephone_event_pt: 101}}");
    auto loaded = policy::load_policy_text(text, "dtmf.yaml");
    for (const auto& d : loaded.diagnostics)
      if (d.severity == policy::Diagnostic::Severity::error) ADD_FAILURE() << d.to_string();
    ASSERT_TRUE(loaded.policy);
    ASSERT_EQ(loaded.policy->find_peer("carrier-a")->media.telephone_event_pt, 101);
    policy = loaded.policy;
  }
  static std::string pbx_offer(const std::string& formats, const std::string& rtpmaps) {
    return "v=0\r\no=pbx 1 1 IN IP4 198.18.1.10\r\ns=-\r\nc=IN IP4 198.18.1.10\r\nt=0 0\r\n"
           "m=audio 40000 RTP/AVP " +
           formats + "\r\n" + rtpmaps + "a=sendrecv\r\n";
  }
  static std::string carrier_answer(const std::string& formats, const std::string& rtpmaps) {
    return "v=0\r\no=carrier 7 7 IN IP4 198.18.2.10\r\ns=-\r\nc=IN IP4 198.18.2.10\r\nt=0 0\r\n"
           "m=audio 50000 RTP/AVP " +
           formats + "\r\n" + rtpmaps;
  }
};

bool has(const std::string& sdp, const std::string& line) {
  return sdp.find(line + "\r\n") != std::string::npos;
}

}  // namespace

TEST_F(DtmfTest, TheTrunkGetsItsNumberTheCallerKeepsItsOwnAndTheRelayMapsBoth) {
  SipHandle a = dial("0301234", pbx_offer("8 96", "a=rtpmap:96 telephone-event/8000\r\n"));
  ASSERT_EQ(sig.invites.size(), 1u);
  const std::string to_b = sig.invites[0].sdp;
  EXPECT_TRUE(has(to_b, "a=rtpmap:101 telephone-event/8000")) << to_b;
  EXPECT_EQ(to_b.find("rtpmap:96"), std::string::npos) << to_b;
  // Before the answer nothing is mapped.
  EXPECT_EQ(dp.calls().back().spec.streams[0].a.telephone_event_pt, 0);

  b2bua->on_b_response(sig.invites[0].handle, 200,
                       carrier_answer("8 101", "a=rtpmap:101 telephone-event/8000\r\n"));
  const std::string to_a = sig.a_sdp[a];
  EXPECT_TRUE(has(to_a, "a=rtpmap:96 telephone-event/8000")) << to_a;
  EXPECT_EQ(to_a.find("rtpmap:101"), std::string::npos) << to_a;
  EXPECT_EQ(last_media_spec().a.telephone_event_pt, 96);
  EXPECT_EQ(last_media_spec().b.telephone_event_pt, 101);
}

TEST_F(DtmfTest, ACodecHoldingTheTrunksNumberIsRenumberedBothWays) {
  SipHandle a = dial("0301234", pbx_offer("101 96",
                                          "a=rtpmap:101 iLBC/8000\r\n"
                                          "a=rtpmap:96 telephone-event/8000\r\n"));
  ASSERT_EQ(sig.invites.size(), 1u);
  const std::string to_b = sig.invites[0].sdp;
  EXPECT_TRUE(has(to_b, "a=rtpmap:96 iLBC/8000")) << to_b;
  EXPECT_TRUE(has(to_b, "a=rtpmap:101 telephone-event/8000")) << to_b;
  b2bua->on_b_response(sig.invites[0].handle, 200,
                       carrier_answer("96 101",
                                      "a=rtpmap:96 iLBC/8000\r\n"
                                      "a=rtpmap:101 telephone-event/8000\r\n"));
  const std::string to_a = sig.a_sdp[a];
  EXPECT_NE(to_a.find(" RTP/AVP 101 96\r\n"), std::string::npos) << to_a;
  EXPECT_TRUE(has(to_a, "a=rtpmap:101 iLBC/8000")) << to_a;
  EXPECT_TRUE(has(to_a, "a=rtpmap:96 telephone-event/8000")) << to_a;
  EXPECT_EQ(last_media_spec().a.telephone_event_pt, 96);
  EXPECT_EQ(last_media_spec().b.telephone_event_pt, 101);
}

TEST_F(DtmfTest, TheSameNumberOnBothSidesIsLeftAlone) {
  SipHandle a = dial("0301234", offer_sdp());  // 8 0 101
  ASSERT_EQ(sig.invites.size(), 1u);
  EXPECT_TRUE(has(sig.invites[0].sdp, "a=rtpmap:101 telephone-event/8000"));
  b2bua->on_b_response(sig.invites[0].handle, 200, answer_sdp("198.18.2.10"));
  EXPECT_TRUE(has(sig.a_sdp[a], "a=rtpmap:101 telephone-event/8000"));
  EXPECT_EQ(last_media_spec().a.telephone_event_pt, 0);
  EXPECT_EQ(last_media_spec().b.telephone_event_pt, 0);
}

TEST_F(DtmfTest, APeerWithoutTheSettingGetsTheOffersNumbers) {
  // carrier-b has no telephone_event_pt: the PBX's 96 passes through.
  dial("112", pbx_offer("8 96", "a=rtpmap:96 telephone-event/8000\r\n"));
  ASSERT_EQ(sig.invites.size(), 1u);
  EXPECT_EQ(sig.invites[0].peer, "carrier-b");
  EXPECT_TRUE(has(sig.invites[0].sdp, "a=rtpmap:96 telephone-event/8000")) << sig.invites[0].sdp;
}

TEST_F(DtmfTest, AReInviteFromTheCallerIsRenumberedAgainAndOneFromTheTrunkIsNot) {
  SipHandle a = dial("0301234", pbx_offer("8 96", "a=rtpmap:96 telephone-event/8000\r\n"));
  SipHandle b = sig.invites.at(0).handle;
  b2bua->on_b_response(b, 200, carrier_answer("8 101", "a=rtpmap:101 telephone-event/8000\r\n"));
  b2bua->on_a_ack(a);
  // The PBX re-offers (hold): toward the carrier, 101 again; its answer back to 96.
  b2bua->on_offer(
      a, 900, OfferMethod::reinvite,
      with(pbx_offer("8 96", "a=rtpmap:96 telephone-event/8000\r\n"), "a=sendrecv", "a=sendonly"));
  ASSERT_EQ(sig.offers.size(), 1u);
  EXPECT_TRUE(has(sig.offers[0].sdp, "a=rtpmap:101 telephone-event/8000")) << sig.offers[0].sdp;
  b2bua->on_offer_response(
      sig.offers[0].id, 200,
      carrier_answer("8 101", "a=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n"));
  EXPECT_EQ(sig.answers[900].status, 200);
  EXPECT_TRUE(has(sig.answers[900].sdp, "a=rtpmap:96 telephone-event/8000"))
      << sig.answers[900].sdp;
  EXPECT_EQ(last_media_spec().a.telephone_event_pt, 96);
  EXPECT_EQ(last_media_spec().b.telephone_event_pt, 101);
  // The carrier re-offers with its 101: the PBX (no setting) takes 101 as
  // offered, so nothing is mapped any more.
  b2bua->on_offer(b, 901, OfferMethod::reinvite,
                  with(carrier_answer("8 101", "a=rtpmap:101 telephone-event/8000\r\n"),
                       "o=carrier 7 7", "o=carrier 7 8") +
                      "a=sendrecv\r\n");
  ASSERT_EQ(sig.offers.size(), 2u);
  EXPECT_TRUE(has(sig.offers[1].sdp, "a=rtpmap:101 telephone-event/8000")) << sig.offers[1].sdp;
  b2bua->on_offer_response(sig.offers[1].id, 200,
                           pbx_offer("8 101", "a=rtpmap:101 telephone-event/8000\r\n"));
  EXPECT_EQ(sig.answers[901].status, 200);
  EXPECT_TRUE(has(sig.answers[901].sdp, "a=rtpmap:101 telephone-event/8000"));
  EXPECT_EQ(last_media_spec().a.telephone_event_pt, 0);
  EXPECT_EQ(last_media_spec().b.telephone_event_pt, 0);
}
