// Everything a worker's stages read or write, gathered once per worker so a
// stage is a plain function over (context, leg, burst).
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <cstdint>

#include "dataplane/dataplane_event.h"
#include "dataplane/drop_reason.h"
#include "dataplane/lcore_counters.h"
#include "dataplane/leg.h"
#include "dataplane/tx_buffer.h"

namespace sbc::dataplane {

class PinholeTable;
class NeighbourTable;
struct ProtectionTables;
class SourcePolicer;

struct StageContext {
  const Leg* legs = nullptr;
  unsigned n_legs = 0;
  const PinholeTable* pinholes = nullptr;
  const NeighbourTable* neighbours = nullptr;
  const ProtectionTables* protection = nullptr;  // null: no deny list, ACL or policing
  SourcePolicer* policer = nullptr;              // this worker's buckets
  WorkerCounters* counters = nullptr;
  TxBuffer port_tx[kMaxLegs];  // toward each leg's wire
  TxBuffer punt_tx[kMaxLegs];  // toward each leg's exception TAP
  rte_ring* events = nullptr;  // multi-producer; drained by the control thread
  bool events_pending = false;
  uint64_t now_tsc = 0;  // read once per poll
};

// Hands an event to the control thread (multi-producer ring); a full ring
// counts it as lost. The worker wakes the control thread once per poll.
inline void emit_event(StageContext& c, DataplaneEvent e) {  // by value: the ring API takes void*
  if (rte_ring_mp_enqueue_elem(c.events, &e, sizeof e) == 0)
    c.events_pending = true;
  else
    counter_add(c.counters->events_lost, 1);
}

// Every drop goes through here: counted under its reason, mbuf freed.
inline void drop(StageContext& c, unsigned leg, rte_mbuf* m, DropReason r) {
  counter_add(c.counters->legs[leg].drops[static_cast<unsigned>(r)], 1);
  rte_pktmbuf_free(m);
}

}  // namespace sbc::dataplane
