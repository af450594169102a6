// Is a registering phone behind NAT, and where do we reach it?
// Compares what the phone says about itself (top Via sent-by, Contact) with
// where its packets really come from (the received source).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/ip_address.h"
#include "controlplane/registrar/source.h"

namespace sbc::registrar {

// RFC 1918, CGNAT 100.64/10, loopback, link-local, 0/8, 192.0.0/24, the
// documentation and benchmarking ranges (RFC 6890), multicast and 240/4:
// addresses a phone can own but we cannot route to from the outside.
bool is_private_or_reserved(Ipv4Address a);

struct NatInput {
  std::string_view via_host;         // top Via sent-by host (IP literal or name)
  std::optional<uint16_t> via_port;  // absent: the transport's default
  std::string_view contact_host;     // "" for Contact: * or a query
  std::optional<uint16_t> contact_port;
  Source received;
};

enum NatReason : uint32_t {
  kNatViaAddress = 1u << 0,      // Via host is not the source address (or a name)
  kNatViaPort = 1u << 1,         // UDP: Via port is not the source port
  kNatContactPrivate = 1u << 2,  // Contact is a private/reserved IP other than the source
  kNatContactPort = 1u << 3,     // UDP: Contact IP is the source but its port is not
};

struct NatResult {
  bool behind_nat = false;
  uint32_t reasons = 0;  // NatReason bits, for logs
  // Send requests for this phone here: the received source when behind NAT
  // (RFC 3581 symmetric response, and the connection for TCP/TLS); nullopt
  // means "use the Contact URI".
  std::optional<Source> reach;
};

NatResult detect_nat(const NatInput& in);

}  // namespace sbc::registrar
