// Durations as operators write them in a policy: an integer with a unit
// ("500ms", "30s", "5m", "1h"). A bare number is refused: "30" could be
// seconds or milliseconds, and timers span both.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sbc::policy {

using Duration = std::chrono::milliseconds;

Result<Duration> parse_duration(std::string_view text);
std::string to_string(Duration d);  // shortest exact unit: "90s", "1500ms", "2h"

}  // namespace sbc::policy
