// Structured, levelled log lines on stderr (journald adds its own stamp under
// systemd): "LEVEL event key=value ...". One line per event, never per
// packet. Rate limiting for floods comes with the operations issue.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sbc::log {

enum class Level { debug, info, warn, error };

using Field = std::pair<std::string_view, std::string>;

void set_level(Level level);
bool parse_level(std::string_view text, Level& out);
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void debug(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::debug, e, f);
}
inline void info(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::info, e, f);
}
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::warn, e, f);
}
inline void error(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::error, e, f);
}

}  // namespace sbc::log
