// Rules pushed to the NICs with rte_flow / rte_mtr where a port takes them:
// deny list entries (DROP), exact media pinholes (QUEUE to the worker already
// serving the stream) and the untrusted punt cap (an srTCM meter). The
// software stages stay the source of truth and always run; offload only
// saves the wire-to-CPU cost. A port is tried with rte_flow_create (never
// validate alone: FACTS.md) and rte_mtr_*; the first refusal of a rule kind
// takes that kind's rules off the port, marks it software with the PMD's
// reason, and the port is not tried again for that kind. Control thread only.
#pragma once

#include <rte_flow.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "dataplane/dataplane_stats.h"
#include "dataplane/flow_rules.h"

namespace sbc::dataplane {

// A leg's port as offload sees it.
struct OffloadPort {
  uint16_t port_id = 0;
  std::string leg;
  uint16_t rx_queues = 1;  // queues the workers poll (RSS spreads over them)
};

class FlowOffload {
 public:
  // ports: one per leg, in leg order. pinhole_cap: pinhole rules at most per
  // port (a NIC's flow table is finite and deny rules need room too).
  FlowOffload(std::vector<OffloadPort> ports, uint32_t pinhole_cap);
  ~FlowOffload();
  FlowOffload(const FlowOffload&) = delete;
  FlowOffload& operator=(const FlowOffload&) = delete;

  // Installs the entry's rules on every port still taking them.
  void add_deny(Ipv4Prefix prefix, uint16_t port);
  void remove_deny(Ipv4Prefix prefix, uint16_t port);

  // Pinhole `index` (pinhole table pool index) on leg `leg` now has an exact
  // remote: steer it (f.queue is filled in here, from the port's RSS). The
  // same flow again is a no-op; another replaces the rule.
  void set_pinhole(uint32_t index, unsigned leg, PinholeFlow f);
  void remove_pinhole(uint32_t index);

  // The untrusted punt cap (per worker, as the police stage applies it):
  // replaces any meter installed before (a reload). bindings: one per leg.
  // not_offered: why this policy must not be metered on the NIC (the port's
  // capabilities are still read, so a PMD without rte_mtr says so first);
  // empty: install where the port takes it.
  void apply_meter(std::vector<PuntMeterBinding> bindings, uint32_t rate_per_queue,
                   uint32_t burst_per_queue, const std::string& not_offered);

  // One per leg and kind: deny, pinhole, meter.
  const std::vector<OffloadState>& states() const { return states_; }

 private:
  enum Kind { kDeny, kPinhole, kMeter, kKinds };
  struct PortState {
    OffloadPort port;
    std::array<bool, kKinds> refused{};
    // RSS as the port hashes (read once, for pinhole queues).
    bool rss_read = false;
    std::vector<uint8_t> rss_key;
    std::vector<uint16_t> reta;
    // The meter objects and rules, when installed.
    bool meter_installed = false;
    std::vector<rte_flow*> meter_flows;
  };
  struct PinholeRule {
    unsigned leg = 0;
    PinholeFlow flow;
    rte_flow* handle = nullptr;
  };
  using DenyKey = std::tuple<uint32_t, uint8_t, uint16_t>;

  OffloadState& state(unsigned leg, Kind k) { return states_[leg * kKinds + k]; }
  // All rules on the port, or none and the PMD's reason.
  Result<std::vector<rte_flow*>> create_all(uint16_t port,
                                            const std::vector<std::unique_ptr<FlowRule>>& rules);
  // The port refused a rule of kind k: take that kind off it for good.
  void refuse(unsigned leg, Kind k, std::string reason);
  void destroy_meter(unsigned leg);
  Status read_rss(PortState& p);
  Status meter_capable(uint16_t port, uint32_t rate);
  Status install_meter(unsigned leg, const PuntMeterBinding& b, uint32_t rate, uint32_t burst);

  std::vector<PortState> ports_;
  uint32_t pinhole_cap_;
  std::vector<OffloadState> states_;
  std::map<DenyKey, std::vector<std::pair<unsigned, rte_flow*>>> deny_;  // (leg, flow)
  std::map<uint32_t, PinholeRule> pinholes_;
};

}  // namespace sbc::dataplane
