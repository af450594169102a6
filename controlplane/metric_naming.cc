#include "controlplane/metric_naming.h"

#include <array>
#include <regex>
#include <set>

namespace sbc::controlplane {

bool is_bounded_label(const std::string& name) {
  static const std::array<const char*, 13> kBounded = {
      "peer",      "leg",  "reason", "class",   "method",  "outcome",  "code_class",
      "direction", "kind", "state",  "version", "command", "rule_kind"};
  for (const char* b : kBounded)
    if (name == b) return true;
  return false;
}

std::vector<std::string> check_metric_names(const std::vector<prometheus::MetricFamily>& families) {
  static const std::regex kName("^sbc_[a-z]([a-z0-9_]*[a-z0-9])?$");
  // Base units only (seconds, bytes), never milli/micro or minutes.
  static const std::regex kBadUnit(
      "_(ms|milliseconds|us|microseconds|minutes|hours|kb|mb|kbytes)(_|$)");
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const auto& f : families) {
    if (!std::regex_match(f.name, kName))
      problems.push_back(f.name + ": name must match sbc_[a-z0-9_]+");
    if (std::regex_search(f.name, kBadUnit))
      problems.push_back(f.name + ": use base units (seconds, bytes)");
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
