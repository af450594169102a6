#include "controlplane/dns_targets.h"

#include <algorithm>

namespace sbc::controlplane {

std::string srv_name(const std::string& host, policy::SipTransport transport) {
  switch (transport) {
    case policy::SipTransport::tcp:
      return "_sip._tcp." + host;
    case policy::SipTransport::tls:
      return "_sips._tcp." + host;
    case policy::SipTransport::udp:
      break;
  }
  return "_sip._udp." + host;
}

uint16_t default_port(policy::SipTransport transport) {
  return transport == policy::SipTransport::tls ? 5061 : 5060;
}

std::vector<DnsTarget> order_srv(std::vector<DnsTarget> targets, const RandomUpTo& random) {
  std::stable_sort(targets.begin(), targets.end(),
                   [](const DnsTarget& a, const DnsTarget& b) { return a.priority < b.priority; });
  std::vector<DnsTarget> out;
  out.reserve(targets.size());
  for (size_t begin = 0; begin < targets.size();) {
    size_t end = begin;
    while (end < targets.size() && targets[end].priority == targets[begin].priority) ++end;
    // One priority: zero weights first, then draw by running sums.
    std::vector<DnsTarget> group(targets.begin() + static_cast<long>(begin),
                                 targets.begin() + static_cast<long>(end));
    std::stable_partition(group.begin(), group.end(),
                          [](const DnsTarget& t) { return t.weight == 0; });
    while (!group.empty()) {
      uint32_t sum = 0;
      for (const auto& t : group) sum += t.weight;
      const uint32_t pick = random(sum);
      size_t chosen = group.size() - 1;
      uint32_t running = 0;
      for (size_t i = 0; i < group.size(); ++i) {
        running += group[i].weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      out.push_back(std::move(group[chosen]));
      group.erase(group.begin() + static_cast<long>(chosen));
    }
    begin = end;
  }
  return out;
}

std::chrono::seconds clamp_ttl(uint32_t ttl_seconds, policy::Duration floor,
                               policy::Duration ceiling) {
  auto lo = std::chrono::ceil<std::chrono::seconds>(floor);
  auto hi = std::chrono::floor<std::chrono::seconds>(ceiling);
  if (hi < lo) hi = lo;
  return std::clamp(std::chrono::seconds(ttl_seconds), lo, hi);
}

std::optional<Endpoint> next_endpoint(const std::vector<DnsTarget>& targets,
                                      const RandomUpTo& random) {
  for (const auto& t : order_srv(targets, random))
    if (!t.addresses.empty()) return Endpoint{t.addresses.front(), t.port};
  return std::nullopt;
}

}  // namespace sbc::controlplane
