// Loads a policy file (YAML) into an immutable snapshot. All errors are
// collected and reported at once, each with file:line:column and the field.
#pragma once

#include <string>
#include <string_view>

#include "policy/diagnostic.h"
#include "policy/policy.h"
#include "policy/section_readers.h"

namespace sbc::policy {

struct LoadResult {
  PolicyPtr policy;  // null when diagnostics hold an error
  Diagnostics diagnostics;
};

// Files larger than this are refused before parsing (bounded time and memory).
inline constexpr size_t kMaxPolicyBytes = 16u << 20;

LoadResult load_policy_file(const std::string& path);
// Loads, validates and lints: `diagnostics` holds errors (then `policy` is
// null) and lint warnings (the policy still loads; `sbcd --check --strict`
// fails on them). Relative members files are looked up next to
// `source_name`.
LoadResult load_policy_text(std::string_view text, const std::string& source_name);
LoadResult load_policy_text(std::string_view text, const std::string& source_name,
                            const LoadOptions& options);

}  // namespace sbc::policy
