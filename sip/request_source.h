// Where a request really came from: the transport's source address and port
// (not what the Via claims), and the transport. The registrar's NAT detection
// and the B2BUA's peer identification both start from this.
#pragma once

#include <sofia-sip/nta.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/ip_address.h"

namespace sbc::sip {

struct RequestSource {
  Ipv4Address address;
  uint16_t port = 0;
  std::string transport;  // "udp", "tcp", "tls"
};

// nullopt for a non-IPv4 source (not supported yet) or a request without
// transport information.
std::optional<RequestSource> request_source(nta_incoming_t* irq);

}  // namespace sbc::sip
