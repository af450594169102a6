// Per-peer call metrics from hand-made call records: counts by direction and
// final-code class, the answer delay, media ends, channel caps across reloads,
// and the naming rules.
#include "controlplane/call_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "controlplane/metric_naming.h"
#include "policy/loader.h"

using namespace sbc;
using namespace sbc::controlplane;

namespace {

const char* kPolicy = R"(
interfaces:
  - {name: access, address: 198.18.1.1/24, media_ports: 20000-20999}
  - {name: core, address: 198.18.2.1/24, media_ports: 30000-30999}
peers:
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.10, auth: {mode: ip}, channels: {max: 5}}
  - {name: alice, kind: phone, leg: access, auth: {username: "alice", password: "Zq8#vL2m-Tr5pW"}}
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10, auth: {mode: ip}, channels: {max: 30}}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20, auth: {mode: ip}, cps: 2.5}
routes:
  - {prefix: "0", to: [carrier-a, carrier-b]}
)";

policy::PolicyPtr load(const std::string& text) {
  auto loaded = policy::load_policy_text(text, "test.yaml");
  EXPECT_TRUE(loaded.policy) << (loaded.diagnostics.empty() ? ""
                                                            : loaded.diagnostics[0].to_string());
  return loaded.policy;
}

// The value of one sample, -1 when the series does not exist.
double value(prometheus::Registry& r, const std::string& name,
             const std::map<std::string, std::string>& labels, const char* field = "") {
  for (const auto& f : r.Collect()) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have != labels) continue;
      switch (f.type) {
        case prometheus::MetricType::Counter:
          return m.counter.value;
        case prometheus::MetricType::Gauge:
          return m.gauge.value;
        case prometheus::MetricType::Histogram:
          return std::string(field) == "sum" ? m.histogram.sample_sum
                                             : static_cast<double>(m.histogram.sample_count);
        default:
          return -2;
      }
    }
  }
  return -1;
}

CallRecord record(const std::string& from, const std::string& to, bool answered, int status,
                  std::vector<std::string> attempts, std::string ended_by = "caller") {
  CallRecord r;
  r.source_peer = from;
  r.destination_peer = to;
  r.answered = answered;
  r.final_status = status;
  r.attempts = std::move(attempts);
  r.ended_by = std::move(ended_by);
  r.setup = MonoTime(std::chrono::seconds(100));
  r.answer = answered ? r.setup + std::chrono::milliseconds(2500) : MonoTime{};
  return r;
}

class CallMetricsTest : public ::testing::Test {
 protected:
  prometheus::Registry registry;
  policy::PolicyPtr policy = load(kPolicy);
  CallMetrics metrics{registry, [this] { return policy; }};
  double v(const std::string& name, const std::map<std::string, std::string>& labels,
           const char* field = "") {
    return value(registry, name, labels, field);
  }
};

}  // namespace

TEST_F(CallMetricsTest, TrunkSeriesStartAtZeroAndCapsArePublished) {
  EXPECT_EQ(v("sbc_call_attempts_total", {{"peer", "carrier-b"}, {"direction", "outbound"}}), 0);
  EXPECT_EQ(v("sbc_call_failures_total",
              {{"peer", "pbx"}, {"direction", "inbound"}, {"code_class", "5xx"}}),
            0);
  EXPECT_EQ(v("sbc_call_attempts_total", {{"peer", "alice"}, {"direction", "inbound"}}), -1)
      << "phones get series when they call, not up front";
  EXPECT_EQ(v("sbc_call_answer_delay_seconds", {{"peer", "carrier-a"}}), 0);
  EXPECT_EQ(v("sbc_channels_max", {{"peer", "pbx"}}), 5);
  EXPECT_EQ(v("sbc_channels_max", {{"peer", "carrier-a"}}), 30);
  EXPECT_EQ(v("sbc_channels_max", {{"peer", "carrier-b"}}), -1) << "no cap, no series";
  EXPECT_EQ(v("sbc_cps_max", {{"peer", "carrier-b"}}), 2.5);
  EXPECT_EQ(v("sbc_cps_max", {{"peer", "carrier-a"}}), -1) << "no cap, no series";
  EXPECT_EQ(v("sbc_call_starts_total", {{"peer", "carrier-a"}}), 0);
  EXPECT_EQ(v("sbc_call_starts_total", {{"peer", "alice"}}), -1);
}

