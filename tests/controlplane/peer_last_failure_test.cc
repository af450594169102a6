// The last failed attempt per peer from call records: outbound attempts
// (failover included), the inbound caller's final answer, and what is not a
// failure (answers, attempts with no final response).
#include "controlplane/peer_last_failure.h"

#include <gtest/gtest.h>

using namespace sbc::controlplane;

namespace {

CallRecord record(const std::string& from, bool answered, int status,
                  std::vector<std::string> attempts) {
  CallRecord r;
  r.source_peer = from;
  r.answered = answered;
  r.final_status = status;
  r.attempts = std::move(attempts);
  return r;
}

const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

}  // namespace

TEST(PeerLastFailures, FailoverNotesTheTrunkThatFailedNotTheOneThatAnswered) {
  PeerLastFailures f;
  f.call_ended(record("pbx", true, 200, {"carrier-a:503", "carrier-b:200"}), t0);
  const PeerFailure* a = f.find("carrier-a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->status, 503);
  EXPECT_EQ(a->reason, "Service Unavailable");
  EXPECT_EQ(a->direction, "outbound");
  EXPECT_EQ(a->at, t0);
  EXPECT_EQ(f.find("carrier-b"), nullptr);
  EXPECT_EQ(f.find("pbx"), nullptr) << "the caller's call was answered";
}

TEST(PeerLastFailures, TheCallerHearsTheFinalAnswerAndTheLatestWins) {
  PeerLastFailures f;
  f.call_ended(record("pbx", false, 486, {"carrier-a:486"}), t0);
  f.call_ended(record("pbx", false, 404, {}), t0 + std::chrono::seconds(5));
  const PeerFailure* p = f.find("pbx");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->status, 404);
  EXPECT_EQ(p->reason, "Not Found");
  EXPECT_EQ(p->direction, "inbound");
  EXPECT_EQ(p->at, t0 + std::chrono::seconds(5));
  EXPECT_EQ(f.find("carrier-a")->status, 486);
}

TEST(PeerLastFailures, NoFinalResponseAndUnidentifiedCallersAreNotNoted) {
  PeerLastFailures f;
  f.call_ended(record("pbx", false, 0, {"carrier-a:0"}), t0);  // cancelled before any answer
  f.call_ended(record("", false, 403, {}), t0);                // no peer matched the caller
  EXPECT_EQ(f.find("pbx"), nullptr);
  EXPECT_EQ(f.find("carrier-a"), nullptr);
  EXPECT_EQ(f.find(""), nullptr);
}

TEST(PeerLastFailures, ACallerHangingUpWhileItRangIsNotItsFailure) {
  PeerLastFailures f;
  f.call_ended(record("pbx", false, 503, {"carrier-a:503"}), t0);
  CallRecord abandoned = record("pbx", false, 487, {"carrier-a:487"});
  abandoned.ended_by = "caller";
  f.call_ended(abandoned, t0 + std::chrono::seconds(5));
  // 487 is the echo of a CANCEL of ours: neither side failed.
  EXPECT_EQ(f.find("pbx")->status, 503) << "the 503 it heard before stays shown";
  EXPECT_EQ(f.find("carrier-a")->status, 503);
}
