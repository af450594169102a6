#include "dataplane/flow_offload.h"

#include <rte_errno.h>

#include <cstring>

#include "dataplane/flow_rules.h"

namespace sbc::dataplane {

FlowOffload::FlowOffload(std::vector<std::pair<uint16_t, std::string>> ports)
    : ports_(std::move(ports)) {
  for (const auto& [id, leg] : ports_) states_.push_back({leg, "deny", false, false, ""});
}

FlowOffload::~FlowOffload() {
  for (auto& [key, flows] : installed_)
    for (auto& [port, flow] : flows) {
      rte_flow_error err{};
      rte_flow_destroy(port, flow, &err);
    }
}

std::vector<std::string> FlowOffload::add_deny(Ipv4Prefix prefix, uint16_t src_port) {
  std::vector<std::string> fell_back;
  const Key key{prefix.network().address.value, prefix.length, src_port};
  remove_deny(prefix, src_port);  // a replaced entry: its rules again
  auto rules = deny_flow_rules(prefix, src_port);
  auto& flows = installed_[key];
  for (size_t i = 0; i < ports_.size(); ++i) {
    OffloadState& st = states_[i];
    if (st.tried && !st.offloaded) continue;  // refused once: software only
    const uint16_t port = ports_[i].first;
    std::vector<rte_flow*> made;
    std::string failure;
    for (const auto& r : rules) {
      rte_flow_error err{};
      std::memset(&err, 0, sizeof err);
      rte_flow* f = rte_flow_create(port, &r->attr, r->pattern.data(), r->actions.data(), &err);
      if (!f) {
        failure = "rte_flow_create: " + std::string(err.message ? err.message : "refused") + " (" +
                  rte_strerror(rte_errno) + ")";
        break;
      }
      made.push_back(f);
    }
    st.tried = true;
    if (!failure.empty()) {
      for (rte_flow* f : made) {
        rte_flow_error err{};
        rte_flow_destroy(port, f, &err);
      }
      // Rules already on this port stay valid but the port is no longer
      // complete: take them off, software holds everything.
      for (auto& [k, fl] : installed_) {
        for (auto it = fl.begin(); it != fl.end();) {
          if (it->first == port) {
            rte_flow_error err{};
            rte_flow_destroy(port, it->second, &err);
            it = fl.erase(it);
          } else {
            ++it;
          }
        }
      }
      st.offloaded = false;
      st.reason = failure;
      fell_back.push_back(st.leg);
      continue;
    }
    st.offloaded = true;
    for (rte_flow* f : made) flows.push_back({port, f});
  }
  if (flows.empty()) installed_.erase(key);
  return fell_back;
}

void FlowOffload::remove_deny(Ipv4Prefix prefix, uint16_t src_port) {
  auto it = installed_.find(Key{prefix.network().address.value, prefix.length, src_port});
  if (it == installed_.end()) return;
  for (auto& [port, flow] : it->second) {
    rte_flow_error err{};
    rte_flow_destroy(port, flow, &err);
  }
  installed_.erase(it);
}

}  // namespace sbc::dataplane
