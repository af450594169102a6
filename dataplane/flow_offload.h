// Deny list entries pushed to the NICs with rte_flow where a port takes
// them. The software deny stage stays the source of truth and always runs;
// offload only saves the wire-to-CPU cost. A port is tried with
// rte_flow_create (never validate alone: FACTS.md); the first refusal marks
// the port's deny rules as software, with the PMD's reason, and the port is
// not tried again. Control thread only.
#pragma once

#include <rte_flow.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/ip_address.h"
#include "dataplane/dataplane_stats.h"

namespace sbc::dataplane {

class FlowOffload {
 public:
  // (port id, leg name) of every leg's port.
  explicit FlowOffload(std::vector<std::pair<uint16_t, std::string>> ports);
  ~FlowOffload();
  FlowOffload(const FlowOffload&) = delete;
  FlowOffload& operator=(const FlowOffload&) = delete;

  // Installs the entry's rules on every port still taking them; returns the
  // legs whose state changed to software by this call (to be logged once).
  std::vector<std::string> add_deny(Ipv4Prefix prefix, uint16_t port);
  void remove_deny(Ipv4Prefix prefix, uint16_t port);
  const std::vector<OffloadState>& states() const { return states_; }

 private:
  using Key = std::tuple<uint32_t, uint8_t, uint16_t>;
  std::vector<std::pair<uint16_t, std::string>> ports_;
  std::vector<OffloadState> states_;  // one per port, rule kind "deny"
  std::map<Key, std::vector<std::pair<uint16_t, rte_flow*>>> installed_;
};

}  // namespace sbc::dataplane
