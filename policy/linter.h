// Lint: things a policy may legally say but an operator almost certainly
// did not mean. Findings are warnings (the policy still loads); `sbcd
// --check --strict` turns them into a failure.
#pragma once

#include "policy/diagnostic.h"
#include "policy/policy.h"

namespace sbc::policy {

// At most this many findings of one kind are listed; the rest are counted in
// one summary line, so a 50,000-phone members file with default passwords
// does not print 50,000 lines.
inline constexpr size_t kMaxFindingsPerKind = 20;

void lint_policy(const Policy& policy, Diagnostics& out);

}  // namespace sbc::policy
