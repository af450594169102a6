#include "dataplane/flow_offload.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mtr.h>

#include <cerrno>
#include <cstring>

namespace sbc::dataplane {
namespace {

const char* kKindNames[] = {"deny", "pinhole", "meter"};

// rte_mtr objects per port: one profile, one policy, one meter, so fixed ids.
constexpr uint32_t kMeterProfileId = 1;
constexpr uint32_t kMeterPolicyId = 1;
constexpr uint32_t kMeterId = 1;
// Trusted-source exemptions and SIP ports multiply: bound the meter's rules.
constexpr size_t kMaxMeterRules = 256;

// A PMD without the API answers ENOSYS (ethdev has no ops for it) or
// ENOTSUP: say "not supported" and by which driver, then the call's words.
std::string reason(const std::string& driver, const char* call, int errnum, const char* message) {
  std::string r;
  if (errnum == ENOSYS || errnum == ENOTSUP) r = "not supported by " + driver + ": ";
  return r + call + ": " + (message ? message : "refused") + " (" + rte_strerror(errnum) + ")";
}

std::string driver_of(uint16_t port) {
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(port, &info) != 0 || !info.driver_name)
    return "port " + std::to_string(port);
  return info.driver_name;
}

void destroy_flow(uint16_t port, rte_flow* f) {
  rte_flow_error err{};
  rte_flow_destroy(port, f, &err);
}

}  // namespace

FlowOffload::FlowOffload(std::vector<OffloadPort> ports, uint32_t pinhole_cap)
    : pinhole_cap_(pinhole_cap) {
  for (auto& p : ports) {
    for (const char* kind : kKindNames) {
      OffloadState st;
      st.leg = p.leg;
      st.rule_kind = kind;
      states_.push_back(std::move(st));
    }
    PortState ps;
    ps.port = std::move(p);
    ports_.push_back(std::move(ps));
  }
}

FlowOffload::~FlowOffload() {
  for (auto& [key, flows] : deny_)
    for (auto& [leg, flow] : flows) destroy_flow(ports_[leg].port.port_id, flow);
  for (auto& [index, r] : pinholes_)
    if (r.handle) destroy_flow(ports_[r.leg].port.port_id, r.handle);
  for (unsigned i = 0; i < ports_.size(); ++i) destroy_meter(i);
}

Result<std::vector<rte_flow*>> FlowOffload::create_all(
    uint16_t port, const std::vector<std::unique_ptr<FlowRule>>& rules) {
  std::vector<rte_flow*> made;
  for (const auto& r : rules) {
    rte_flow_error err;
    std::memset(&err, 0, sizeof err);
    rte_flow* f = rte_flow_create(port, &r->attr, r->pattern.data(), r->actions.data(), &err);
    if (!f) {
      for (rte_flow* done : made) destroy_flow(port, done);
      return make_error(reason(driver_of(port), "rte_flow_create", rte_errno, err.message));
    }
    made.push_back(f);
  }
  return made;
}

void FlowOffload::refuse(unsigned leg, Kind k, std::string reason) {
  PortState& p = ports_[leg];
  const uint16_t port = p.port.port_id;
  p.refused[k] = true;
  // Rules already on this port stay valid but the port is no longer
  // complete for this kind: take them off, software holds everything.
  if (k == kDeny) {
    for (auto& [key, flows] : deny_)
      std::erase_if(flows, [&](const auto& lf) {
        if (lf.first != leg) return false;
        destroy_flow(port, lf.second);
        return true;
      });
    std::erase_if(deny_, [](const auto& kv) { return kv.second.empty(); });
  } else if (k == kPinhole) {
    for (auto& [index, r] : pinholes_)
      if (r.leg == leg && r.handle) {
        destroy_flow(port, r.handle);
        r.handle = nullptr;
      }
  } else {
    destroy_meter(leg);
  }
  OffloadState& st = state(leg, k);
  st.tried = true;
  st.offloaded = false;
  st.rules = 0;
  st.reason = std::move(reason);
}

// ---- deny ----

