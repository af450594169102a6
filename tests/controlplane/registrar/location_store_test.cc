#include "controlplane/registrar/location_store.h"

#include <gtest/gtest.h>

#include <vector>

namespace sbc::registrar {
namespace {

constexpr const char* kAor = "sip:alice@sbc.example";

struct RecordingSink : BindingSink {
  std::vector<std::string> events;
  void binding_upserted(std::string_view aor, const Binding& b) override {
    events.push_back("up " + std::string(aor) + " " + b.key());
  }
  void binding_removed(std::string_view aor, std::string_view key) override {
    events.push_back("rm " + std::string(aor) + " " + std::string(key));
  }
};

class LocationStoreTest : public testing::Test {
 protected:
  RegisterRequest req(std::vector<ContactSpec> contacts, std::optional<uint32_t> expires,
                      uint32_t cseq, std::string call_id = "call-1") {
    RegisterRequest r;
    r.aor = kAor;
    r.call_id = std::move(call_id);
    r.cseq = cseq;
    r.expires_header = expires;
    r.contacts = std::move(contacts);
    r.received = Source{Ipv4Address{0xC6120001}, 5060, Transport::kUdp};
    return r;
  }
  static ContactSpec contact(std::string uri) {
    ContactSpec c;
    c.uri = std::move(uri);
    return c;
  }

