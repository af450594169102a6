#include "controlplane/metric_naming.h"

#include <array>
#include <set>
#include <string_view>

namespace sbc::controlplane {

bool is_bounded_label(const std::string& name) {
  static const std::array<const char*, 13> kBounded = {
      "peer",      "leg",  "reason", "class",   "method",  "outcome",  "code_class",
      "direction", "kind", "state",  "version", "command", "rule_kind"};
  for (const char* b : kBounded)
    if (name == b) return true;
  return false;
}

namespace {

// ^sbc_[a-z]([a-z0-9_]*[a-z0-9])?$ written out: std::regex trips GCC 12's
// -Wmaybe-uninitialized in sanitizer builds.
bool well_formed(const std::string& n) {
  if (n.size() < 5 || n.compare(0, 4, "sbc_") != 0) return false;
  if (n[4] < 'a' || n[4] > 'z') return false;
  for (size_t i = 5; i < n.size(); ++i) {
    char c = n[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return n.back() != '_';
}

// A word (between underscores) naming a unit that is not a base unit.
bool has_non_base_unit(const std::string& n) {
  static const char* kBad[] = {"ms",    "milliseconds", "us", "microseconds", "minutes",
                               "hours", "kb",           "mb", "kbytes"};
  size_t start = 4;  // after "sbc_": the prefix is not a unit
  while (start <= n.size()) {
    size_t end = n.find('_', start);
    if (end == std::string::npos) end = n.size();
    std::string_view word(n.data() + start, end - start);
    for (const char* b : kBad)
      if (word == b) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::vector<std::string> check_metric_names(const std::vector<prometheus::MetricFamily>& families) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const auto& f : families) {
    if (!well_formed(f.name)) problems.push_back(f.name + ": name must match sbc_[a-z0-9_]+");
    if (has_non_base_unit(f.name)) problems.push_back(f.name + ": use base units (seconds, bytes)");
    if (f.help.empty()) problems.push_back(f.name + ": missing help text");
    const bool is_total = f.name.size() > 6 && f.name.ends_with("_total");
    if (f.type == prometheus::MetricType::Counter && !is_total)
      problems.push_back(f.name + ": a counter's name ends in _total");
    if (f.type != prometheus::MetricType::Counter && is_total)
      problems.push_back(f.name + ": only counters end in _total");
    if (!seen.insert(f.name).second) problems.push_back(f.name + ": registered twice");
    for (const auto& m : f.metric)
      for (const auto& l : m.label)
        if (!is_bounded_label(l.name))
          problems.push_back(f.name + ": label '" + l.name +
                             "' is not in the bounded set (see docs/metrics.md)");
  }
  return problems;
}

}  // namespace sbc::controlplane
