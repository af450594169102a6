// `sbcd --check FILE` and `sbcctl policy check FILE`: load a policy, print
// every error and warning (file:line:column: field: message), and say
// whether it may be deployed. One implementation for both tools.
#pragma once

#include <cstdio>
#include <string>

namespace sbc::policy {

// Returns the process exit code: 0 when the policy loads (and, with strict,
// has no warnings), else 1. Diagnostics go to `diag`, the verdict to `out`.
int check_policy_file(const std::string& path, bool strict, FILE* out, FILE* diag);

}  // namespace sbc::policy
