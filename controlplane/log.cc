#include "controlplane/log.h"

#include <cstdio>
#include <ctime>
#include <mutex>

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

// Logging happens on the event loop thread, but a line from another thread
// (the exposer's, a library callback) must not corrupt the limiter: one
// mutex, never on the packet path (workers do not log).
std::mutex g_mu;
RateLimiter g_limiter(20);
std::function<void(std::string_view)> g_sink;
std::function<std::chrono::steady_clock::time_point()> g_now;

std::chrono::steady_clock::time_point now_locked() {
  return g_now ? g_now() : std::chrono::steady_clock::now();
}

std::string format(Level level, std::string_view event, std::initializer_list<Field> fields) {
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
  return line;
}

void emit_locked(const std::string& line) {
  if (g_sink)
    g_sink(line);
  else
    fputs(line.c_str(), stderr);
}

void flush_locked(std::chrono::steady_clock::time_point now) {
  g_limiter.take_suppressed(now, [](const std::string& key, uint64_t n) {
    emit_locked(
        format(Level::warn, "log_suppressed", {{"event", key}, {"lines", std::to_string(n)}}));
  });
}

}  // namespace

bool RateLimiter::admit(std::string_view key, Time now) {
  if (per_second_ == 0) return true;
  auto it = windows_.find(key);
  if (it == windows_.end()) it = windows_.emplace(std::string(key), Window{now, 0, 0}).first;
  Window& w = it->second;
  if (now - w.start >= std::chrono::seconds(1)) {
    // A new window; suppressed lines of the old one wait for take_suppressed.
    w.start = now;
    w.written = 0;
  }
  if (w.written < per_second_) {
    ++w.written;
    return true;
  }
  ++w.suppressed;
  return false;
}

void RateLimiter::take_suppressed(Time now,
                                  const std::function<void(const std::string&, uint64_t)>& report) {
  for (auto& [key, w] : windows_) {
    if (w.suppressed == 0 || now - w.start < std::chrono::seconds(1)) continue;
    report(key, w.suppressed);
    w.suppressed = 0;
  }
}

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
  std::lock_guard lock(g_mu);
  auto now = now_locked();
  flush_locked(now);
  if (!g_limiter.admit(event, now)) return;
  emit_locked(format(level, event, fields));
}

void set_rate_limit(unsigned per_second) {
  std::lock_guard lock(g_mu);
  g_limiter.set_per_second(per_second);
}

void flush_suppressed() {
  std::lock_guard lock(g_mu);
  flush_locked(now_locked());
}

void set_sink_for_test(std::function<void(std::string_view)> sink) {
  std::lock_guard lock(g_mu);
  g_sink = std::move(sink);
}

void set_clock_for_test(std::function<std::chrono::steady_clock::time_point()> now) {
  std::lock_guard lock(g_mu);
  g_now = std::move(now);
}

}  // namespace sbc::log
