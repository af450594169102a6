// Structured, levelled log lines on stderr (journald adds its own stamp under
// systemd): "LEVEL event key=value ...". One line per event, never per
// packet.
//
// Rate limited per event name, so a flood (a scanner, a broken phone
// retrying) cannot fill the disk: at most `per_second` lines of one event in
// each one-second window; the rest are counted and summed up in one line,
// "warn log_suppressed event=NAME lines=K", once the window is over. Event
// names are constants in the code, so the limiter's table stays small.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
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

// Lines per event per second; 0 turns the limit off. Default 20.
void set_rate_limit(unsigned per_second);
// Writes the summary line of every window that has ended with suppressed
// lines; sbcd calls it once a second so a flood that stops is still summed
// up promptly (write() does it as well).
void flush_suppressed();

// Tests: where lines go (default stderr) and what time it is (default the
// steady clock); empty functions restore the defaults.
void set_sink_for_test(std::function<void(std::string_view line)> sink);
void set_clock_for_test(std::function<std::chrono::steady_clock::time_point()> now);

// The limiter itself, over a caller's clock (unit-tested on its own).
class RateLimiter {
 public:
  using Time = std::chrono::steady_clock::time_point;
  explicit RateLimiter(unsigned per_second) : per_second_(per_second) {}
  void set_per_second(unsigned n) { per_second_ = n; }
  // Whether a line of `key` may be written at `now`.
  bool admit(std::string_view key, Time now);
  // Calls report(key, count) for every key whose window ended before `now`
  // with lines suppressed, and forgets those counts.
  void take_suppressed(Time now, const std::function<void(const std::string&, uint64_t)>& report);

 private:
  struct Window {
    Time start{};
    unsigned written = 0;
    uint64_t suppressed = 0;
  };
  unsigned per_second_;
  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace sbc::log
