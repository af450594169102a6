// Number manipulation: the digit surgery an SBC does between networks
// (national vs international format, trunk prefixes, a fixed caller ID).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbc::policy {

// Strip `strip` leading characters, then prepend `prepend`. Stripping more
// than the number holds leaves it empty rather than failing: the route then
// simply has nothing to match, which the caller sees as "no route".
struct NumberRewrite {
  uint32_t strip = 0;
  std::string prepend;

  bool is_identity() const { return strip == 0 && prepend.empty(); }
  std::string apply(std::string_view number) const;
  friend bool operator==(const NumberRewrite&, const NumberRewrite&) = default;
};

// What one hop does to the called number and to the caller ID.
struct Manipulation {
  NumberRewrite called;
  NumberRewrite caller;
  std::optional<std::string> caller_id;  // replaces the caller ID outright (after `caller`)

  bool is_identity() const { return called.is_identity() && caller.is_identity() && !caller_id; }
  std::string apply_called(std::string_view number) const { return called.apply(number); }
  std::string apply_caller(std::string_view number) const;
  friend bool operator==(const Manipulation&, const Manipulation&) = default;
};

}  // namespace sbc::policy
