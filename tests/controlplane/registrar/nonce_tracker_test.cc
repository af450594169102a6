#include "controlplane/registrar/nonce_tracker.h"

#include <gtest/gtest.h>

#include <set>

namespace sbc::registrar {
namespace {

NonceKey key(uint8_t fill) {
  NonceKey k;
  k.fill(fill);
  return k;
}

class NonceTrackerTest : public testing::Test {
 protected:
  FakeClock clock;
  NonceConfig config{Seconds{30}, true, 100};
  NonceTracker tracker{config, clock, key(7)};
};

TEST_F(NonceTrackerTest, FreshNonceIsValidOnceAndNcMustIncrease) {
  std::string n = tracker.issue("198.18.0.1");
  EXPECT_EQ(n.size(), 64u);
  EXPECT_EQ(tracker.check(n, 1, "198.18.0.1"), NonceVerdict::kValid);
  EXPECT_EQ(tracker.check(n, 1, "198.18.0.1"), NonceVerdict::kReplay);
  EXPECT_EQ(tracker.check(n, 2, "198.18.0.1"), NonceVerdict::kValid);
  EXPECT_EQ(tracker.check(n, 2, "198.18.0.1"), NonceVerdict::kReplay);
  EXPECT_EQ(tracker.check(n, 1, "198.18.0.1"), NonceVerdict::kReplay);
  EXPECT_EQ(tracker.check(n, 9, "198.18.0.1"), NonceVerdict::kValid);  // gaps are fine
}

TEST_F(NonceTrackerTest, NoQopNonceIsSingleUse) {
  std::string n = tracker.issue("198.18.0.1");
  EXPECT_EQ(tracker.check(n, std::nullopt, "198.18.0.1"), NonceVerdict::kValid);
  EXPECT_EQ(tracker.check(n, std::nullopt, "198.18.0.1"), NonceVerdict::kReplay);
  EXPECT_EQ(tracker.check(n, 5, "198.18.0.1"), NonceVerdict::kReplay);
}

TEST_F(NonceTrackerTest, NoncesAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) seen.insert(tracker.issue("198.18.0.1"));
  EXPECT_EQ(seen.size(), 50u);
}

TEST_F(NonceTrackerTest, ExpiredButSignedIsStale) {
  std::string n = tracker.issue("198.18.0.1");
  clock.advance(Seconds{29});
  std::string m = tracker.issue("198.18.0.1");
  clock.advance(Seconds{1});
  EXPECT_EQ(tracker.check(n, 1, "198.18.0.1"), NonceVerdict::kStale);
  EXPECT_EQ(tracker.check(m, 1, "198.18.0.1"), NonceVerdict::kValid);
}

TEST_F(NonceTrackerTest, ForgedOrForeignNoncesAreInvalid) {
  std::string n = tracker.issue("198.18.0.1");
  std::string tampered = n;
  tampered[63] = tampered[63] == '0' ? '1' : '0';
  EXPECT_EQ(tracker.check(tampered, 1, "198.18.0.1"), NonceVerdict::kInvalid);
  // Issue time moved: the signature no longer matches.
  std::string moved = n;
  moved[15] = moved[15] == '0' ? '1' : '0';
  EXPECT_EQ(tracker.check(moved, 1, "198.18.0.1"), NonceVerdict::kInvalid);
  EXPECT_EQ(tracker.check(n, 1, "198.18.0.2"), NonceVerdict::kInvalid);  // other source
  EXPECT_EQ(tracker.check("", 1, "198.18.0.1"), NonceVerdict::kInvalid);
  EXPECT_EQ(tracker.check(std::string(64, 'z'), 1, "198.18.0.1"), NonceVerdict::kInvalid);
  EXPECT_EQ(tracker.check(n.substr(0, 63), 1, "198.18.0.1"), NonceVerdict::kInvalid);
  // Another process (another key) signed it.
  NonceTracker other(config, clock, key(8));
  EXPECT_EQ(other.check(n, 1, "198.18.0.1"), NonceVerdict::kInvalid);
  // The untouched nonce still works: failed checks consumed nothing.
  EXPECT_EQ(tracker.check(n, 1, "198.18.0.1"), NonceVerdict::kValid);
}

TEST_F(NonceTrackerTest, UnboundNonceAcceptsAnySource) {
  NonceTracker unbound({Seconds{30}, false, 100}, clock, key(7));
  std::string n = unbound.issue("198.18.0.1");
  EXPECT_EQ(unbound.check(n, 1, "198.18.0.99"), NonceVerdict::kValid);
}

TEST_F(NonceTrackerTest, CapEvictsOldestAndEvictedIsStaleNotValid) {
  NonceTracker small({Seconds{300}, true, 3}, clock, key(7));
  std::string first = small.issue("a");
  std::string second = small.issue("a");
  small.issue("a");
  small.issue("a");  // evicts `first`
  EXPECT_EQ(small.tracked(), 3u);
  EXPECT_EQ(small.check(first, 1, "a"), NonceVerdict::kStale);
  EXPECT_EQ(small.check(second, 1, "a"), NonceVerdict::kValid);
}

TEST_F(NonceTrackerTest, SweepForgetsExpiredNonces) {
  tracker.issue("a");
  tracker.issue("a");
  clock.advance(Seconds{10});
  tracker.issue("a");
  clock.advance(Seconds{25});
  tracker.sweep();
  EXPECT_EQ(tracker.tracked(), 1u);
}

TEST_F(NonceTrackerTest, NonceFromTheFutureIsInvalid) {
  FakeClock later(clock.now() + Seconds{3600});
  NonceTracker ahead(config, later, key(7));
  std::string n = ahead.issue("a");
  EXPECT_EQ(tracker.check(n, 1, "a"), NonceVerdict::kInvalid);
}

}  // namespace
}  // namespace sbc::registrar