  FakeClock clock;
  RegistrarConfig config{60, 3600, 1800, 120, 4, 1000};
  RecordingSink sink;
  LocationStore store{config, clock, &sink};
};

TEST_F(LocationStoreTest, ConfigValidation) {
  EXPECT_TRUE(validate(config).ok());
  RegistrarConfig bad = config;
  bad.nat_max_expires = 10;
  EXPECT_FALSE(validate(bad).ok());
  bad = config;
  bad.default_expires = 5000;
  EXPECT_FALSE(validate(bad).ok());
  bad = config;
  bad.max_expires = 30;
  EXPECT_FALSE(validate(bad).ok());
}

TEST_F(LocationStoreTest, StatesNeverRegisteredExpired) {
  EXPECT_EQ(store.state(kAor), RegistrationState::kNever);
  ASSERT_TRUE(store.apply(req({contact("sip:a@198.18.0.1")}, 300, 1)).ok());
  EXPECT_EQ(store.state(kAor), RegistrationState::kRegistered);
  clock.advance(Seconds{299});
  EXPECT_EQ(store.state(kAor), RegistrationState::kRegistered);
  clock.advance(Seconds{1});
  EXPECT_EQ(store.state(kAor), RegistrationState::kExpired);
  EXPECT_TRUE(store.lookup(kAor).empty());
}

TEST_F(LocationStoreTest, ExpiryFromHeaderParamDefaultAndClamp) {
  ContactSpec with_param = contact("sip:p@198.18.0.1");
  with_param.expires = 200;
  auto o = store.apply(req({with_param, contact("sip:h@198.18.0.1")}, 400, 1));
  ASSERT_TRUE(o.ok()) << o.reason;
  auto find = [&](const std::string& uri) {
    for (const auto& b : store.lookup(kAor))
      if (b.contact == uri) return b.remaining(clock.now()).count();
    return int64_t{-1};
  };
  EXPECT_EQ(find("sip:p@198.18.0.1"), 200);  // param beats header
  EXPECT_EQ(find("sip:h@198.18.0.1"), 400);
  ASSERT_TRUE(store.apply(req({contact("sip:d@198.18.0.1")}, std::nullopt, 2)).ok());
  EXPECT_EQ(find("sip:d@198.18.0.1"), 1800);  // default
  ASSERT_TRUE(store.apply(req({contact("sip:m@198.18.0.1")}, UINT32_MAX, 3)).ok());
  EXPECT_EQ(find("sip:m@198.18.0.1"), 3600);  // absurd value clamped to max
}

TEST_F(LocationStoreTest, TooBriefGets423WithMinExpiresAndChangesNothing) {
  ASSERT_TRUE(store.apply(req({contact("sip:a@198.18.0.1")}, 300, 1)).ok());
  sink.events.clear();
  ContactSpec brief = contact("sip:b@198.18.0.1");
  brief.expires = 59;
  auto o = store.apply(req({contact("sip:c@198.18.0.1"), brief}, 300, 2));
  EXPECT_EQ(o.status, 423);
  EXPECT_EQ(o.min_expires, 60u);
  EXPECT_EQ(store.lookup(kAor).size(), 1u);  // c was not half-applied
  EXPECT_TRUE(sink.events.empty());
}

TEST_F(LocationStoreTest, NatContactsGetTheShorterExpiry) {
  auto r = req({contact("sip:a@192.168.1.10")}, 3600, 1);
  r.behind_nat = true;
  auto o = store.apply(r);
  ASSERT_TRUE(o.ok());
  ASSERT_EQ(o.bindings.size(), 1u);
  EXPECT_EQ(o.bindings[0].remaining(clock.now()).count(), 120);
  EXPECT_TRUE(o.bindings[0].behind_nat);
  EXPECT_EQ(o.bindings[0].received.port, 5060);
}

TEST_F(LocationStoreTest, ExpiresZeroRemovesOneContact) {
  ASSERT_TRUE(
      store.apply(req({contact("sip:a@198.18.0.1"), contact("sip:b@198.18.0.1")}, 300, 1)).ok());
  auto o = store.apply(req({contact("sip:a@198.18.0.1")}, 0, 2));
  ASSERT_TRUE(o.ok());
  ASSERT_EQ(o.bindings.size(), 1u);
  EXPECT_EQ(o.bindings[0].contact, "sip:b@198.18.0.1");
  EXPECT_EQ(store.binding_count(), 1u);
}

TEST_F(LocationStoreTest, StarRemovesAllButOnlyWithExpiresZeroAndAlone) {
  ASSERT_TRUE(
      store.apply(req({contact("sip:a@198.18.0.1"), contact("sip:b@198.18.0.1")}, 300, 1)).ok());
  auto star = req({}, 300, 2);
  star.star = true;
  EXPECT_EQ(store.apply(star).status, 400);  // Expires not 0
  star.expires_header = std::nullopt;
  EXPECT_EQ(store.apply(star).status, 400);  // no Expires at all
  star.expires_header = 0;
  star.contacts = {contact("sip:c@198.18.0.1")};
  EXPECT_EQ(store.apply(star).status, 400);  // not alone
  EXPECT_EQ(store.lookup(kAor).size(), 2u);
  star.contacts.clear();
  auto o = store.apply(star);
  ASSERT_TRUE(o.ok()) << o.reason;
  EXPECT_TRUE(store.lookup(kAor).empty());
  EXPECT_EQ(store.state(kAor), RegistrationState::kExpired);
  EXPECT_EQ(store.binding_count(), 0u);
}

TEST_F(LocationStoreTest, StarWithOldCseqOnSameCallIdIsRefused) {
  ASSERT_TRUE(store.apply(req({contact("sip:a@198.18.0.1")}, 300, 5)).ok());
  auto star = req({}, 0, 5);
  star.star = true;
  EXPECT_EQ(store.apply(star).status, 400);
  EXPECT_EQ(store.lookup(kAor).size(), 1u);
  star.call_id = "other";  // another Call-ID may remove it whatever its CSeq
  EXPECT_TRUE(store.apply(star).ok());
  EXPECT_TRUE(store.lookup(kAor).empty());
}

TEST_F(LocationStoreTest, OlderCseqForSameCallIdIsRefused) {
  ASSERT_TRUE(store.apply(req({contact("sip:a@198.18.0.1")}, 300, 10)).ok());
  EXPECT_EQ(store.apply(req({contact("sip:a@198.18.0.1")}, 600, 10)).status, 400);
  EXPECT_EQ(store.apply(req({contact("sip:a@198.18.0.1")}, 600, 9)).status, 400);
  EXPECT_EQ(store.apply(req({contact("sip:a@198.18.0.1")}, 0, 9)).status, 400);
  EXPECT_EQ(store.lookup(kAor)[0].remaining(clock.now()).count(), 300);  // unchanged
  EXPECT_TRUE(store.apply(req({contact("sip:a@198.18.0.1")}, 600, 11)).ok());
  EXPECT_EQ(store.lookup(kAor)[0].remaining(clock.now()).count(), 600);
  // A new Call-ID (the phone rebooted) may start again at a low CSeq.
  EXPECT_TRUE(store.apply(req({contact("sip:a@198.18.0.1")}, 900, 1, "call-2")).ok());
  EXPECT_EQ(store.lookup(kAor).size(), 1u);
  EXPECT_EQ(store.lookup(kAor)[0].call_id, "call-2");
}

TEST_F(LocationStoreTest, ContactListedTwiceInOneRequestIsNotAReplay) {
  ContactSpec again = contact("sip:a@198.18.0.1");
  again.expires = 900;
  auto o = store.apply(req({contact("sip:a@198.18.0.1"), again}, 300, 1));
  ASSERT_TRUE(o.ok()) << o.reason;
  ASSERT_EQ(o.bindings.size(), 1u);
  EXPECT_EQ(o.bindings[0].remaining(clock.now()).count(), 900);  // the last one wins
  // Listed, then removed in the same request.
  ContactSpec gone = contact("sip:a@198.18.0.1");
  gone.expires = 0;
  o = store.apply(req({contact("sip:a@198.18.0.1"), gone}, 300, 2));
  ASSERT_TRUE(o.ok()) << o.reason;
  EXPECT_TRUE(o.bindings.empty());
  EXPECT_EQ(store.binding_count(), 0u);
}

TEST_F(LocationStoreTest, QValueOrderingThenMostRecent) {
  ContactSpec low = contact("sip:low@198.18.0.1");
  low.q = 100;
  ContactSpec high = contact("sip:high@198.18.0.1");
  high.q = 900;
  ASSERT_TRUE(store.apply(req({low, high}, 300, 1)).ok());
  clock.advance(Seconds{5});
  ContactSpec newer = contact("sip:newer@198.18.0.1");
  newer.q = 900;
  ASSERT_TRUE(store.apply(req({newer}, 300, 2)).ok());
  auto b = store.lookup(kAor);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].contact, "sip:newer@198.18.0.1");
  EXPECT_EQ(b[1].contact, "sip:high@198.18.0.1");
  EXPECT_EQ(b[2].contact, "sip:low@198.18.0.1");
}

