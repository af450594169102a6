// Host names as the policy writes them: a trunk's `address` and a
// registrar's host may be DNS names, resolved by the control plane at run
// time (RFC 3263; controlplane/trunk_resolver.h), never at load time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sbc::policy {

// A host name per RFC 1123: dot-separated labels of 1-63 letters, digits and
// hyphens, no label starting or ending with a hyphen, 253 characters at most,
// one trailing dot allowed. All digits and dots is a mistyped IPv4 address,
// not a name.
bool valid_host_name(std::string_view s);

// Where a registrar is: "host", "host:port", "sip:host[:port][;params]" or
// "sip:user@host..."; host is an IPv4 literal or a host name.
struct HostPort {
  std::string host;
  std::optional<uint16_t> port;
  bool is_name = false;  // host is a DNS name, not an IPv4 literal
  friend bool operator==(const HostPort&, const HostPort&) = default;
};
Result<HostPort> parse_registrar(std::string_view registrar);

}  // namespace sbc::policy
