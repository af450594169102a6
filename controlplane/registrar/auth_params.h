// Parser for the value of an Authorization, Proxy-Authorization or
// WWW-Authenticate header: `Digest name=token, name="quoted \"string\"", ...`
// (RFC 3261 25.1, RFC 7235 2.1). Untrusted input: every path ends in a value
// or an error, never a crash, and sizes are bounded so a hostile header
// cannot make us allocate much.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace sbc::registrar {

struct AuthParamLimits {
  size_t max_input = 4096;  // a real Digest header is a few hundred bytes
  size_t max_params = 32;
  size_t max_value = 1024;
};

struct AuthHeader {
  std::string scheme;  // as sent ("Digest"); compare case-insensitively
  // Names lower-cased (they are case-insensitive); values unquoted and
  // unescaped. Order kept as received.
  std::vector<std::pair<std::string, std::string>> params;

  // nullptr when absent.
  const std::string* find(std::string_view lower_name) const;
};

// Errors: empty input, no scheme, a character not allowed in a token, a
// missing '=', an empty unquoted value, an unterminated quoted string or a
// dangling backslash, control characters, a parameter name given twice
// (RFC 7616 3.4: each at most once; "the last one wins" would let a proxy and
// the registrar read different credentials), and anything over the limits.
Result<AuthHeader> parse_auth_header(std::string_view text, const AuthParamLimits& limits = {});

// RFC 3261 quoted-string for building headers: backslash-escapes '"' and '\'.
std::string quote(std::string_view value);

bool iequals(std::string_view a, std::string_view b);

}  // namespace sbc::registrar