TEST_F(CallMetricsTest, StartsAreCountedPerPeerAsCallsStart) {
  metrics.call_started("pbx");
  metrics.call_started("carrier-a");
  metrics.call_started("pbx");
  metrics.call_started("alice");
  EXPECT_EQ(v("sbc_call_starts_total", {{"peer", "pbx"}}), 2);
  EXPECT_EQ(v("sbc_call_starts_total", {{"peer", "carrier-a"}}), 1);
  EXPECT_EQ(v("sbc_call_starts_total", {{"peer", "alice"}}), 1);
  EXPECT_EQ(v("sbc_call_starts_total", {{"peer", "carrier-b"}}), 0);
}

TEST_F(CallMetricsTest, FailoverCountsEveryAttemptAndTheAnswer) {
  metrics.call_ended(record("pbx", "carrier-b", true, 200, {"carrier-a:503", "carrier-b:200"}));
  EXPECT_EQ(v("sbc_call_attempts_total", {{"peer", "pbx"}, {"direction", "inbound"}}), 1);
  EXPECT_EQ(v("sbc_call_answers_total", {{"peer", "pbx"}, {"direction", "inbound"}}), 1);
  EXPECT_EQ(v("sbc_call_attempts_total", {{"peer", "carrier-a"}, {"direction", "outbound"}}), 1);
  EXPECT_EQ(v("sbc_call_answers_total", {{"peer", "carrier-a"}, {"direction", "outbound"}}), 0);
  EXPECT_EQ(v("sbc_call_failures_total",
              {{"peer", "carrier-a"}, {"direction", "outbound"}, {"code_class", "5xx"}}),
            1);
  EXPECT_EQ(v("sbc_call_answers_total", {{"peer", "carrier-b"}, {"direction", "outbound"}}), 1);
  EXPECT_EQ(v("sbc_call_answer_delay_seconds", {{"peer", "carrier-b"}}), 1);
  EXPECT_DOUBLE_EQ(v("sbc_call_answer_delay_seconds", {{"peer", "carrier-b"}}, "sum"), 2.5);
  // It never rang: no post-dial delay (the series exists, at zero).
  EXPECT_EQ(v("sbc_call_post_dial_delay_seconds", {{"peer", "carrier-b"}}), 0);
}

TEST_F(CallMetricsTest, PostDialDelayIsTheFirstRingOfThePeerThatRang) {
  CallRecord r = record("pbx", "carrier-b", true, 200, {"carrier-b:200"});
  r.ringing = r.setup + std::chrono::milliseconds(700);
  r.rang_peer = "carrier-b";
  metrics.call_ended(r);
  EXPECT_EQ(v("sbc_call_post_dial_delay_seconds", {{"peer", "carrier-b"}}), 1);
  EXPECT_DOUBLE_EQ(v("sbc_call_post_dial_delay_seconds", {{"peer", "carrier-b"}}, "sum"), 0.7);
}

TEST_F(CallMetricsTest, RefusedAndUnidentifiedCallsCountByClass) {
  metrics.call_ended(record("", "", false, 403, {}));
  metrics.call_ended(record("pbx", "carrier-a", false, 486, {"carrier-a:486"}));
  metrics.call_ended(record("pbx", "", false, 0, {}));  // cancelled before any answer
  EXPECT_EQ(v("sbc_call_failures_total",
              {{"peer", "unidentified"}, {"direction", "inbound"}, {"code_class", "4xx"}}),
            1);
  EXPECT_EQ(v("sbc_call_attempts_total", {{"peer", "pbx"}, {"direction", "inbound"}}), 2);
  EXPECT_EQ(v("sbc_call_failures_total",
              {{"peer", "pbx"}, {"direction", "inbound"}, {"code_class", "4xx"}}),
            1)
      << "no final status is not a failure class";
  EXPECT_EQ(v("sbc_call_failures_total",
              {{"peer", "carrier-a"}, {"direction", "outbound"}, {"code_class", "4xx"}}),
            1);
}

