// The daemon: the event loop and everything registered on it (signals, the
// admin socket, metrics, SIP agents per leg), built from a policy. main()
// only parses options and calls Sbcd::start() then run().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "controlplane/admin_server.h"
#include "controlplane/call_service.h"
#include "controlplane/dataplane_service.h"
#include "controlplane/event_loop.h"
#include "controlplane/heap_trim.h"
#include "controlplane/metrics_registry.h"
#include "controlplane/nat_keepalive.h"
#include "controlplane/options_prober.h"
#include "controlplane/outbound_registrar.h"
#include "controlplane/overload_detector.h"
#include "controlplane/peer_health.h"
#include "controlplane/protection_service.h"
#include "controlplane/registrar_service.h"
#include "controlplane/sbcd_options.h"
#include "controlplane/signal_watcher.h"
#include "controlplane/silent_drop.h"
#include "controlplane/sres_dns_query.h"
#include "controlplane/trunk_resolver.h"
#include "policy/policy.h"
#include "sip/sip_agent.h"

namespace prometheus {
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace sbc::controlplane {

class Sbcd {
 public:
  static Result<std::unique_ptr<Sbcd>> start(const SbcdOptions& options);
  ~Sbcd();

  void run();  // until SIGTERM/SIGINT
  // Loads, validates and swaps the policy; the running one stays on failure.
  Status reload();

 private:
  explicit Sbcd(const SbcdOptions& options) : options_(options) {}
  Status start_sip();
  void register_admin_commands();
  void register_metrics();
  void register_registrar_metrics();
  int on_sip_request(const std::string& leg, nta_incoming_t* irq, const sip_t* sip);
  admin::Reply status_command(const std::vector<std::string>& args) const;
  admin::Reply debug_command(const std::vector<std::string>& args);
  // One sample of the event loop's lag probe: overload shedding on or off.
  void on_lag_sample(std::chrono::nanoseconds late);
  admin::Reply registrations_command(const std::vector<std::string>& args) const;
  admin::Reply peers_command(const std::vector<std::string>& args) const;
  Status start_trunk_resolver();
  Status start_health_probing();
  Status start_nat_keepalive();
  int drop_scanner(const std::string& leg, nta_incoming_t* irq, const sip_t* sip);
  void start_outbound_registration();
  nta_agent_t* agent_for_leg(const std::string& leg) const;

  SbcdOptions options_;
  policy::PolicyPtr policy_;
  std::chrono::system_clock::time_point policy_loaded_at_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::system_clock::time_point started_wall_;

  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<SignalWatcher> signals_;
  std::unique_ptr<AdminServer> admin_;
  MetricsRegistry metrics_;
  std::vector<std::unique_ptr<sip::SipAgent>> agents_;
  std::unique_ptr<RegistrarService> registrar_;
  SteadyClock steady_clock_;
  PeerHealth health_{steady_clock_};
  // Trunks and registrars named by DNS: sresolv on the loop, its timers.
  std::unique_ptr<LoopTimers> dns_timers_;
  std::unique_ptr<SresDnsQuery> dns_;
  std::unique_ptr<TrunkResolver> resolver_;
  std::unique_ptr<OptionsProber> prober_;
  std::unique_ptr<NatKeepalive> keepalive_;
  std::unique_ptr<OutboundRegistrar> outbound_;
  std::function<void()> publish_all_registration_states_;  // sbc_peer_registered, every phone
  std::function<void()> publish_dns_series_;     // sbc_peer_dns_*, every trunk named by DNS
  std::unique_ptr<DataplaneService> dataplane_;  // null in control-plane-only mode
  std::unique_ptr<ProtectionService> protection_;
  std::unique_ptr<CallService> calls_;

  prometheus::Family<prometheus::Counter>* sip_requests_ = nullptr;
  prometheus::Family<prometheus::Counter>* sip_rejected_ = nullptr;
  prometheus::Family<prometheus::Counter>* sip_dropped_ = nullptr;
  std::unique_ptr<SilentDrop> silent_;
  std::unique_ptr<HeapTrim> heap_trim_;
  OverloadDetector overload_{{}};
  std::set<std::string> dns_series_peers_;  // peers with sbc_peer_dns_* series
  prometheus::Gauge* overloaded_gauge_ = nullptr;
  prometheus::Counter* overload_episodes_ = nullptr;
  prometheus::Family<prometheus::Counter>* reloads_ = nullptr;
  prometheus::Gauge* last_reload_ = nullptr;
};

}  // namespace sbc::controlplane
