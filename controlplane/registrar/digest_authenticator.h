// The whole digest decision for one request, for the SIP layer to call:
// parse the Authorization header, find the user's HA1, verify the response,
// then the nonce (signature, expiry, nonce-count replay), and say which
// answer to send. Also builds the WWW-Authenticate challenges.
//
// Unknown users and wrong passwords get the same answer by the same path:
// an unknown user is verified against a fake HA1 derived from the process
// key, so the work done, the verdict (kFailed) and the next challenge are
// identical. `unknown_user` in the result is for the log only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/registrar/clock.h"
#include "controlplane/registrar/digest.h"
#include "controlplane/registrar/nonce_tracker.h"
#include "controlplane/registrar/source.h"

namespace sbc::registrar {

struct AuthConfig {
  std::string realm;
  NonceConfig nonce;
  // Challenge order per RFC 8760: SHA-256 first; MD5 for the phones (and
  // sipp, FACTS.md) that only know MD5.
  bool offer_sha256 = true;
  bool offer_md5 = true;
};

// What the user database holds: the password, or HA1 per algorithm.
struct StoredCredential {
  std::string password;  // empty when only HA1s are stored
  std::string ha1_md5;
  std::string ha1_sha256;
};

// Looks a user up by username and realm; nullopt for an unknown user.
using CredentialLookup = std::function<std::optional<StoredCredential>(std::string_view username,
                                                                       std::string_view realm)>;

enum class AuthVerdict {
  kOk,             // authenticated: go on with the request
  kNoCredentials,  // no Authorization header: 401 with challenges()
  kMalformed,      // unparsable or unsupported credentials: 400
  kFailed,         // wrong password, unknown user, wrong realm: 401 with fresh
                   // challenges(); count it with AuthFailureTracker
  kStale,          // right password, old/unknown nonce: 401 challenges(stale=true)
  kReplay,         // right password, nonce-count reused: 401 challenges(stale=true),
                   // log; not counted as a password failure
};

std::string_view auth_verdict_name(AuthVerdict v);

struct AuthResult {
  AuthVerdict verdict = AuthVerdict::kFailed;
  std::string username;       // as claimed (also on failure, for counting)
  std::string uri;            // digest uri: the caller checks it names the Request-URI
  bool unknown_user = false;  // log only: never let it change the answer
  std::string detail;         // why, for the log
};

class DigestAuthenticator {
 public:
  DigestAuthenticator(AuthConfig config, const Clock& clock, const NonceKey& key);

  // WWW-Authenticate header values, one per offered algorithm, each with a
  // fresh nonce bound to the source.
  std::vector<std::string> challenges(const Source& source, bool stale = false);

  // authorization: the header value ("Digest username=...") or empty.
  AuthResult verify(std::string_view authorization, std::string_view method, const Source& source,
                    const CredentialLookup& lookup);

  NonceTracker& nonces() { return nonces_; }

 private:
  std::string fake_ha1(HashAlgorithm a, std::string_view username) const;

  AuthConfig config_;
  NonceKey key_;
  NonceTracker nonces_;
};

}  // namespace sbc::registrar