TEST_F(LocationStoreTest, InstanceIdReplacesBindingFromSameInstance) {
  ContactSpec c1 = contact("sip:a@192.168.1.10:5060");
  c1.instance_id = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";
  c1.reg_id = 1;
  ASSERT_TRUE(store.apply(req({c1}, 300, 1)).ok());
  // Rebooted with a new IP, port and Call-ID: same instance, same reg-id.
  ContactSpec c2 = c1;
  c2.uri = "sip:a@192.168.1.77:5062";
  ASSERT_TRUE(store.apply(req({c2}, 300, 1, "call-after-reboot")).ok());
  auto b = store.lookup(kAor);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].contact, "sip:a@192.168.1.77:5062");
  // A second flow (reg-id 2) of the same instance is a binding of its own.
  ContactSpec flow2 = c2;
  flow2.reg_id = 2;
  ASSERT_TRUE(store.apply(req({flow2}, 300, 2, "call-after-reboot")).ok());
  EXPECT_EQ(store.lookup(kAor).size(), 2u);
}

TEST_F(LocationStoreTest, HugeContactListIsRefusedCheaply) {
  std::vector<ContactSpec> many;
  for (int i = 0; i < 10000; ++i) many.push_back(contact("sip:x" + std::to_string(i) + "@h"));
  auto o = store.apply(req(many, 300, 1));
  EXPECT_EQ(o.status, 403);
  EXPECT_EQ(store.state(kAor), RegistrationState::kNever);
  EXPECT_EQ(store.binding_count(), 0u);
}

TEST_F(LocationStoreTest, CapOnContactsPerAorAcrossRequests) {
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(store
                    .apply(req({contact("sip:x" + std::to_string(i) + "@h")}, 300,
                               static_cast<uint32_t>(i + 1)))
                    .ok());
  auto o = store.apply(req({contact("sip:x9@h")}, 300, 10));
  EXPECT_EQ(o.status, 403);
  EXPECT_EQ(store.lookup(kAor).size(), 4u);
  // Refreshing an existing one still works at the cap.
  EXPECT_TRUE(store.apply(req({contact("sip:x0@h")}, 300, 11)).ok());
  // After one expires, there is room again.
  clock.advance(Seconds{200});
  ASSERT_TRUE(store.apply(req({contact("sip:x1@h")}, 600, 12)).ok());
  clock.advance(Seconds{150});
  EXPECT_TRUE(store.apply(req({contact("sip:x9@h")}, 300, 13)).ok());
}

TEST_F(LocationStoreTest, GlobalBindingCapAnswers503) {
  RegistrarConfig small = config;
  small.max_bindings = 2;
  LocationStore s(small, clock);
  auto r = req({contact("sip:a@h"), contact("sip:b@h")}, 300, 1);
  ASSERT_TRUE(s.apply(r).ok());
  r.aor = "sip:bob@sbc.example";
  r.contacts = {contact("sip:c@h")};
  EXPECT_EQ(s.apply(r).status, 503);
}

