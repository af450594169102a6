// Whether a SIP password is weak enough that a scanner's dictionary or a
// brute-force run would find it. SIP digest is offline-crackable from one
// captured exchange, so the bar is higher than for a web login.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sbc::policy {

inline constexpr size_t kMinPasswordLength = 10;
inline constexpr double kMinPasswordBits = 50;

// Estimated strength: length times log2 of the pool of character classes
// used, with repeats and runs discounted.
double password_bits(std::string_view password);

// The reason `password` is weak for `username`, or nullopt if it is not.
std::optional<std::string> password_weakness(std::string_view username, std::string_view password);

}  // namespace sbc::policy
