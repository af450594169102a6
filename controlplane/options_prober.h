// OPTIONS probing of peers (issue: trunk health): each peer whose policy sets
// a probe interval and has an address is sent an OPTIONS from its leg's agent
// every interval; the answer (or its absence within the policy's
// probe_timeout) goes to PeerHealth.
#pragma once

#include <sofia-sip/nta.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "controlplane/dns_targets.h"
#include "controlplane/event_loop.h"
#include "controlplane/options_ping.h"
#include "controlplane/peer_health.h"
#include "policy/policy.h"

namespace sbc::controlplane {

class OptionsProber {
 public:
  using AgentForLeg = std::function<nta_agent_t*(const std::string& leg)>;
  using ChangeHook = std::function<void(const policy::Peer&, const PeerHealthState&)>;
  // Where a trunk named by DNS is probed now; nullopt: its name has no
  // address yet, so it is not probed (trunk_resolver.h).
  using NameLookup = std::function<std::optional<Endpoint>(const policy::Peer&)>;

  OptionsProber(EventLoop& loop, PeerHealth& health, AgentForLeg agents,
                std::function<policy::PolicyPtr()> current_policy, ChangeHook on_change,
                NameLookup names = nullptr);
  ~OptionsProber();
  Status start(std::chrono::milliseconds tick = std::chrono::milliseconds(100));

 private:
  void tick();
  void send(const policy::Peer& peer, const std::optional<Endpoint>& resolved);

  EventLoop& loop_;
  PeerHealth& health_;
  AgentForLeg agents_;
  std::function<policy::PolicyPtr()> current_policy_;
  ChangeHook on_change_;
  NameLookup names_;
  SteadyClock clock_;
  OptionsPing ping_;
  EventLoop::TimerId tick_timer_ = -1;
  std::map<std::string, MonoTime> next_due_;
  std::set<std::string> in_flight_;  // peers with a probe under way
};

}  // namespace sbc::controlplane
