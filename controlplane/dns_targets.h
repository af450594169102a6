// What a trunk's DNS name resolves to, and the pure decisions over it
// (RFC 3263 4.2 and RFC 2782): which name to ask for SRV, how SRV targets are
// ordered, how long an answer is kept, where the next request goes. The
// resolver (trunk_resolver.h) feeds these from Sofia's sresolv.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "policy/duration.h"
#include "policy/interface.h"

namespace sbc::controlplane {

// One place to send to: an SRV record's target with the addresses its A
// records gave (or, with no SRV, the name itself at the default port).
struct DnsTarget {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 5060;
  std::string host;
  std::vector<Ipv4Address> addresses;
  friend bool operator==(const DnsTarget&, const DnsTarget&) = default;
};

struct Endpoint {
  Ipv4Address address;
  uint16_t port = 5060;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  std::string to_string() const { return address.to_string() + ":" + std::to_string(port); }
};

// A uniform random number in [0, bound]; injected so tests are exact.
using RandomUpTo = std::function<uint32_t(uint32_t bound)>;

// "_sip._udp.NAME", "_sip._tcp.NAME" or "_sips._tcp.NAME" (RFC 3263 4.2).
std::string srv_name(const std::string& host, policy::SipTransport transport);
// The port when there is no SRV record and none was written: 5061 for TLS.
uint16_t default_port(policy::SipTransport transport);

// RFC 2782 order: ascending priority; within one priority, each next target
// drawn at random with probability proportional to its weight (weight 0
// ones first in the running list, so they are picked only rarely).
std::vector<DnsTarget> order_srv(std::vector<DnsTarget> targets, const RandomUpTo& random);

// A record's TTL held within [floor, ceiling].
std::chrono::seconds clamp_ttl(uint32_t ttl_seconds, policy::Duration floor,
                               policy::Duration ceiling);

// Where the next request goes: the first address of the first target, in
// RFC 2782 order, that has any; none if no target resolved to an address.
std::optional<Endpoint> next_endpoint(const std::vector<DnsTarget>& targets,
                                      const RandomUpTo& random);

}  // namespace sbc::controlplane
