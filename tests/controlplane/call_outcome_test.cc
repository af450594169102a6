#include "controlplane/call_outcome.h"

#include <gtest/gtest.h>

using namespace sbc::controlplane;
using sbc::policy::RouteDecision;
using sbc::policy::SkipReason;

namespace {
RouteDecision unavailable(std::vector<SkipReason> reasons) {
  RouteDecision d;
  d.outcome = RouteDecision::Outcome::all_unavailable;
  for (auto r : reasons) d.candidates.push_back({nullptr, "", "", r});
  return d;
}
}  // namespace

TEST(CallOutcome, RouteFailures) {
  RouteDecision d;
  d.outcome = RouteDecision::Outcome::no_route;
  EXPECT_EQ(answer_for_route_failure(d).status, 404);
  d.outcome = RouteDecision::Outcome::source_banned;
  EXPECT_EQ(answer_for_route_failure(d).status, 403);
  d.outcome = RouteDecision::Outcome::overloaded;
  EXPECT_EQ(answer_for_route_failure(d).retry_after, 5);
  EXPECT_EQ(answer_for_route_failure(unavailable({SkipReason::offline})).status, 480);
  auto capped =
      answer_for_route_failure(unavailable({SkipReason::at_channel_cap, SkipReason::offline}));
  EXPECT_EQ(capped.status, 503);
  EXPECT_TRUE(capped.retry_after.has_value());
  EXPECT_EQ(answer_for_route_failure(unavailable({SkipReason::unhealthy})).status, 503);
  // A trunk whose DNS name never resolved is down, not a phone that is away.
  EXPECT_EQ(
      answer_for_route_failure(unavailable({SkipReason::unresolved, SkipReason::offline})).status,
      503);
}

TEST(CallOutcome, FailoverCodes) {
  for (int s : {300, 301, 302, 305, 380, 408, 500, 502, 503, 504}) EXPECT_TRUE(fails_over(s)) << s;
  for (int s : {200, 180, 404, 480, 486, 487, 488, 603}) EXPECT_FALSE(fails_over(s)) << s;
}

TEST(CallOutcome, BestFinalAnswer) {
  EXPECT_EQ(best_final_answer({503, 603, 486}).status, 603);
  EXPECT_EQ(best_final_answer({503, 486}).status, 486);
  EXPECT_EQ(best_final_answer({408, 502}).status, 502);
  EXPECT_EQ(best_final_answer({503, 500}).status, 503);
  EXPECT_EQ(best_final_answer({503, 500}).retry_after, 30);
  EXPECT_EQ(best_final_answer({408, 408}).status, 408);
  EXPECT_EQ(best_final_answer({}).status, 408);
  // Redirects are not followed and never passed back.
  EXPECT_EQ(best_final_answer({302, 408}).status, 480);
  EXPECT_EQ(best_final_answer({302, 503}).status, 503);
  EXPECT_EQ(best_final_answer({302, 486}).status, 486);
}
