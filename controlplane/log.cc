#include "controlplane/log.h"

#include <cstdio>
#include <ctime>

namespace sbc::log {
namespace {
Level g_level = Level::info;
const char* name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "?";
}
bool needs_quotes(const std::string& v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\\') return true;
  return false;
}
}  // namespace

void set_level(Level level) {
  g_level = level;
}

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error}) {
    if (text == name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (level < g_level) return;
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc;
  gmtime_r(&ts.tv_sec, &utc);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string line = std::string(stamp) + "." +
                     std::to_string(ts.tv_nsec / 1000000 + 1000).substr(1) + "Z " + name(level) +
                     " " + std::string(event);
  for (const auto& [k, v] : fields) {
    line += " ";
    line += k;
    line += "=";
    if (needs_quotes(v)) {
      line += '"';
      for (char c : v) {
        if (c == '"' || c == '\\') line += '\\';
        line += c == '\n' ? ' ' : c;
      }
      line += '"';
    } else {
      line += v;
    }
  }
  line += "\n";
  fputs(line.c_str(), stderr);
}

}  // namespace sbc::log
