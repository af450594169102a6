#include "policy/policy_check.h"

#include "policy/loader.h"

namespace sbc::policy {

int check_policy_file(const std::string& path, bool strict, FILE* out, FILE* diag) {
  auto loaded = load_policy_file(path);
  int errors = 0, warnings = 0;
  for (const auto& d : loaded.diagnostics) {
    fprintf(diag, "%s\n", d.to_string().c_str());
    (d.severity == Diagnostic::Severity::error ? errors : warnings)++;
  }
  if (errors || (strict && warnings)) {
    fprintf(diag, "%s: %d error(s), %d warning(s)\n", path.c_str(), errors, warnings);
    return 1;
  }
  fprintf(out, "%s: ok (%d warning(s))\n", path.c_str(), warnings);
  return 0;
}

}  // namespace sbc::policy
