#include "policy/duration.h"

#include <charconv>
#include <cstdint>
#include <limits>

namespace sbc::policy {

Result<Duration> parse_duration(std::string_view text) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data())
    return make_error("expected a duration such as 500ms, 30s, 5m or 1h, got '" +
                      std::string(text) + "'");
  if (n < 0) return make_error("a duration may not be negative");
  std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  int64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60 * 1000;
  else if (unit == "h")
    scale = 3600 * 1000;
  else if (unit.empty())
    return make_error("duration '" + std::string(text) + "' needs a unit (ms, s, m or h)");
  else
    return make_error("unknown duration unit '" + std::string(unit) + "' (ms, s, m or h)");
  // A week is far beyond any protocol timer; the bound keeps the product from
  // overflowing.
  constexpr int64_t kMaxMs = int64_t{7} * 24 * 3600 * 1000;
  if (n > kMaxMs / scale) return make_error("duration '" + std::string(text) + "' exceeds 7 days");
  return Duration(n * scale);
}

std::string to_string(Duration d) {
  const int64_t ms = d.count();
  if (ms != 0 && ms % (3600 * 1000) == 0) return std::to_string(ms / (3600 * 1000)) + "h";
  if (ms != 0 && ms % (60 * 1000) == 0) return std::to_string(ms / (60 * 1000)) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace sbc::policy
