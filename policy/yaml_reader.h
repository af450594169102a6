// Typed, position-aware access to a yaml-cpp tree for the policy loader:
// every read either yields a value or records a Diagnostic at the node's
// file:line:column, so the loader reports all errors in one pass.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "policy/diagnostic.h"
#include "policy/duration.h"
#include "policy/source_position.h"

namespace sbc::policy {

class YamlReader {
 public:
  YamlReader(std::string file, Diagnostics& out) : file_(std::move(file)), out_(out) {}

  void error(const YAML::Node& at, const std::string& field, const std::string& message);
  void warning(const YAML::Node& at, const std::string& field, const std::string& message);

  // A map with only the given keys; unknown keys are errors (typos must not
  // silently fall back to defaults).
  bool expect_map(const YAML::Node& n, const std::string& field,
                  std::initializer_list<std::string_view> allowed);
  bool expect_sequence(const YAML::Node& n, const std::string& field);

  std::optional<std::string> string(const YAML::Node& n, const std::string& field);
  std::optional<int64_t> integer(const YAML::Node& n, const std::string& field, int64_t min,
                                 int64_t max);
  std::optional<bool> boolean(const YAML::Node& n, const std::string& field);
  std::optional<double> number(const YAML::Node& n, const std::string& field, double min,
                               double max);
  std::optional<Duration> duration(const YAML::Node& n, const std::string& field, Duration min,
                                   Duration max);
  // A prefix with zero host bits ("198.18.2.0/24"; a bare address is a /32).
  std::optional<Ipv4Prefix> prefix(const YAML::Node& n, const std::string& field);
  // One string, or a list of strings (`to: carrier-a` or `to: [a, b]`).
  std::optional<std::vector<std::string>> string_list(const YAML::Node& n,
                                                      const std::string& field);

  SourcePosition position(const YAML::Node& n) const;
  const std::string& file() const { return file_; }
  Diagnostics& diagnostics() { return out_; }

  // Required child: records "missing required field" at the parent if absent.
  YAML::Node required(const YAML::Node& map, const std::string& parent_field, const char* key);

 private:
  void add(Diagnostic::Severity s, const YAML::Node& at, const std::string& field,
           const std::string& message);
  std::string file_;
  Diagnostics& out_;
};

}  // namespace sbc::policy
