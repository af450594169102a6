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

#include "policy/diagnostic.h"

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

  // Required child: records "missing required field" at the parent if absent.
  YAML::Node required(const YAML::Node& map, const std::string& parent_field, const char* key);

 private:
  void add(Diagnostic::Severity s, const YAML::Node& at, const std::string& field,
           const std::string& message);
  std::string file_;
  Diagnostics& out_;
};

}  // namespace sbc::policy
