#include "policy/password_strength.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace sbc::policy {

double password_bits(std::string_view pw) {
  bool lower = false, upper = false, digit = false, other = false;
  for (char c : pw) {
    const auto u = static_cast<unsigned char>(c);
    if (std::islower(u))
      lower = true;
    else if (std::isupper(u))
      upper = true;
    else if (std::isdigit(u))
      digit = true;
    else
      other = true;
  }
  const int pool = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 33 : 0);
  if (pool == 0) return 0;
  // A character equal to the previous one, or one step from it ("aaaa",
  // "1234", "abcd"), adds almost nothing an attacker has to guess.
  double effective = 0;
  for (size_t i = 0; i < pw.size(); ++i) {
    const bool run = i > 0 && std::abs(static_cast<int>(pw[i]) - static_cast<int>(pw[i - 1])) <= 1;
    effective += run ? 0.25 : 1.0;
  }
  return effective * std::log2(static_cast<double>(pool));
}

std::optional<std::string> password_weakness(std::string_view username, std::string_view pw) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string lu = lower(username), lp = lower(pw);
  if (!lu.empty() && lp == lu) return "password equals the username";
  if (!lu.empty() && lp.find(lu) != std::string::npos) return "password contains the username";
  static constexpr std::array<std::string_view, 8> kCommon = {
      "password", "secret", "123456", "qwerty", "letmein", "welcome", "admin", "changeme"};
  for (auto c : kCommon)
    if (lp.find(c) != std::string::npos)
      return "password contains the common word '" + std::string(c) + "'";
  if (pw.size() < kMinPasswordLength)
    return "password has " + std::to_string(pw.size()) + " characters; use at least " +
           std::to_string(kMinPasswordLength);
  const double bits = password_bits(pw);
  if (bits < kMinPasswordBits)
    return "password is guessable (about " + std::to_string(static_cast<int>(bits)) +
           " bits; use at least " + std::to_string(static_cast<int>(kMinPasswordBits)) +
           ": longer, mixed characters, no runs)";
  return std::nullopt;
}

}  // namespace sbc::policy
