#include "policy/yaml_reader.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace sbc::policy {
namespace {
std::string fmt(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

void YamlReader::add(Diagnostic::Severity s, const YAML::Node& at, const std::string& field,
                     const std::string& message) {
  Diagnostic d;
  d.severity = s;
  d.file = file_;
  if (at.IsDefined()) {
    auto mark = at.Mark();
    if (!mark.is_null()) {
      d.line = mark.line + 1;
      d.column = mark.column + 1;
    }
  }
  d.field = field;
  d.message = message;
  out_.push_back(std::move(d));
}

void YamlReader::error(const YAML::Node& at, const std::string& field, const std::string& message) {
  add(Diagnostic::Severity::error, at, field, message);
}

void YamlReader::warning(const YAML::Node& at, const std::string& field,
                         const std::string& message) {
  add(Diagnostic::Severity::warning, at, field, message);
}

bool YamlReader::expect_map(const YAML::Node& n, const std::string& field,
                            std::initializer_list<std::string_view> allowed) {
  if (!n.IsMap()) {
    error(n, field, "expected a map");
    return false;
  }
  // yaml-cpp keeps both entries of a duplicated key and returns the first:
  // a silent override an operator would never see. Maps are small, so a
  // quadratic check beats a set.
  std::vector<const std::string*> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar()) {
      error(it->first, field, "keys must be plain strings");
      continue;
    }
    const std::string& key = it->first.Scalar();
    bool dup = false;
    for (const std::string* k : seen) dup = dup || *k == key;
    if (dup) {
      error(it->first, field.empty() ? key : field + "." + key,
            "duplicate key '" + key + "' (the first one would silently win)");
      continue;
    }
    seen.push_back(&key);
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      error(it->first, field.empty() ? key : field + "." + key,
            "unknown key '" + key + "' (expected one of: " + list + ")");
    }
  }
  return true;
}

bool YamlReader::expect_sequence(const YAML::Node& n, const std::string& field) {
  if (!n.IsSequence()) {
    error(n, field, "expected a list");
    return false;
  }
  return true;
}

std::optional<std::string> YamlReader::string(const YAML::Node& n, const std::string& field) {
  if (!n.IsScalar()) {
    error(n, field, "expected a string");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<int64_t> YamlReader::integer(const YAML::Node& n, const std::string& field,
                                           int64_t min, int64_t max) {
  if (!n.IsScalar()) {
    error(n, field, "expected an integer");
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    error(n, field, "expected an integer, got '" + s + "'");
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(n, field,
          std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
              std::to_string(max) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& n, const std::string& field) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  error(n, field, "expected true or false");
  return std::nullopt;
}

std::optional<double> YamlReader::number(const YAML::Node& n, const std::string& field, double min,
                                         double max) {
  if (!n.IsScalar()) {
    error(n, field, "expected a number");
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) {
    error(n, field, "expected a number, got '" + s + "'");
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(n, field, s + " is out of range [" + fmt(min) + ", " + fmt(max) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<Duration> YamlReader::duration(const YAML::Node& n, const std::string& field,
                                             Duration min, Duration max) {
  auto s = string(n, field);
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d) {
    error(n, field, d.error().message);
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    error(n, field, *s + " is out of range [" + to_string(min) + ", " + to_string(max) + "]");
    return std::nullopt;
  }
  return *d;
}

std::optional<Ipv4Prefix> YamlReader::prefix(const YAML::Node& n, const std::string& field) {
  auto s = string(n, field);
  if (!s) return std::nullopt;
  auto p = Ipv4Prefix::parse(*s);
  if (!p) {
    error(n, field, p.error().message);
    return std::nullopt;
  }
  return *p;
}

std::optional<std::vector<std::string>> YamlReader::string_list(const YAML::Node& n,
                                                                const std::string& field) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) {
    error(n, field, "expected a string or a list of strings");
    return std::nullopt;
  }
  bool ok = true;
  for (size_t i = 0; i < n.size(); ++i) {
    if (auto s = string(n[i], field + "[" + std::to_string(i) + "]"))
      out.push_back(*s);
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

SourcePosition YamlReader::position(const YAML::Node& n) const {
  SourcePosition p{file_, 0, 0};
  if (n.IsDefined() && !n.Mark().is_null()) {
    p.line = n.Mark().line + 1;
    p.column = n.Mark().column + 1;
  }
  return p;
}

YAML::Node YamlReader::required(const YAML::Node& map, const std::string& parent_field,
                                const char* key) {
  YAML::Node child = map[key];
  if (!child.IsDefined() || child.IsNull()) {
    error(map, parent_field.empty() ? key : parent_field + "." + key,
          std::string("missing required field '") + key + "'");
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return child;
}

}  // namespace sbc::policy
