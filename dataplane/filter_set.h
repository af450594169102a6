// What the acl and police stages enforce, in the dataplane's terms: ACL rules
// (first match wins) giving deny or a trust class, and the punt rate of each
// trust class. Built from a policy by the control thread (filters_from_policy)
// and handed to Dataplane::apply_filters, which builds the rte_acl context
// aside and swaps it in. No DPDK here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "dataplane/trust_class.h"
#include "policy/policy.h"
#include "policy/resolved_sources.h"

namespace sbc::dataplane {

struct AclRule {
  bool deny = false;
  Ipv4Prefix source;     // 0.0.0.0/0: every source
  int leg = -1;          // leg index; -1: every leg
  uint8_t protocol = 0;  // IP protocol (6 tcp, 17 udp); 0: any (ARP and ICMP included)
  uint16_t port_lo = 0, port_hi = 65535;  // destination port on the SBC
  uint8_t trust_class = 0;                // allow only: index into FilterSet::classes
  std::string origin;                     // "security.acl[3]", "peer carrier-a": for logs and tests
};

struct TrustClassRate {
  std::string name;
  uint32_t rate = 0;   // packets per second per source punted to the control plane
  uint32_t burst = 0;  // packets a source may send at once
};

struct FilterSet {
  std::vector<AclRule> rules;
  std::vector<TrustClassRate> classes;  // at most kMaxTrustClasses
  uint8_t default_class = 0;            // sources no rule and no override names
  // Class given to a source whose phone authenticated (promotion), and to an
  // IP-authenticated trunk's addresses; both fall back to default_class.
  uint8_t registered_class = 0;
  uint8_t trunk_class = 0;
  // Cap on everything the default class punts, all its sources together, per
  // worker: a flood from many addresses cannot starve trusted peers.
  uint32_t untrusted_cap_rate = 2000;
  uint32_t untrusted_cap_burst = 4000;

  int find_class(std::string_view name) const;
};

// The policy's security.acl entries in order, after one allow rule per
// prefix of every IP-authenticated trunk (on its leg, in the trunk class):
// a trunk stays trusted even under a catch-all deny entry. Fails when the
// policy names more trust classes than the dataplane has buckets for.
// resolved: the addresses trunks known by DNS name resolved to, trusted like
// their fixed prefixes would be (null: none).
Result<FilterSet> filters_from_policy(const policy::Policy& p,
                                      const policy::ResolvedSources* resolved = nullptr);

}  // namespace sbc::dataplane