TEST_F(CallMetricsTest, MediaEndsCountOnBothPeers) {
  metrics.call_ended(record("pbx", "carrier-a", true, 200, {"carrier-a:200"}, "one_way"));
  metrics.call_ended(record("pbx", "carrier-a", true, 200, {"carrier-a:200"}, "caller"));
  EXPECT_EQ(v("sbc_call_media_timeouts_total",
              {{"peer", "pbx"}, {"direction", "inbound"}, {"reason", "one_way"}}),
            1);
  EXPECT_EQ(v("sbc_call_media_timeouts_total",
              {{"peer", "carrier-a"}, {"direction", "outbound"}, {"reason", "one_way"}}),
            1);
  EXPECT_EQ(v("sbc_call_media_timeouts_total",
              {{"peer", "carrier-a"}, {"direction", "outbound"}, {"reason", "media_idle"}}),
            0);
}

TEST_F(CallMetricsTest, SessionTimerExpiriesCountOnThePeerWhoseLegExpired) {
  EXPECT_EQ(v("sbc_call_session_timer_expiries_total",
              {{"peer", "carrier-a"}, {"direction", "outbound"}}),
            0)
      << "pre-created for trunks";
  auto expired = record("pbx", "carrier-a", true, 200, {"carrier-a:200"}, "session_timer");
  expired.session_timer_leg = "b";  // the carrier stopped refreshing
  metrics.call_ended(expired);
  expired.session_timer_leg = "a";  // the PBX did
  metrics.call_ended(expired);
  expired.session_timer_leg = "a";
  metrics.call_ended(expired);
  metrics.call_ended(record("pbx", "carrier-a", true, 200, {"carrier-a:200"}, "caller"));
  EXPECT_EQ(v("sbc_call_session_timer_expiries_total", {{"peer", "pbx"}, {"direction", "inbound"}}),
            2);
  EXPECT_EQ(v("sbc_call_session_timer_expiries_total",
              {{"peer", "carrier-a"}, {"direction", "outbound"}}),
            1);
}

TEST_F(CallMetricsTest, ReloadMovesCapsAndDropsRemovedPeers) {
  std::string text = kPolicy;
  text.replace(text.find("channels: {max: 5}"), 18, "channels: {max: 8}");
  text.replace(text.find(", channels: {max: 30}"), 21, ", cps: 4");
  text.replace(text.find(", cps: 2.5"), 10, "");
  policy = load(text);
  metrics.sync_policy();
  EXPECT_EQ(v("sbc_channels_max", {{"peer", "pbx"}}), 8);
  EXPECT_EQ(v("sbc_channels_max", {{"peer", "carrier-a"}}), -1) << "cap lifted";
  EXPECT_EQ(v("sbc_cps_max", {{"peer", "carrier-a"}}), 4);
  EXPECT_EQ(v("sbc_cps_max", {{"peer", "carrier-b"}}), -1) << "cps cap lifted";
}

TEST_F(CallMetricsTest, FollowsTheNamingRules) {
  metrics.call_ended(record("pbx", "carrier-b", true, 200, {"carrier-b:200"}));
  metrics.call_started("pbx");
  auto problems = check_metric_names(registry.Collect());
  EXPECT_TRUE(problems.empty()) << problems[0];
}

TEST(CallMetricsHelpers, CodeClassAndAttempts) {
  EXPECT_STREQ(CallMetrics::code_class(200), "2xx");
  EXPECT_STREQ(CallMetrics::code_class(486), "4xx");
  EXPECT_STREQ(CallMetrics::code_class(603), "6xx");
  EXPECT_STREQ(CallMetrics::code_class(0), "");
  EXPECT_STREQ(CallMetrics::code_class(180), "");
  EXPECT_EQ(CallMetrics::split_attempt("carrier-a:503"),
            std::make_pair(std::string("carrier-a"), 503));
  EXPECT_EQ(CallMetrics::split_attempt("x:"), std::make_pair(std::string("x"), 0));
  EXPECT_EQ(CallMetrics::split_attempt("nocolon"), std::make_pair(std::string("nocolon"), 0));
}
