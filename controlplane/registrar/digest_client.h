// The client side of Digest authentication: reading a WWW-Authenticate or
// Proxy-Authenticate challenge and answering it (RFC 3261 22.4, RFC 2617,
// RFC 7616/8760). Used when the SBC registers to a carrier (outbound
// registration). The hash arithmetic is digest.h's, the same code that
// verifies phones, so both directions compute one way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "controlplane/registrar/auth_params.h"
#include "controlplane/registrar/hash.h"

namespace sbc::registrar {

struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;  // echoed back when present
  HashAlgorithm algorithm = HashAlgorithm::kMd5;
  bool qop_auth = false;  // the server offered qop=auth: answer with nc and cnonce
  bool stale = false;     // the nonce expired, the credentials were right
};

// Scheme Digest, realm and nonce present, algorithm MD5 or SHA-256 (absent
// means MD5), qop absent or a list holding "auth". A challenge offering only
// auth-int, a -sess algorithm or userhash is refused: we would answer it
// wrongly.
Result<DigestChallenge> digest_challenge(const AuthHeader& header);

// The Authorization (or Proxy-Authorization) header value answering `ch`
// for `method` on `uri`. cnonce and nc are only used with qop=auth; nc is
// the count of requests sent with this nonce, starting at 1.
std::string digest_authorization(const DigestChallenge& ch, std::string_view username,
                                 std::string_view password, std::string_view method,
                                 std::string_view uri, std::string_view cnonce, uint32_t nc);

}  // namespace sbc::registrar
