#include "controlplane/call_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdlib>

namespace sbc::controlplane {
namespace {

constexpr const char* kClasses[] = {"3xx", "4xx", "5xx", "6xx"};
constexpr const char* kDirections[] = {"inbound", "outbound"};
// Ends that mean the media stopped, as CallRecord::ended_by spells them.
constexpr const char* kMediaEnds[] = {"media_idle", "one_way"};

// From a quick answer to a minute of ringing (an unanswered call usually
// ends at 30-60 s).
const prometheus::Histogram::BucketBoundaries kAnswerDelayBuckets = {0.5, 1,  2,  3,  5, 8,
                                                                     13,  20, 30, 45, 60};

// Post-dial delay: ringing within a fraction of a second on a healthy
// trunk, seconds when a carrier is slow or overloaded.
const prometheus::Histogram::BucketBoundaries kPostDialDelayBuckets = {0.1, 0.25, 0.5, 1,  2,
                                                                       3,   5,    8,   13, 20};

}  // namespace

CallMetrics::CallMetrics(prometheus::Registry& r, std::function<policy::PolicyPtr()> current_policy)
    : current_policy_(std::move(current_policy)) {
  attempts_ = &prometheus::BuildCounter()
                   .Name("sbc_call_attempts_total")
                   .Help(
                       "Calls received from a peer (inbound) and INVITEs sent to a peer "
                       "(outbound, one per candidate tried)")
                   .Register(r);
  answers_ = &prometheus::BuildCounter()
                  .Name("sbc_call_answers_total")
                  .Help(
                      "Call attempts answered (2xx), per peer and direction: ASR is this over "
                      "sbc_call_attempts_total")
                  .Register(r);
  failures_ = &prometheus::BuildCounter()
                   .Name("sbc_call_failures_total")
                   .Help(
                       "Call attempts that ended with a final response of 3xx-6xx, by class "
                       "(inbound: what the caller heard; outbound: what the peer answered)")
                   .Register(r);
  media_ended_ = &prometheus::BuildCounter()
                      .Name("sbc_call_media_timeouts_total")
                      .Help(
                          "Calls the SBC ended because media stopped (reason media_idle: both "
                          "ways; one_way: one side silent)")
                      .Register(r);
  session_expired_ = &prometheus::BuildCounter()
                          .Name("sbc_call_session_timer_expiries_total")
                          .Help(
                              "Calls the SBC ended because a leg's session timer expired with no "
                              "refresh (RFC 4028), or the peer lost the dialog on a refresh")
                          .Register(r);
  answer_delay_ = &prometheus::BuildHistogram()
                       .Name("sbc_call_answer_delay_seconds")
                       .Help(
                           "Time from the INVITE's arrival to the answer, per peer that answered "
                           "(includes ringing; not post-dial delay)")
                       .Register(r);
  post_dial_delay_ = &prometheus::BuildHistogram()
                          .Name("sbc_call_post_dial_delay_seconds")
                          .Help(
                              "Time from the INVITE's arrival to the first 180/183, per peer "
                              "that rang (calls that never rang are not counted)")
                          .Register(r);
  channels_max_.family = &prometheus::BuildGauge()
                              .Name("sbc_channels_max")
                              .Help(
                                  "Channel cap (concurrent calls) of a peer from the policy; peers "
                                  "without a cap have no series")
                              .Register(r);
  starts_ = &prometheus::BuildCounter()
                 .Name("sbc_call_starts_total")
                 .Help(
                     "Calls that started with a peer (calls it sent us and were admitted, "
                     "INVITEs sent to it), emergency calls included: rate() is its calls per "
                     "second")
                 .Register(r);
  cps_max_.family =
      &prometheus::BuildGauge()
           .Name("sbc_cps_max")
           .Help(
               "Calls-per-second cap of a peer from the policy; peers without a cap have "
               "no series")
           .Register(r);
  sync_policy();
}

void CallMetrics::call_started(const std::string& peer) {
  starts_->Add({{"peer", peer}}).Increment();
}

const char* CallMetrics::code_class(int status) {
  if (status >= 200 && status < 300) return "2xx";
  if (status >= 300 && status < 700) return kClasses[status / 100 - 3];
  return "";
}

std::pair<std::string, int> CallMetrics::split_attempt(const std::string& attempt) {
  auto colon = attempt.rfind(':');
  if (colon == std::string::npos) return {attempt, 0};
  char* end = nullptr;
  long status = std::strtol(attempt.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || colon + 1 == attempt.size()) status = 0;
  return {attempt.substr(0, colon), static_cast<int>(status)};
}

void CallMetrics::sync_policy() {
  policy::PolicyPtr p = current_policy_();
  if (!p || p == synced_) return;
  synced_ = p;
  for (const auto& peer : p->peers) {
    if (peer.kind == policy::PeerKind::trunk) {
      for (const char* d : kDirections) {
        attempts_->Add({{"peer", peer.name}, {"direction", d}});
        answers_->Add({{"peer", peer.name}, {"direction", d}});
        for (const char* c : kClasses)
          failures_->Add({{"peer", peer.name}, {"direction", d}, {"code_class", c}});
        for (const char* m : kMediaEnds)
          media_ended_->Add({{"peer", peer.name}, {"direction", d}, {"reason", m}});
        session_expired_->Add({{"peer", peer.name}, {"direction", d}});
      }
      starts_->Add({{"peer", peer.name}});
      answer_delay_->Add({{"peer", peer.name}}, kAnswerDelayBuckets);
      post_dial_delay_->Add({{"peer", peer.name}}, kPostDialDelayBuckets);
    }
    channels_max_.set(peer.name, peer.channels.max);
    cps_max_.set(peer.name, peer.cps.rate);
  }
  channels_max_.keep_only(*p);
  cps_max_.keep_only(*p);
}

void CallMetrics::CapSeries::set(const std::string& peer, double cap) {
  auto it = by_peer.find(peer);
  if (cap > 0) {
    if (it == by_peer.end()) it = by_peer.emplace(peer, &family->Add({{"peer", peer}})).first;
    it->second->Set(cap);
  } else if (it != by_peer.end()) {
    family->Remove(it->second);
    by_peer.erase(it);
  }
}

void CallMetrics::CapSeries::keep_only(const policy::Policy& p) {
  for (auto it = by_peer.begin(); it != by_peer.end();) {
    bool kept = false;
    for (const auto& peer : p.peers) kept |= peer.name == it->first;
    if (kept) {
      ++it;
    } else {
      family->Remove(it->second);
      it = by_peer.erase(it);
    }
  }
}

void CallMetrics::count(const std::string& peer, const char* direction, int status, bool answered) {
  attempts_->Add({{"peer", peer}, {"direction", direction}}).Increment();
  if (answered) {
    answers_->Add({{"peer", peer}, {"direction", direction}}).Increment();
    return;
  }
  const char* c = code_class(status);
  // No final response at all (a CANCEL before any, a timeout) counts as an
  // attempt without an answer or a class.
  if (*c && c[0] != '2')
    failures_->Add({{"peer", peer}, {"direction", direction}, {"code_class", c}}).Increment();
}

void CallMetrics::call_ended(const CallRecord& r) {
  sync_policy();
  const std::string source = r.source_peer.empty() ? "unidentified" : r.source_peer;
  count(source, "inbound", r.final_status, r.answered);
  for (const auto& a : r.attempts) {
    auto [peer, status] = split_attempt(a);
    count(peer, "outbound", status, status >= 200 && status < 300);
  }
  if (r.answered && !r.destination_peer.empty() && r.answer >= r.setup)
    answer_delay_->Add({{"peer", r.destination_peer}}, kAnswerDelayBuckets)
        .Observe(std::chrono::duration<double>(r.answer - r.setup).count());
  if (!r.rang_peer.empty() && r.ringing >= r.setup)
    post_dial_delay_->Add({{"peer", r.rang_peer}}, kPostDialDelayBuckets)
        .Observe(std::chrono::duration<double>(r.ringing - r.setup).count());
  for (const char* m : kMediaEnds) {
    if (r.ended_by != m) continue;
    media_ended_->Add({{"peer", source}, {"direction", "inbound"}, {"reason", m}}).Increment();
    if (!r.destination_peer.empty())
      media_ended_->Add({{"peer", r.destination_peer}, {"direction", "outbound"}, {"reason", m}})
          .Increment();
  }
  // Only the peer whose leg's session timer ran out: the other refreshed.
  if (r.ended_by == "session_timer" && r.session_timer_leg == "a")
    session_expired_->Add({{"peer", source}, {"direction", "inbound"}}).Increment();
  if (r.ended_by == "session_timer" && r.session_timer_leg == "b" && !r.destination_peer.empty())
    session_expired_->Add({{"peer", r.destination_peer}, {"direction", "outbound"}}).Increment();
}

}  // namespace sbc::controlplane