TEST_F(LocationStoreTest, QueryReturnsBindingsWithoutChangingThem) {
  EXPECT_TRUE(store.apply(req({}, std::nullopt, 1)).ok());
  EXPECT_EQ(store.state(kAor), RegistrationState::kNever);
  ASSERT_TRUE(store.apply(req({contact("sip:a@h")}, 300, 2)).ok());
  sink.events.clear();
  auto o = store.apply(req({}, std::nullopt, 3));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.bindings.size(), 1u);
  EXPECT_TRUE(sink.events.empty());
}

TEST_F(LocationStoreTest, SweepRemovesExpiredAndTellsSink) {
  ASSERT_TRUE(store.apply(req({contact("sip:short@h")}, 100, 1)).ok());
  ASSERT_TRUE(store.apply(req({contact("sip:long@h")}, 300, 2)).ok());
  auto bob = req({contact("sip:bob@h")}, 100, 1, "bob-call");
  bob.aor = "sip:bob@sbc.example";
  ASSERT_TRUE(store.apply(bob).ok());
  sink.events.clear();
  clock.advance(Seconds{99});
  EXPECT_TRUE(store.sweep().empty());
  clock.advance(Seconds{1});
  auto gone = store.sweep();
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_EQ(store.binding_count(), 1u);
  EXPECT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(store.state("sip:bob@sbc.example"), RegistrationState::kExpired);
  EXPECT_EQ(store.state(kAor), RegistrationState::kRegistered);
  clock.advance(Seconds{200});
  EXPECT_EQ(store.sweep().size(), 1u);
  EXPECT_EQ(store.binding_count(), 0u);
}

TEST_F(LocationStoreTest, AddressInUseFollowsLiveBindings) {
  Ipv4Address site{0xC6120001};
  EXPECT_FALSE(store.address_in_use(site));
  ASSERT_TRUE(store.apply(req({contact("sip:a@h")}, 100, 1)).ok());
  EXPECT_TRUE(store.address_in_use(site));
  EXPECT_FALSE(store.address_in_use(Ipv4Address{0xC6120002}));
  clock.advance(Seconds{100});
  store.sweep();
  EXPECT_FALSE(store.address_in_use(site));
}

TEST_F(LocationStoreTest, SinkSeesUpsertsAndRemovals) {
  ASSERT_TRUE(store.apply(req({contact("sip:a@h"), contact("sip:b@h")}, 300, 1)).ok());
  EXPECT_EQ(sink.events, (std::vector<std::string>{"up sip:alice@sbc.example c:sip:a@h",
                                                   "up sip:alice@sbc.example c:sip:b@h"}));
  sink.events.clear();
  // A refresh of one contact writes that one only.
  ASSERT_TRUE(store.apply(req({contact("sip:b@h")}, 600, 2)).ok());
  EXPECT_EQ(sink.events, (std::vector<std::string>{"up sip:alice@sbc.example c:sip:b@h"}));
  sink.events.clear();
  ASSERT_TRUE(store.apply(req({contact("sip:a@h")}, 0, 3)).ok());
  EXPECT_EQ(sink.events, (std::vector<std::string>{"rm sip:alice@sbc.example c:sip:a@h"}));
}

TEST_F(LocationStoreTest, RestoreSkipsExpiredAndDuplicates) {
  Binding b;
  b.contact = "sip:a@h";
  b.call_id = "c";
  b.expires_at = clock.now() + Seconds{10};
  EXPECT_TRUE(store.restore(kAor, b));
  EXPECT_FALSE(store.restore(kAor, b));  // same key
  b.contact = "sip:old@h";
  b.expires_at = clock.now();
  EXPECT_FALSE(store.restore(kAor, b));
  EXPECT_EQ(store.lookup(kAor).size(), 1u);
  EXPECT_TRUE(sink.events.empty());
  clock.advance(Seconds{10});
  EXPECT_EQ(store.sweep().size(), 1u);
}

TEST_F(LocationStoreTest, MissingAorOrCallIdIsBadRequest) {
  auto r = req({contact("sip:a@h")}, 300, 1);
  r.aor.clear();
  EXPECT_EQ(store.apply(r).status, 400);
  r = req({contact("sip:a@h")}, 300, 1, "");
  EXPECT_EQ(store.apply(r).status, 400);
  r = req({contact("")}, 300, 1);
  EXPECT_EQ(store.apply(r).status, 400);
}

}  // namespace
}  // namespace sbc::registrar