void FlowOffload::add_deny(Ipv4Prefix prefix, uint16_t src_port) {
  remove_deny(prefix, src_port);  // a replaced entry: its rules again
  const DenyKey key{prefix.network().address.value, prefix.length, src_port};
  auto rules = deny_flow_rules(prefix, src_port);
  std::vector<std::pair<unsigned, rte_flow*>> flows;
  for (unsigned leg = 0; leg < ports_.size(); ++leg) {
    if (ports_[leg].refused[kDeny]) continue;
    auto made = create_all(ports_[leg].port.port_id, rules);
    if (!made) {
      refuse(leg, kDeny, made.error().message);
      continue;
    }
    OffloadState& st = state(leg, kDeny);
    st.tried = st.offloaded = true;
    st.rules += made->size();
    for (rte_flow* f : *made) flows.push_back({leg, f});
  }
  if (!flows.empty()) deny_[key] = std::move(flows);
}

void FlowOffload::remove_deny(Ipv4Prefix prefix, uint16_t src_port) {
  auto it = deny_.find(DenyKey{prefix.network().address.value, prefix.length, src_port});
  if (it == deny_.end()) return;
  for (auto& [leg, flow] : it->second) {
    destroy_flow(ports_[leg].port.port_id, flow);
    --state(leg, kDeny).rules;
  }
  deny_.erase(it);
}

// ---- pinholes ----

Status FlowOffload::read_rss(PortState& p) {
  p.rss_read = true;
  if (p.port.rx_queues <= 1) return ok_status();  // one queue: always 0
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(p.port.port_id, &info);
  if (rc != 0) return make_error(std::string("rte_eth_dev_info_get: ") + rte_strerror(-rc));
  if (info.reta_size == 0 || info.hash_key_size == 0)
    return make_error("the port reports no RSS redirection table");
  p.rss_key.assign(info.hash_key_size, 0);
  rte_eth_rss_conf conf{};
  conf.rss_key = p.rss_key.data();
  conf.rss_key_len = info.hash_key_size;
  rc = rte_eth_dev_rss_hash_conf_get(p.port.port_id, &conf);
  if (rc != 0)
    return make_error(std::string("rte_eth_dev_rss_hash_conf_get: ") + rte_strerror(-rc));
  std::vector<rte_eth_rss_reta_entry64> groups((info.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) /
                                               RTE_ETH_RETA_GROUP_SIZE);
  for (auto& g : groups) g.mask = ~uint64_t{0};
  rc = rte_eth_dev_rss_reta_query(p.port.port_id, groups.data(), info.reta_size);
  if (rc != 0) return make_error(std::string("rte_eth_dev_rss_reta_query: ") + rte_strerror(-rc));
  p.reta.clear();
  for (unsigned i = 0; i < info.reta_size; ++i)
    p.reta.push_back(groups[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE]);
  return ok_status();
}

void FlowOffload::set_pinhole(uint32_t index, unsigned leg, PinholeFlow f) {
  if (leg >= ports_.size()) return;
  PortState& p = ports_[leg];
  if (!p.rss_read)
    if (auto s = read_rss(p); !s) refuse(leg, kPinhole, "RSS: " + s.error().message);
  f.queue = rss_queue(p.rss_key, p.reta, f.remote, f.remote_port, f.local, f.local_port);
  auto it = pinholes_.find(index);
  if (it != pinholes_.end() && it->second.leg == leg && it->second.flow == f) return;
  remove_pinhole(index);
  PinholeRule& r = pinholes_[index];
  r.leg = leg;
  r.flow = f;
  if (p.refused[kPinhole]) return;  // software only; remembered for nothing else
  OffloadState& st = state(leg, kPinhole);
  if (st.rules >= pinhole_cap_) {
    ++st.cap_hits;
    return;
  }
  std::vector<std::unique_ptr<FlowRule>> rules;
  rules.push_back(pinhole_flow_rule(f));
  auto made = create_all(p.port.port_id, rules);
  if (!made) {
    refuse(leg, kPinhole, made.error().message);
    return;
  }
  r.handle = made->front();
  st.tried = st.offloaded = true;
  ++st.rules;
}

void FlowOffload::remove_pinhole(uint32_t index) {
  auto it = pinholes_.find(index);
  if (it == pinholes_.end()) return;
  if (it->second.handle) {
    destroy_flow(ports_[it->second.leg].port.port_id, it->second.handle);
    --state(it->second.leg, kPinhole).rules;
  }
  pinholes_.erase(it);
}

// ---- meter ----

void FlowOffload::destroy_meter(unsigned leg) {
  PortState& p = ports_[leg];
  const uint16_t port = p.port.port_id;
  for (rte_flow* f : p.meter_flows) destroy_flow(port, f);
  p.meter_flows.clear();
  if (!p.meter_installed) return;
  rte_mtr_error err{};
  rte_mtr_destroy(port, kMeterId, &err);
  rte_mtr_meter_policy_delete(port, kMeterPolicyId, &err);
  rte_mtr_meter_profile_delete(port, kMeterProfileId, &err);
  p.meter_installed = false;
}

