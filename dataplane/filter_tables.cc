#include "dataplane/filter_tables.h"

#include <rte_errno.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

namespace sbc::dataplane {
namespace {

// One context per build needs a name of its own: rte_acl_create returns an
// existing context of the same name instead of a new one.
std::atomic<uint64_t> g_builds{0};

enum AclField { kProto, kSrc, kLeg, kDport, kFieldCount };

RTE_ACL_RULE_DEF(SbcAclRule, kFieldCount);

// Offsets into AclKey. The first field must be one byte (rte_acl reads it
// alone); every later input_index reads 4 bytes: src alone, then leg and
// dport together.
const rte_acl_field_def kFieldDefs[kFieldCount] = {
    {RTE_ACL_FIELD_TYPE_BITMASK, sizeof(uint8_t), kProto, 0, offsetof(AclKey, proto)},
    {RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), kSrc, 1, offsetof(AclKey, src)},
    {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), kLeg, 2, offsetof(AclKey, leg)},
    {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), kDport, 2, offsetof(AclKey, dport)},
};

}  // namespace

PoliceParams police_params(uint32_t rate, uint32_t burst, uint64_t tsc_hz) {
  PoliceParams p;
  if (rate == 0) {
    p.interval = UINT64_MAX;
    return p;
  }
  p.interval = tsc_hz / rate;
  if (p.interval == 0) p.interval = 1;
  p.tolerance = p.interval * (burst > 1 ? burst - 1 : 0);
  return p;
}

Result<std::unique_ptr<const FilterTables>> build_filter_tables(const FilterSet& f,
                                                                uint64_t tsc_hz) {
  if (f.classes.empty() || f.classes.size() > kMaxTrustClasses)
    return make_error("filters: 1 to " + std::to_string(kMaxTrustClasses) + " trust classes");
  if (f.default_class >= f.classes.size()) return make_error("filters: bad default class");
  auto t = std::make_unique<FilterTables>();
  t->n_classes = static_cast<uint8_t>(f.classes.size());
  t->default_class = f.default_class;
  for (size_t i = 0; i < f.classes.size(); ++i)
    t->classes[i] = police_params(f.classes[i].rate, f.classes[i].burst, tsc_hz);
  t->untrusted_cap = police_params(f.untrusted_cap_rate, f.untrusted_cap_burst, tsc_hz);
  if (f.rules.empty()) return std::unique_ptr<const FilterTables>(std::move(t));

  const std::string name = "sbc_acl" + std::to_string(g_builds.fetch_add(1));
  rte_acl_param prm{};
  prm.name = name.c_str();
  prm.socket_id = SOCKET_ID_ANY;
  prm.rule_size = RTE_ACL_RULE_SZ(kFieldCount);
  prm.max_rule_num = static_cast<uint32_t>(f.rules.size());
  t->acl = rte_acl_create(&prm);
  if (!t->acl) return make_error("acl: create: " + std::string(rte_strerror(rte_errno)));

  std::vector<SbcAclRule> rules(f.rules.size());
  const uint32_t n = static_cast<uint32_t>(f.rules.size());
  for (uint32_t i = 0; i < n; ++i) {
    const AclRule& r = f.rules[i];
    if (!r.deny && r.trust_class >= f.classes.size())
      return make_error("acl: " + r.origin + ": bad trust class");
    SbcAclRule& a = rules[i];
    std::memset(&a, 0, sizeof a);
    a.data.category_mask = 1;
    // First match wins: earlier rules get higher priority.
    a.data.priority = static_cast<int32_t>(n - i);
    a.data.userdata = r.deny ? kAclDenyResult : uint32_t{r.trust_class} + 1;
    a.field[kProto].value.u8 = r.protocol;
    a.field[kProto].mask_range.u8 = r.protocol ? 0xff : 0;
    a.field[kSrc].value.u32 = r.source.network().address.value;
    a.field[kSrc].mask_range.u32 = r.source.length;  // MASK fields take a prefix length
    a.field[kLeg].value.u16 = r.leg < 0 ? 0 : static_cast<uint16_t>(r.leg);
    a.field[kLeg].mask_range.u16 = r.leg < 0 ? 0xffff : static_cast<uint16_t>(r.leg);
    a.field[kDport].value.u16 = r.port_lo;
    a.field[kDport].mask_range.u16 = r.port_hi;
  }
  if (n > RTE_ACL_MAX_PRIORITY) return make_error("acl: too many rules");
  int rc = rte_acl_add_rules(t->acl, reinterpret_cast<const rte_acl_rule*>(rules.data()), n);
  if (rc != 0) return make_error("acl: add rules: " + std::string(rte_strerror(-rc)));
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  cfg.num_fields = kFieldCount;
  std::memcpy(cfg.defs, kFieldDefs, sizeof kFieldDefs);
  rc = rte_acl_build(t->acl, &cfg);
  if (rc != 0) return make_error("acl: build: " + std::string(rte_strerror(-rc)));
  return std::unique_ptr<const FilterTables>(std::move(t));
}

}  // namespace sbc::dataplane
