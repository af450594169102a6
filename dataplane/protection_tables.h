// The three tables the protection stages read, each an immutable object
// behind one atomic pointer: the control thread builds a replacement aside,
// stores it (release), and frees the old one after an RCU grace period
// (RcuDeferredFree). Workers load each pointer once per burst (acquire) and
// never lock.
#pragma once

#include <atomic>

#include "dataplane/deny_list.h"
#include "dataplane/filter_tables.h"
#include "dataplane/trust_overrides.h"

namespace sbc::dataplane {

struct ProtectionTables {
  std::atomic<const DenySnapshot*> deny{nullptr};
  std::atomic<const FilterTables*> filters{nullptr};
  std::atomic<const TrustOverrides*> trust{nullptr};
};

}  // namespace sbc::dataplane
