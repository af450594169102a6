#include "controlplane/registrar/digest.h"

#include <charconv>

namespace sbc::registrar {
namespace {

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return !s.empty();
}

std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Result<std::string> required(const AuthHeader& h, std::string_view name) {
  const std::string* v = h.find(name);
  if (v == nullptr || v->empty())
    return make_error("Digest credentials: missing '" + std::string(name) + "'");
  return *v;
}

}  // namespace

std::string_view digest_algorithm_name(HashAlgorithm a) {
  return a == HashAlgorithm::kMd5 ? "MD5" : "SHA-256";
}

std::optional<HashAlgorithm> parse_digest_algorithm(std::string_view name) {
  if (iequals(name, "MD5")) return HashAlgorithm::kMd5;
  if (iequals(name, "SHA-256")) return HashAlgorithm::kSha256;
  return std::nullopt;
}

Result<DigestCredentials> digest_credentials(const AuthHeader& header) {
  if (!iequals(header.scheme, "Digest"))
    return make_error("Authorization: scheme '" + header.scheme + "' is not Digest");
  DigestCredentials c;
  for (auto [field, name] : {std::pair{&c.username, "username"}, std::pair{&c.realm, "realm"},
                             std::pair{&c.nonce, "nonce"}, std::pair{&c.uri, "uri"},
                             std::pair{&c.response, "response"}}) {
    auto v = required(header, name);
    if (!v) return v.error();
    *field = std::move(*v);
  }
  if (const auto* a = header.find("algorithm")) {
    auto alg = parse_digest_algorithm(*a);
    if (!alg) return make_error("Digest credentials: unsupported algorithm '" + *a + "'");
    c.algorithm = *alg;
  }
  if (const auto* u = header.find("userhash"); u != nullptr && iequals(*u, "true"))
    return make_error("Digest credentials: userhash is not supported");
  if (!is_hex(c.response) || c.response.size() != hash_hex_length(c.algorithm))
    return make_error("Digest credentials: response is not a " +
                      std::string(digest_algorithm_name(c.algorithm)) + " hex digest");
  c.response = lower_copy(c.response);
  if (const auto* o = header.find("opaque")) c.opaque = *o;

  const auto* qop = header.find("qop");
  const auto* nc = header.find("nc");
  const auto* cnonce = header.find("cnonce");
  if (qop != nullptr) {
    if (!iequals(*qop, "auth"))
      return make_error("Digest credentials: unsupported qop '" + *qop + "'");
    c.qop_auth = true;
    if (cnonce == nullptr || cnonce->empty())
      return make_error("Digest credentials: qop=auth without cnonce");
    if (nc == nullptr || nc->size() != 8 || !is_hex(*nc))
      return make_error("Digest credentials: qop=auth needs nc of 8 hex digits");
    c.cnonce = *cnonce;
    c.nc = *nc;
    std::from_chars(nc->data(), nc->data() + nc->size(), c.nc_value, 16);
    if (c.nc_value == 0) return make_error("Digest credentials: nc must start at 00000001");
  } else if (nc != nullptr || cnonce != nullptr) {
    // RFC 2617 3.2.2: they MUST NOT be sent without qop.
    return make_error("Digest credentials: nc/cnonce without qop");
  }
  return c;
}

std::string digest_ha1(HashAlgorithm a, std::string_view username, std::string_view realm,
                       std::string_view password) {
  std::string in;
  in.reserve(username.size() + realm.size() + password.size() + 2);
  in.append(username).append(":").append(realm).append(":").append(password);
  return hash_hex(a, in);
}

std::string digest_response(const DigestCredentials& c, std::string_view ha1,
                            std::string_view method) {
  std::string a2;
  a2.reserve(method.size() + c.uri.size() + 1);
  a2.append(method).append(":").append(c.uri);
  std::string ha2 = hash_hex(c.algorithm, a2);
  if (ha2.empty() || ha1.empty()) return {};
  std::string kd;
  kd.reserve(ha1.size() + c.nonce.size() + c.nc.size() + c.cnonce.size() + ha2.size() + 10);
  kd.append(ha1).append(":").append(c.nonce).append(":");
  if (c.qop_auth) kd.append(c.nc).append(":").append(c.cnonce).append(":auth:");
  kd.append(ha2);
  return hash_hex(c.algorithm, kd);
}

bool digest_response_matches(const DigestCredentials& c, std::string_view ha1,
                             std::string_view method) {
  // HA1 may have been stored upper-case; the hash input is the lower-case hex.
  std::string expected = digest_response(c, lower_copy(ha1), method);
  return constant_time_equal(expected, c.response);
}

}  // namespace sbc::registrar