Status FlowOffload::meter_capable(uint16_t port, uint32_t rate) {
  rte_mtr_capabilities caps{};
  rte_mtr_error err{};
  int rc = rte_mtr_capabilities_get(port, &caps, &err);
  if (rc != 0)
    return make_error(reason(driver_of(port), "rte_mtr_capabilities_get", -rc, err.message));
  if (caps.n_max == 0 || caps.meter_srtcm_rfc2697_n_max == 0)
    return make_error("rte_mtr: the port has no srTCM meter");
  if (!caps.srtcm_rfc2697_packet_mode_supported)
    return make_error("rte_mtr: the port's srTCM meters count bytes only, not packets");
  if (caps.meter_policy_n_max == 0) return make_error("rte_mtr: the port takes no meter policy");
  if (caps.meter_rate_max && rate > caps.meter_rate_max)
    return make_error("rte_mtr: rate " + std::to_string(rate) + " above the port's maximum");
  return ok_status();
}

Status FlowOffload::install_meter(unsigned leg, const PuntMeterBinding& b, uint32_t rate,
                                  uint32_t burst) {
  PortState& p = ports_[leg];
  const uint16_t port = p.port.port_id;
  auto rules = punt_meter_rules(b);
  rte_mtr_error err{};
  rte_mtr_meter_profile profile = punt_meter_profile(rate, burst);
  int rc = rte_mtr_meter_profile_add(port, kMeterProfileId, &profile, &err);
  if (rc != 0)
    return make_error(reason(driver_of(port), "rte_mtr_meter_profile_add", -rc, err.message));
  p.meter_installed = true;  // from here on destroy_meter undoes what exists
  auto policy = punt_meter_policy();
  rc = rte_mtr_meter_policy_add(port, kMeterPolicyId, &policy->params, &err);
  if (rc != 0)
    return make_error(reason(driver_of(port), "rte_mtr_meter_policy_add", -rc, err.message));
  rte_mtr_params params{};
  params.meter_profile_id = kMeterProfileId;
  params.meter_policy_id = kMeterPolicyId;
  params.meter_enable = 1;
  rc = rte_mtr_create(port, kMeterId, &params, 1 /* shared by the per-port rules */, &err);
  if (rc != 0) return make_error(reason(driver_of(port), "rte_mtr_create", -rc, err.message));
  auto made = create_all(port, rules);
  if (!made) return made.error();
  p.meter_flows = std::move(*made);
  return ok_status();
}

void FlowOffload::apply_meter(std::vector<PuntMeterBinding> bindings, uint32_t rate_per_queue,
                              uint32_t burst_per_queue, const std::string& not_offered) {
  for (unsigned leg = 0; leg < ports_.size() && leg < bindings.size(); ++leg) {
    PortState& p = ports_[leg];
    if (p.refused[kMeter]) continue;
    destroy_meter(leg);  // a reload: the new rate and exemptions replace the old
    PuntMeterBinding& b = bindings[leg];
    b.meter_id = kMeterId;
    b.rx_queues = p.port.rx_queues;
    // The police stage caps each worker; the NIC sees the port's sum.
    const uint32_t rate = rate_per_queue * p.port.rx_queues;
    const uint32_t burst = burst_per_queue * p.port.rx_queues;
    if (auto s = meter_capable(p.port.port_id, rate); !s) {
      refuse(leg, kMeter, s.error().message);  // the port's own limit: for good
      continue;
    }
    // The policy's reasons hold until a reload changes them: not a refusal.
    std::string skip = not_offered;
    if (skip.empty() && punt_meter_rules(b).size() > kMaxMeterRules)
      skip =
          "the trusted prefixes need more than " + std::to_string(kMaxMeterRules) + " meter rules";
    if (!skip.empty()) {
      OffloadState& st = state(leg, kMeter);
      st.tried = true;
      st.offloaded = false;
      st.rules = 0;
      st.reason = "not offered: " + skip;
      continue;
    }
    if (auto s = install_meter(leg, b, rate, burst); !s) {
      refuse(leg, kMeter, s.error().message);
      continue;
    }
    OffloadState& st = state(leg, kMeter);
    st.tried = st.offloaded = true;
    st.rules = p.meter_flows.size();
    st.reason.clear();
  }
}

}  // namespace sbc::dataplane
