// One finding of the loader or the linter, pointing at file:line:column.
#pragma once

#include <string>
#include <vector>

namespace sbc::policy {

struct Diagnostic {
  enum class Severity { error, warning };
  Severity severity = Severity::error;
  std::string file;
  int line = 0;       // 1-based; 0 when the finding is about the whole file
  int column = 0;     // 1-based
  std::string field;  // dotted path, e.g. "interfaces[1].address"
  std::string message;

  std::string to_string() const;  // "file:line:col: error: field: message"
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& d);

}  // namespace sbc::policy
