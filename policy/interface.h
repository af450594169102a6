// A leg of the SBC: one network the SBC has an address on (DESIGN.md "Dataplane").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"

namespace sbc::policy {

enum class SipTransport { udp, tcp, tls };

struct SipListener {
  SipTransport transport = SipTransport::udp;
  uint16_t port = 5060;
  friend bool operator==(const SipListener&, const SipListener&) = default;
};

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  bool overlaps(const PortRange& o) const { return first <= o.last && o.first <= last; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct Interface {
  std::string name;
  // DPDK device: a PCI address ("0000:03:00.0") or vdev arguments
  // ("net_af_xdp0,iface=eth1"). Unused in control-plane-only mode.
  std::string port;
  Ipv4Prefix address;  // the SBC's address on this leg, with the leg's prefix length
  std::optional<Ipv4Address> gateway;
  uint16_t vlan = 0;  // 0: untagged
  std::vector<SipListener> sip;
  PortRange media_ports;
  friend bool operator==(const Interface&, const Interface&) = default;
};

const char* to_string(SipTransport t);
// "udp", "tcp" or "tls" (as written in a policy); nullopt for anything else.
std::optional<SipTransport> parse_sip_transport(std::string_view text);

}  // namespace sbc::policy
