// sbcd's side of the B2BUA: builds the call logic (B2bua) over the nta
// signalling adapter, the event loop's timers and the dataplane (the DPDK
// one, or FakeDataplane in control-plane-only mode, where media is not
// relayed), writes call records, publishes call metrics and answers
// `sbcctl calls`.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "controlplane/admin_server.h"
#include "controlplane/admission.h"
#include "controlplane/b2bua.h"
#include "controlplane/call_rate_window.h"
#include "controlplane/call_record_log.h"
#include "controlplane/event_loop.h"
#include "controlplane/loop_timers.h"
#include "controlplane/metrics_registry.h"
#include "controlplane/nta_call_signalling.h"
#include "controlplane/peer_health.h"
#include "controlplane/peer_last_failure.h"
#include "controlplane/registrar/clock.h"
#include "controlplane/registrar/digest_authenticator.h"
#include "controlplane/registrar_service.h"
#include "controlplane/trunk_resolver.h"
#include "dataplane/dataplane.h"
#include "dataplane/fake_dataplane.h"

namespace prometheus {
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace sbc::controlplane {

struct CallServiceOptions {
  // Overrides the policy's timers.failover (sbcd --failover-timeout).
  std::optional<std::chrono::milliseconds> no_provisional_timeout;
  std::string call_records_path;  // empty: no call records file
  std::string realm = "sbc";      // of the 407 challenges
  bool offer_sha256 = true;       // digest algorithms offered (sipp knows MD5 only)
  bool offer_md5 = true;
  // True while the control plane sheds new non-emergency calls (503); unset: never.
  std::function<bool()> overloaded;
};

class CallService {
 public:
  // dataplane: the DPDK one, or null for control-plane-only mode (a
  // FakeDataplane then hands out ports and nothing is relayed). registrar:
  // where phones are found (null: phones are never reachable). health: OPTIONS
  // probing verdicts; an unhealthy trunk is skipped (null: all healthy).
  // resolver: trunks named by DNS (null: such trunks are never reachable).
  static Result<std::unique_ptr<CallService>> start(
      const CallServiceOptions& options, EventLoop& loop, MetricsRegistry& metrics,
      const std::vector<std::unique_ptr<sip::SipAgent>>& agents,
      std::function<policy::PolicyPtr()> current_policy, dataplane::Dataplane* dataplane,
      RegistrarService* registrar, const PeerHealth* health, const TrunkResolver* resolver);
  ~CallService();

  // An INVITE outside a dialog, past sip::check_request.
  int on_invite(const std::string& leg, nta_incoming_t* irq, const sip_t* sip);
  void on_dataplane_event(const dataplane::DataplaneEvent& e);
  // Reopens the call records file (after logrotate moved it).
  Status reopen_records();
  void register_admin_commands(AdminServer& admin);
  bool media_relayed() const { return !fake_; }
  const B2bua& b2bua() const { return *b2bua_; }
  // For `sbcctl peers`: calls per second now and the last failure, per peer.
  const CallRateWindow& call_rate() const { return call_rate_; }
  const PeerLastFailures& last_failures() const { return last_failures_; }

 private:
  explicit CallService(EventLoop& loop);
  void on_record(const CallRecord& r);
  void schedule_refresh();
  void refresh_gauges();
  admin::Reply calls_command(const std::vector<std::string>& args) const;
  admin::Reply drain_command(const std::vector<std::string>& args);

  EventLoop& loop_;
  CallServiceOptions options_;
  std::function<policy::PolicyPtr()> current_policy_;
  SteadyClock clock_;
  CallRateWindow call_rate_{clock_};
  PeerLastFailures last_failures_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<LoopTimers> timers_;
  std::pair<uint64_t, uint64_t> media_packets(const Call* c) const;
  std::unique_ptr<dataplane::FakeDataplane> fake_;
  dataplane::Dataplane* dataplane_ = nullptr;  // the DPDK one or fake_
  registrar::SystemClock wall_clock_;          // nonce expiry
  registrar::NonceKey nonce_key_{};
  std::unique_ptr<registrar::DigestAuthenticator> auth_;
  std::unique_ptr<NtaCallSignalling> signalling_;
  std::unique_ptr<B2bua> b2bua_;
  CallRecordLog records_;
  EventLoop::TimerId refresh_timer_ = -1;  // a pending gauge refresh, -1 if none
  EventLoop::TimerId periodic_ = -1;

  prometheus::Family<prometheus::Counter>* calls_total_ = nullptr;
  prometheus::Gauge* calls_active_ = nullptr;
  prometheus::Gauge* draining_ = nullptr;
  bool drained_logged_ = false;  // "drained" said once per drain
  prometheus::Family<prometheus::Gauge>* channels_active_ = nullptr;
  std::map<std::string, prometheus::Gauge*> channel_gauges_;  // peers that ever held a channel
  // The signalling layer's RFC 3262 counts, published at each refresh by
  // their increase since the last one.
  struct PublishedCount {
    prometheus::Counter* counter = nullptr;
    uint64_t NtaCallSignallingCounters::*field = nullptr;
    uint64_t published = 0;
  };
  std::vector<PublishedCount> rel100_;
};

}  // namespace sbc::controlplane
