// HTTP/SIP Digest computation and verification (RFC 2617, RFC 3261 22.4,
// RFC 7616, RFC 8760): MD5 and SHA-256, qop=auth and the RFC 2069 no-qop
// form. The -sess variants, qop=auth-int and userhash are refused with an
// error (they map to 400): no SIP phone we target sends them, and accepting
// them half-way would be worse than saying no.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "controlplane/registrar/auth_params.h"
#include "controlplane/registrar/hash.h"

namespace sbc::registrar {

std::string_view digest_algorithm_name(HashAlgorithm a);  // "MD5", "SHA-256"
// "MD5" or "SHA-256", case-insensitively; nullopt for anything else.
std::optional<HashAlgorithm> parse_digest_algorithm(std::string_view name);

// The Digest parameters of one Authorization header, validated.
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;  // lower-cased hex
  HashAlgorithm algorithm = HashAlgorithm::kMd5;
  bool qop_auth = false;  // false: RFC 2069 form, no cnonce/nc
  std::string cnonce;
  std::string nc;  // 8 hex digits as sent (hashed verbatim)
  uint32_t nc_value = 0;
  std::string opaque;
};

// From a parsed header: scheme Digest; username, realm, nonce, uri, response
// present; algorithm MD5 (default) or SHA-256; qop absent or "auth" (then
// cnonce and an 8-hex-digit nc are required); response of the algorithm's
// hex length.
Result<DigestCredentials> digest_credentials(const AuthHeader& header);

// HA1 = H(username:realm:password). Stored instead of the password, one per
// algorithm (an MD5 HA1 cannot verify a SHA-256 response).
std::string digest_ha1(HashAlgorithm a, std::string_view username, std::string_view realm,
                       std::string_view password);

// The response a client with this HA1 must send for this request.
std::string digest_response(const DigestCredentials& c, std::string_view ha1,
                            std::string_view method);

// Constant-time check of c.response against the expected one. Only the
// response: the nonce's freshness is NonceTracker's job.
bool digest_response_matches(const DigestCredentials& c, std::string_view ha1,
                             std::string_view method);

}  // namespace sbc::registrar
