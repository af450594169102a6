#include "dataplane/police_stage.h"

#include "dataplane/protection_tables.h"
#include "dataplane/source_policer.h"

namespace sbc::dataplane {

void police_stage(StageContext& c, unsigned leg, Burst& b) {
  if (!c.protection || b.n == 0) return;
  const FilterTables* f = c.protection->filters.load(std::memory_order_acquire);
  if (!f) return;
  const TrustOverrides* t = c.protection->trust.load(std::memory_order_acquire);
  LegCounters& lc = c.counters->legs[leg];
  uint16_t kept = 0;
  for (uint16_t i = 0; i < b.n; ++i) {
    const PacketMeta& pm = b.meta[i];
    unsigned cls = pm.trust_class;
    if (t) {
      const int o = t->find(pm.src_ip);
      if (o >= 0) cls = static_cast<unsigned>(o);
    }
    if (cls >= f->n_classes) cls = f->default_class;
    if (!c.policer->conform(pm.src_ip, static_cast<uint8_t>(cls), f->classes[cls], c.now_tsc)) {
      counter_add(lc.class_policed[cls], 1);
      if (c.policer->should_report(pm.src_ip, c.now_tsc)) {
        // The control plane decides what a flood costs (a ban, for an
        // untrusted source); the dataplane only says who.
        DataplaneEvent e;
        e.type = EventType::source_abuse;
        e.leg = static_cast<uint8_t>(leg);
        e.stream = static_cast<uint16_t>(cls);
        e.remote = Ipv4Address{__builtin_bswap32(pm.src_ip)};
        emit_event(c, e);
      }
      drop(c, leg, b.pkts[i], DropReason::police);
      continue;
    }
    if (cls == f->default_class && !c.policer->conform_cap(f->untrusted_cap, c.now_tsc)) {
      counter_add(lc.class_policed[cls], 1);
      drop(c, leg, b.pkts[i], DropReason::police_cap);
      continue;
    }
    counter_add(lc.class_punted[cls], 1);
    b.pkts[kept] = b.pkts[i];
    b.meta[kept++] = pm;
  }
  b.n = kept;
}

}  // namespace sbc::dataplane
