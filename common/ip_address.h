// IPv4 addresses and prefixes as the control plane and the policy see them.
// Host byte order inside; conversion to network order happens where packets
// are built. IPv6 is designed in (DESIGN.md) but not parsed yet: an IPv6
// literal is rejected with a clear error rather than misread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sbc {

struct Ipv4Address {
  uint32_t value = 0;  // host byte order

  static Result<Ipv4Address> parse(std::string_view text);
  std::string to_string() const;
  friend bool operator==(Ipv4Address, Ipv4Address) = default;
  friend auto operator<=>(Ipv4Address, Ipv4Address) = default;
};

struct Ipv4Prefix {
  Ipv4Address address;
  uint8_t length = 32;

  // "a.b.c.d/len" or a bare address (a /32). Host bits must be zero unless
  // allow_host_bits (an interface address such as 198.18.1.1/24 has them).
  static Result<Ipv4Prefix> parse(std::string_view text, bool allow_host_bits = false);
  uint32_t mask() const { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }
  Ipv4Prefix network() const { return {Ipv4Address{address.value & mask()}, length}; }
  bool contains(Ipv4Address a) const { return (a.value & mask()) == (address.value & mask()); }
  std::string to_string() const;
  friend bool operator==(Ipv4Prefix, Ipv4Prefix) = default;
};

}  // namespace sbc
