// Random sequences of REGISTERs (valid and hostile) against the location
// store and its SQLite persistence, checking invariants after every step:
// the store stays consistent whatever it is fed, and what is persisted
// reloads to exactly what is in memory. Deterministic seed: a failure
// reproduces.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "controlplane/registrar/binding_store.h"
#include "controlplane/registrar/location_store.h"

namespace sbc::registrar {
namespace {

std::string describe(const Binding& b) {
  return b.key() + "|" + b.contact + "|" + b.call_id + "|" + std::to_string(b.cseq) + "|" +
         std::to_string(b.q) + "|" + std::to_string(b.expires_at.time_since_epoch().count()) + "|" +
         b.received.to_string() + "|" + (b.behind_nat ? "nat" : "direct");
}

class PropertyTest : public testing::TestWithParam<uint32_t> {};

TEST_P(PropertyTest, StoreStaysConsistentAndPersistenceMatchesMemory) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("sbc-registrar-prop-" + std::to_string(getpid()) +
                                              "-" + std::to_string(GetParam()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "r.db").string();

  std::mt19937 rng(GetParam());
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  FakeClock clock;
  RegistrarConfig config{60, 3600, 600, 120, 4, 30};
  std::vector<std::string> aors;
  for (int i = 0; i < 12; ++i) aors.push_back("sip:u" + std::to_string(i) + "@x");
  std::map<std::string, uint32_t> cseq;  // per Call-ID, mostly increasing
  std::map<int, int> statuses;

  {
    auto db = BindingStore::open({path, 7, 0});
    ASSERT_TRUE(db.ok()) << db.error().message;
    LocationStore store(config, clock, db->get());

    for (int step = 0; step < 3000; ++step) {
      RegisterRequest r;
      r.aor = aors[pick(static_cast<uint32_t>(aors.size()))];
      r.call_id = "call-" + std::to_string(pick(6));
      uint32_t& last = cseq[r.call_id];
      r.cseq = pick(10) == 0 ? last : ++last;  // sometimes a stale CSeq
      switch (pick(5)) {
        case 0:
          break;
        case 1:
          r.expires_header = 0;
          break;
        case 2:
          r.expires_header = UINT32_MAX;
          break;
        case 3:
          r.expires_header = pick(100);
          break;  // often too brief
        default:
          r.expires_header = 60 + pick(600);
          break;
      }
      if (pick(15) == 0) {
        r.star = true;
        if (pick(2) == 0) r.expires_header = 0;
      }
      uint32_t n = pick(8) == 0 ? 6 : pick(3);  // sometimes over the cap
      for (uint32_t c = 0; c < n; ++c) {
        ContactSpec cs;
        cs.uri = "sip:c" + std::to_string(pick(6)) + "@192.168.0." + std::to_string(pick(3));
        if (pick(3) == 0) cs.expires = pick(4) == 0 ? 0 : 30 + pick(900);
        if (pick(3) == 0) cs.q = static_cast<uint16_t>(pick(1001));
        if (pick(4) == 0) {
          cs.instance_id = "<urn:uuid:" + std::to_string(pick(3)) + ">";
          if (pick(2) == 0) cs.reg_id = pick(2) + 1;
        }
        r.contacts.push_back(cs);
      }
      r.received = Source{Ipv4Address{0xC6120000 + pick(4)}, static_cast<uint16_t>(5060 + pick(3)),
                          Transport::kUdp};
      r.behind_nat = pick(2) == 0;

      auto before = store.lookup(r.aor);
      RegisterOutcome o = store.apply(r);
      ++statuses[o.status];
      if (!o.ok()) {
        // A refusal changes nothing.
        auto after = store.lookup(r.aor);
        ASSERT_EQ(before.size(), after.size()) << "step " << step << " status " << o.status;
        for (size_t i = 0; i < before.size(); ++i)
          ASSERT_EQ(describe(before[i]), describe(after[i])) << "step " << step;
      }
      ASSERT_TRUE(o.status == 200 || o.status == 400 || o.status == 403 || o.status == 423 ||
                  o.status == 503)
          << o.status;

      if (pick(10) == 0) clock.advance(Seconds{pick(200)});
      if (pick(5) == 0) store.sweep();
      if (pick(20) == 0) {
        ASSERT_TRUE((*db)->flush().ok());
      }

      // Invariants.
      size_t live = 0;
      std::set<uint32_t> addresses;
      for (const auto& aor : aors) {
        auto bs = store.lookup(aor);
        ASSERT_LE(bs.size(), config.max_contacts_per_aor);
        for (size_t i = 1; i < bs.size(); ++i) ASSERT_GE(bs[i - 1].q, bs[i].q);
        std::set<std::string> keys;
        for (const auto& b : bs) {
          ASSERT_TRUE(keys.insert(b.key()).second) << "duplicate binding " << b.key();
          ASSERT_GT(b.expires_at, clock.now());
          ASSERT_LE(b.remaining(clock.now()).count(), b.behind_nat ? 120 : 3600);
          addresses.insert(b.received.address.value);
        }
        live += bs.size();
        ASSERT_EQ(store.state(aor) == RegistrationState::kRegistered, !bs.empty());
      }
      ASSERT_LE(live, store.binding_count());  // unswept expired ones count too
      ASSERT_LE(store.binding_count(), config.max_bindings);
      for (uint32_t a : addresses) ASSERT_TRUE(store.address_in_use(Ipv4Address{a}));
    }
    // The sequence exercised every kind of answer, so the checks above saw
    // accepted changes as well as refusals.
    for (int status : {200, 400, 403, 423, 503}) EXPECT_GT(statuses[status], 0) << status;
    store.sweep();
    size_t live = 0;
    for (const auto& aor : aors) live += store.lookup(aor).size();
    ASSERT_EQ(live, store.binding_count());  // after a sweep, exactly the live ones

    // Persisted state reloads to exactly the in-memory state.
    ASSERT_TRUE((*db)->flush().ok());
    auto reopened = BindingStore::open({path, 7, 0});
    ASSERT_TRUE(reopened.ok());
    auto loaded = (*reopened)->load(clock.now());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    LocationStore copy(config, clock);
    for (auto& sb : *loaded) ASSERT_TRUE(copy.restore(sb.aor, sb.binding));
    for (const auto& aor : aors) {
      auto a = store.lookup(aor);
      auto b = copy.lookup(aor);
      ASSERT_EQ(a.size(), b.size()) << aor;
      for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(describe(a[i]), describe(b[i])) << aor;
    }
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Seeds, PropertyTest, testing::Values(1u, 2u, 3u, 42u));

}  // namespace
}  // namespace sbc::registrar
