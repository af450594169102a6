// Where a request came from, as the transport layer saw it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"

namespace sbc::registrar {

enum class Transport : uint8_t { kUdp, kTcp, kTls, kWs, kWss };

std::string_view transport_name(Transport t);
std::optional<Transport> parse_transport(std::string_view name);  // case-insensitive

struct Source {
  Ipv4Address address;
  uint16_t port = 0;
  Transport transport = Transport::kUdp;

  std::string to_string() const;  // "198.18.0.1:5060/udp"
  friend bool operator==(const Source&, const Source&) = default;
};

}  // namespace sbc::registrar
