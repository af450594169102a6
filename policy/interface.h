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

// Which TLS certificates the SBC checks against the listener's CA file
// (docs/policy.md "TLS").
enum class TlsVerify {
  none,     // encryption only: any certificate is accepted
  servers,  // the hosts the SBC connects to (trunks, registrars) must chain to a trusted CA
  all,      // also every client connecting to this listener (mutual TLS)
};

struct SipListener {
  SipTransport transport = SipTransport::udp;
  uint16_t port = 5060;
  // TLS only: the directory holding agent.pem (private key and certificate
  // chain, PEM) and, with verify != none, cafile.pem; absolute, resolved
  // against the policy file's directory when written relative.
  std::string certificates{};
  TlsVerify verify = TlsVerify::none;
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
const char* to_string(TlsVerify v);
// "udp", "tcp" or "tls" (as written in a policy); nullopt for anything else.
std::optional<SipTransport> parse_sip_transport(std::string_view text);

}  // namespace sbc::policy
