#include "controlplane/registrar/digest_client.h"

#include <cstdio>

#include "controlplane/registrar/digest.h"

namespace sbc::registrar {
namespace {

// qop in a challenge is a quoted comma-separated list ("auth,auth-int").
bool list_has(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view part = list.substr(0, comma);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    if (iequals(part, item)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

Result<DigestChallenge> digest_challenge(const AuthHeader& header) {
  if (!iequals(header.scheme, "Digest"))
    return make_error("challenge: scheme '" + header.scheme + "' is not Digest");
  DigestChallenge ch;
  const std::string* realm = header.find("realm");
  const std::string* nonce = header.find("nonce");
  // An empty realm is refused like a missing one: our own verifier (and
  // most registrars) cannot check credentials computed for it.
  if (realm == nullptr || realm->empty()) return make_error("challenge: missing 'realm'");
  if (nonce == nullptr || nonce->empty()) return make_error("challenge: missing 'nonce'");
  ch.realm = *realm;
  ch.nonce = *nonce;
  if (const auto* o = header.find("opaque")) ch.opaque = *o;
  if (const auto* a = header.find("algorithm")) {
    auto alg = parse_digest_algorithm(*a);
    if (!alg) return make_error("challenge: unsupported algorithm '" + *a + "'");
    ch.algorithm = *alg;
  }
  if (const auto* u = header.find("userhash"); u != nullptr && iequals(*u, "true"))
    return make_error("challenge: userhash is not supported");
  if (const auto* q = header.find("qop")) {
    if (!list_has(*q, "auth")) return make_error("challenge: qop '" + *q + "' has no 'auth'");
    ch.qop_auth = true;
  }
  if (const auto* s = header.find("stale")) ch.stale = iequals(*s, "true");
  return ch;
}

std::string digest_authorization(const DigestChallenge& ch, std::string_view username,
                                 std::string_view password, std::string_view method,
                                 std::string_view uri, std::string_view cnonce, uint32_t nc) {
  DigestCredentials c;
  c.username = username;
  c.realm = ch.realm;
  c.nonce = ch.nonce;
  c.uri = uri;
  c.algorithm = ch.algorithm;
  c.qop_auth = ch.qop_auth;
  if (c.qop_auth) {
    char nc_hex[9];
    std::snprintf(nc_hex, sizeof nc_hex, "%08x", nc);
    c.nc = nc_hex;
    c.nc_value = nc;
    c.cnonce = cnonce;
  }
  std::string ha1 = digest_ha1(c.algorithm, username, ch.realm, password);
  std::string response = digest_response(c, ha1, method);
  std::string out = "Digest username=" + quote(username) + ", realm=" + quote(ch.realm) +
                    ", nonce=" + quote(ch.nonce) + ", uri=" + quote(uri) +
                    ", response=" + quote(response) +
                    ", algorithm=" + std::string(digest_algorithm_name(ch.algorithm));
  if (c.qop_auth) out += ", qop=auth, nc=" + c.nc + ", cnonce=" + quote(cnonce);
  if (!ch.opaque.empty()) out += ", opaque=" + quote(ch.opaque);
  return out;
}

}  // namespace sbc::registrar
