#include "controlplane/registrar/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace sbc::registrar {
namespace {

// Fetched once: an implicit fetch on every EVP_Digest call costs a provider
// lookup per hash, which showed in the digest benchmark.
const EVP_MD* md_for(HashAlgorithm algorithm) {
  static EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return algorithm == HashAlgorithm::kMd5 ? md5 : sha256;
}

}  // namespace

size_t hash_hex_length(HashAlgorithm algorithm) {
  return algorithm == HashAlgorithm::kMd5 ? 32 : 64;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

std::string hash_hex(HashAlgorithm algorithm, std::string_view data) {
  const EVP_MD* md = md_for(algorithm);
  if (md == nullptr) return {};
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return {};
  return to_hex(std::string_view(reinterpret_cast<const char*>(out), len));
}

std::string hmac_sha256(std::span<const uint8_t> key, std::string_view data) {
  const EVP_MD* md = md_for(HashAlgorithm::kSha256);
  if (md == nullptr) return {};
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool random_bytes(std::span<uint8_t> out) {
  return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.empty() || a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sbc::registrar
