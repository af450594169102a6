// Keeps phones behind NAT reachable (issue: NAT traversal): every binding
// registered from behind NAT gets an OPTIONS at the policy's nat_keepalive
// interval, sent to where its REGISTER really came from (the router's public
// address and port), so the router's UDP mapping stays open and calls can
// reach the phone. Work is spread over one-second ticks and capped per tick,
// so ten thousand NATed phones never make one burst.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>

#include "controlplane/event_loop.h"
#include "controlplane/monotonic_clock.h"
#include "controlplane/options_ping.h"
#include "controlplane/registrar/location_store.h"
#include "policy/policy.h"

namespace sbc::controlplane {

struct NatKeepaliveCounters {
  uint64_t sent = 0, answered = 0, unanswered = 0;
};

class NatKeepalive {
 public:
  using AgentForLeg = std::function<nta_agent_t*(const std::string& leg)>;

  NatKeepalive(EventLoop& loop, const registrar::LocationStore& store, AgentForLeg agents,
               std::function<policy::PolicyPtr()> current_policy, std::string realm);
  ~NatKeepalive();
  Status start(std::chrono::milliseconds tick = std::chrono::milliseconds(1000),
               size_t max_per_tick = 2000);

  const NatKeepaliveCounters& counters() const { return counters_; }
  void on_result(std::function<void()> f) { on_result_ = std::move(f); }

 private:
  void tick();

  EventLoop& loop_;
  const registrar::LocationStore& store_;
  AgentForLeg agents_;
  std::function<policy::PolicyPtr()> current_policy_;
  std::string realm_;
  SteadyClock clock_;
  OptionsPing ping_;
  EventLoop::TimerId timer_ = -1;
  size_t max_per_tick_ = 2000;
  std::unordered_map<std::string, MonoTime> last_sent_;  // per binding key, AOR-qualified
  NatKeepaliveCounters counters_;
  std::function<void()> on_result_;
};

}  // namespace sbc::controlplane
