// The compiled form of a FilterSet that workers read: the rte_acl context
// and each trust class's policer parameters in TSC cycles. Built aside by
// the control thread (build_filter_tables), published with one atomic store,
// freed after an RCU grace period; workers never see it change under them.
#pragma once

#include <rte_acl.h>

#include <cstdint>
#include <memory>

#include "common/result.h"
#include "dataplane/filter_set.h"

namespace sbc::dataplane {

// GCRA (a token bucket written as one timestamp): a packet conforms when the
// bucket's theoretical arrival time is at most `tolerance` ahead of now; it
// then moves `interval` further. interval = 0 means unlimited; a class with
// rate 0 gets interval = UINT64_MAX (nothing conforms).
struct PoliceParams {
  uint64_t interval = 0;
  uint64_t tolerance = 0;
};

PoliceParams police_params(uint32_t rate, uint32_t burst, uint64_t tsc_hz);

// One packet against a bucket whose theoretical arrival time is `tat`: true
// (and the bucket charged) when it conforms. About 5 instructions.
inline bool police_conform(uint64_t& tat, const PoliceParams& p, uint64_t now) {
  if (p.interval == 0) return true;
  if (p.interval == UINT64_MAX) return false;
  const uint64_t start = tat > now ? tat : now;
  if (start - now > p.tolerance) return false;
  tat = start + p.interval;
  return true;
}

// The lookup key of one frame, in network byte order as rte_acl wants it
// (rules are in host order). Field layout: acl_table.cc.
struct AclKey {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t src;
  uint16_t leg;
  uint16_t dport;
};
static_assert(sizeof(AclKey) == 12);

// rte_acl userdata of a deny rule; allow rules carry class + 1.
inline constexpr uint32_t kAclDenyResult = 0x100;

struct FilterTables {
  rte_acl_ctx* acl = nullptr;  // null: no rule, every source in default_class
  PoliceParams classes[kMaxTrustClasses];
  uint8_t n_classes = 0;
  uint8_t default_class = 0;
  PoliceParams untrusted_cap;

  FilterTables() = default;
  FilterTables(const FilterTables&) = delete;
  FilterTables& operator=(const FilterTables&) = delete;
  ~FilterTables() {
    if (acl) rte_acl_free(acl);
  }
};

// Builds the rte_acl context for `f` (control thread; rte_acl_build is not
// thread-safe, and takes about 35 ms for 2,000 rules, FACTS.md).
Result<std::unique_ptr<const FilterTables>> build_filter_tables(const FilterSet& f,
                                                                uint64_t tsc_hz);

}  // namespace sbc::dataplane
