#include "controlplane/outbound_registration.h"

#include <gtest/gtest.h>

using namespace sbc::controlplane;
using namespace std::chrono_literals;
using Action = OutboundRegistrationState::Action;
using State = OutboundRegistrationState::State;

namespace {

OutboundRegistrationState machine(std::chrono::seconds expiry = 3600s) {
  return OutboundRegistrationState(expiry, OutboundRegistrationTimers{2s, 30s});
}

RegisterAnswer answer(int status) {
  RegisterAnswer a;
  a.status = status;
  return a;
}

RegisterAnswer challenge(int status = 401, bool stale = false) {
  RegisterAnswer a = answer(status);
  a.challenge_usable = true;
  a.challenge_stale = stale;
  return a;
}

}  // namespace

TEST(OutboundRegistration, ChallengeThenOkRegistersAndRefreshesAt80Percent) {
  auto m = machine();
  EXPECT_EQ(m.state(), State::registering);
  auto d = m.on_answer(challenge());
  EXPECT_EQ(d.action, Action::send_with_credentials);
  RegisterAnswer ok = answer(200);
  ok.granted = 600s;
  d = m.on_answer(ok);
  EXPECT_EQ(m.state(), State::registered);
  EXPECT_EQ(d.action, Action::wait);
  EXPECT_EQ(d.delay, 480s);
  EXPECT_EQ(m.granted(), 600s);
  // Without a granted expiry, what we asked for counts.
  d = m.on_answer(answer(200));
  EXPECT_EQ(d.delay, 2880s);
  // Tiny grants still leave a moment before refreshing.
  ok.granted = 1s;
  EXPECT_EQ(m.on_answer(ok).delay, 800ms);
}

TEST(OutboundRegistration, SecondChallengeInARowIsRefusedCredentials) {
  auto m = machine();
  EXPECT_EQ(m.on_answer(challenge(407)).action, Action::send_with_credentials);
  auto d = m.on_answer(challenge(407));
  EXPECT_EQ(d.action, Action::wait) << "no endless challenge loop with wrong credentials";
  EXPECT_EQ(m.state(), State::failing);
  EXPECT_EQ(m.last_status(), 407);
  EXPECT_EQ(d.delay, 2s);
  // After the backoff, a fresh attempt may answer a challenge again.
  EXPECT_EQ(m.on_answer(challenge()).action, Action::send_with_credentials);
}

TEST(OutboundRegistration, StaleNonceIsAnsweredAgain) {
  auto m = machine();
  EXPECT_EQ(m.on_answer(challenge()).action, Action::send_with_credentials);
  EXPECT_EQ(m.on_answer(challenge(401, true)).action, Action::send_with_credentials);
}

TEST(OutboundRegistration, UnusableChallengeFails) {
  auto m = machine();
  EXPECT_EQ(m.on_answer(answer(401)).action, Action::wait);
  EXPECT_EQ(m.state(), State::failing);
}

TEST(OutboundRegistration, IntervalTooBriefAsksOnceForMinExpires) {
  auto m = machine(60s);
  RegisterAnswer brief = answer(423);
  brief.min_expires = 300s;
  EXPECT_EQ(m.on_answer(brief).action, Action::send_now);
  EXPECT_EQ(m.expiry_to_request(), 300s);
  brief.min_expires = 900s;
  EXPECT_EQ(m.on_answer(brief).action, Action::wait) << "a second 423 is a failure";
  EXPECT_EQ(m.state(), State::failing);
  // Absurd Min-Expires (over 24 h) is not followed.
  auto n = machine(60s);
  brief.min_expires = std::chrono::hours(48);
  EXPECT_EQ(n.on_answer(brief).action, Action::wait);
}

TEST(OutboundRegistration, FailuresBackOffExponentiallyToTheCap) {
  auto m = machine();
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 7; ++i) delays.push_back(m.on_answer(answer(i % 2 ? 0 : 503)).delay);
  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{2s, 4s, 8s, 16s, 30s, 30s, 30s}));
  EXPECT_EQ(m.consecutive_failures(), 7u);
  EXPECT_EQ(m.last_status(), 503);
  // Success resets the backoff.
  m.on_answer(answer(200));
  EXPECT_EQ(m.consecutive_failures(), 0u);
  EXPECT_EQ(m.on_answer(answer(500)).delay, 2s);
}

TEST(OutboundRegistration, RetryAfterIsHonouredUpToTheCap) {
  auto m = machine();
  RegisterAnswer busy = answer(503);
  busy.retry_after = 10s;
  EXPECT_EQ(m.on_answer(busy).delay, 10s);
  busy.retry_after = 3600s;
  EXPECT_EQ(m.on_answer(busy).delay, 30s);
}

TEST(OutboundRegistration, ZeroGrantIsAFailure) {
  auto m = machine();
  RegisterAnswer ok = answer(200);
  ok.granted = 0s;
  m.on_answer(ok);
  EXPECT_EQ(m.state(), State::failing);
}
