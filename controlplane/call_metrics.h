// Per-peer call metrics, fed from call records: what Prometheus needs for
// answer-seizure ratio (ASR) per trunk, failures by final-code class, how
// long calls take to be answered, calls ended because media stopped or a
// session timer expired (RFC 4028), the channel caps that
// `sbc_channels_active` is compared against, and calls started per peer
// (rate() of it: calls per second) with the CPS caps.
//
// Both ends of a call count: the peer it came from (direction "inbound") and
// every peer an INVITE was sent to (direction "outbound", one attempt per
// candidate tried, failover included). Labels are peer names from the policy
// (plus "unidentified" for callers no peer matched), so the series are
// bounded by the policy's peer count; series of trunks are pre-created so
// rate() starts from zero.
//
// Runs on the event loop thread; prometheus-cpp's objects are read by the
// exposer's thread on their own.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "controlplane/call.h"
#include "policy/policy.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace sbc::controlplane {

class CallMetrics {
 public:
  CallMetrics(prometheus::Registry& registry, std::function<policy::PolicyPtr()> current_policy);

  // At the end of every call, refused ones included (B2bua::on_call_ended).
  void call_ended(const CallRecord& r);
  // A call admitted against `peer`'s calls-per-second budget as it starts
  // (Admission::on_call_start): inbound from it or outbound to it.
  void call_started(const std::string& peer);
  // Pre-creates the trunks' series and sets every capped peer's channel cap
  // from the policy in force; does nothing when the policy has not changed
  // since the last call. Called on a timer and at every call end.
  void sync_policy();

  // "2xx" ... "6xx" for a final status; "" for anything else (no response).
  static const char* code_class(int status);
  // "carrier-a:503" -> {"carrier-a", 503}; status 0 when unreadable.
  static std::pair<std::string, int> split_attempt(const std::string& attempt);

 private:
  void count(const std::string& peer, const char* direction, int status, bool answered);

  std::function<policy::PolicyPtr()> current_policy_;
  policy::PolicyPtr synced_;  // the policy sync_policy() last saw (held: no address reuse)
  prometheus::Family<prometheus::Counter>* attempts_;
  prometheus::Family<prometheus::Counter>* answers_;
  prometheus::Family<prometheus::Counter>* failures_;
  prometheus::Family<prometheus::Counter>* media_ended_;
  prometheus::Family<prometheus::Counter>* session_expired_;
  prometheus::Family<prometheus::Histogram>* answer_delay_;
  prometheus::Family<prometheus::Histogram>* post_dial_delay_;
  prometheus::Family<prometheus::Counter>* starts_;
  // A cap from the policy per peer: a series only for peers with a cap,
  // following reloads (a lifted cap or a removed peer loses its series
  // rather than keep a stale one).
  struct CapSeries {
    prometheus::Family<prometheus::Gauge>* family = nullptr;
    std::map<std::string, prometheus::Gauge*> by_peer;
    void set(const std::string& peer, double cap);
    void keep_only(const policy::Policy& p);
  };
  CapSeries channels_max_, cps_max_;
};

}  // namespace sbc::controlplane
