// Where a policy object was defined, so the linter and the control plane can
// point an operator at the line to edit (a YAML file, or a CSV row for peers
// that a template loads from a members file).
#pragma once

#include <string>

namespace sbc::policy {

struct SourcePosition {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown (e.g. a row of an SQLite table)
  int column = 0;
  friend bool operator==(const SourcePosition&, const SourcePosition&) = default;
};

}  // namespace sbc::policy
