// The hashes digest authentication and nonces need, over OpenSSL's libcrypto.
// Why libcrypto: it is already in the process (Sofia-SIP links OpenSSL 3 for
// TLS), it is the most reviewed implementation available on Debian, and it
// gives MD5, SHA-256, HMAC, a CSPRNG and a constant-time compare in one place.
// A failure inside libcrypto (for example MD5 refused by a FIPS provider)
// yields an empty string, and every comparison treats empty as "no match":
// authentication fails closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sbc::registrar {

enum class HashAlgorithm : uint8_t { kMd5, kSha256 };

// Lower-case hex of H(data): 32 characters for MD5, 64 for SHA-256.
std::string hash_hex(HashAlgorithm algorithm, std::string_view data);
size_t hash_hex_length(HashAlgorithm algorithm);

// Raw HMAC-SHA256(key, data), 32 bytes; empty on failure.
std::string hmac_sha256(std::span<const uint8_t> key, std::string_view data);

// Fills out from the CSPRNG; false if it could not.
bool random_bytes(std::span<uint8_t> out);

// Equal length and equal bytes, in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string to_hex(std::string_view bytes);

}  // namespace sbc::registrar
