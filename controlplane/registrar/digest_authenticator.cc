#include "controlplane/registrar/digest_authenticator.h"

#include "controlplane/registrar/auth_params.h"
#include "controlplane/registrar/hash.h"

namespace sbc::registrar {

std::string_view auth_verdict_name(AuthVerdict v) {
  switch (v) {
    case AuthVerdict::kOk:
      return "ok";
    case AuthVerdict::kNoCredentials:
      return "no-credentials";
    case AuthVerdict::kMalformed:
      return "malformed";
    case AuthVerdict::kFailed:
      return "failed";
    case AuthVerdict::kStale:
      return "stale";
    case AuthVerdict::kReplay:
      return "replay";
  }
  return "failed";
}

DigestAuthenticator::DigestAuthenticator(AuthConfig config, const Clock& clock, const NonceKey& key)
    : config_(std::move(config)), key_(key), nonces_(config_.nonce, clock, key) {}

std::vector<std::string> DigestAuthenticator::challenges(const Source& source, bool stale) {
  std::vector<std::string> out;
  std::string addr = source.address.to_string();
  for (auto [offer, alg] : {std::pair{config_.offer_sha256, HashAlgorithm::kSha256},
                            std::pair{config_.offer_md5, HashAlgorithm::kMd5}}) {
    if (!offer) continue;
    std::string c = "Digest realm=" + quote(config_.realm) + ", nonce=\"" + nonces_.issue(addr) +
                    "\", algorithm=" + std::string(digest_algorithm_name(alg)) + ", qop=\"auth\"";
    if (stale) c += ", stale=true";
    out.push_back(std::move(c));
  }
  return out;
}

std::string DigestAuthenticator::fake_ha1(HashAlgorithm a, std::string_view username) const {
  // Stable per user and process, so repeated tries for one unknown user look
  // like repeated tries with one wrong password.
  std::string mac = hmac_sha256(key_, "fake-ha1|" + std::string(username) + "|" + config_.realm);
  std::string hex = to_hex(mac);
  return hex.substr(0, hash_hex_length(a));
}

AuthResult DigestAuthenticator::verify(std::string_view authorization, std::string_view method,
                                       const Source& source, const CredentialLookup& lookup) {
  AuthResult r;
  if (authorization.empty()) {
    r.verdict = AuthVerdict::kNoCredentials;
    return r;
  }
  auto header = parse_auth_header(authorization);
  if (!header) {
    r.verdict = AuthVerdict::kMalformed;
    r.detail = header.error().message;
    return r;
  }
  auto creds = digest_credentials(*header);
  if (!creds) {
    r.verdict = AuthVerdict::kMalformed;
    r.detail = creds.error().message;
    return r;
  }
  r.username = creds->username;
  r.uri = creds->uri;
  if ((creds->algorithm == HashAlgorithm::kSha256 && !config_.offer_sha256) ||
      (creds->algorithm == HashAlgorithm::kMd5 && !config_.offer_md5)) {
    r.verdict = AuthVerdict::kMalformed;
    r.detail = "algorithm not offered";
    return r;
  }

  std::optional<StoredCredential> stored;
  if (creds->realm == config_.realm) stored = lookup(creds->username, creds->realm);
  std::string ha1;
  if (stored) {
    const std::string& pre =
        creds->algorithm == HashAlgorithm::kMd5 ? stored->ha1_md5 : stored->ha1_sha256;
    ha1 = !pre.empty()
              ? pre
              : (!stored->password.empty()
                     ? digest_ha1(creds->algorithm, creds->username, creds->realm, stored->password)
                     : std::string{});
  }
  if (ha1.empty()) {
    // Unknown user, wrong realm, or no usable secret: same work, same answer.
    r.unknown_user = !stored.has_value();
    ha1 = fake_ha1(creds->algorithm, creds->username);
    (void)digest_response_matches(*creds, ha1, method);
    r.verdict = AuthVerdict::kFailed;
    r.detail = creds->realm != config_.realm ? "wrong realm" : "unknown user or no secret";
    return r;
  }
  if (!digest_response_matches(*creds, ha1, method)) {
    r.verdict = AuthVerdict::kFailed;
    r.detail = "wrong response";
    return r;
  }

  // The password is right; now is this request fresh?
  std::optional<uint32_t> nc;
  if (creds->qop_auth) nc = creds->nc_value;
  switch (nonces_.check(creds->nonce, nc, source.address.to_string())) {
    case NonceVerdict::kValid:
      r.verdict = AuthVerdict::kOk;
      break;
    case NonceVerdict::kStale:
      r.verdict = AuthVerdict::kStale;
      r.detail = "nonce expired or no longer tracked";
      break;
    case NonceVerdict::kInvalid:
      // Not our signature: most often a nonce from before a restart (new
      // key). The password was right, so re-challenge without blame.
      r.verdict = AuthVerdict::kStale;
      r.detail = "nonce not issued by this process or to this address";
      break;
    case NonceVerdict::kReplay:
      r.verdict = AuthVerdict::kReplay;
      r.detail = "nonce-count replayed";
      break;
  }
  return r;
}

}  // namespace sbc::registrar
