// The pinhole table: a lock-free rte_hash (one writer: the control thread;
// readers: the workers) from PinholeKey to an index into a fixed pool of
// Pinhole entries. A removed entry's key slot and pool entry are reused only
// after an RCU grace period, so a worker holding a pointer from a lookup
// never sees it change identity.
#pragma once

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "dataplane/pinhole.h"
#include "dataplane/rcu_deferred_free.h"

namespace sbc::dataplane {

class PinholeTable {
 public:
  static Result<std::unique_ptr<PinholeTable>> create(const std::string& name, uint32_t capacity,
                                                      rte_rcu_qsbr* qsbr);
  ~PinholeTable();

  // Control thread. Both entries are written (counters zeroed, each the
  // other's peer) before either key becomes visible to workers: a worker
  // never finds a pinhole whose peer is not there yet. Both or neither.
  struct Init {
    PinholeKey key;
    uint64_t expected = 0;
    MediaSessionId session = 0;
    uint16_t stream = 0;
    uint8_t side = 0;
    bool rtcp = false;
    uint64_t police_interval = 0;  // media policing, TSC cycles; 0: off
    uint64_t police_tolerance = 0;
    uint32_t bw_interval = 0;  // cycles per byte; 0: off
    uint32_t bw_burst = 0;
    uint16_t pt_map = 0;  // pack_pt_map(); 0: none
  };
  Result<std::pair<uint32_t, uint32_t>> add_pair(const Init& a, const Init& b);
  void remove(uint32_t index);
  size_t reclaim() { return deferred_.reclaim(); }
  size_t in_use() const { return capacity_ - free_.size(); }
  // Entries ever added and removed (a pair adds two). Written by the control
  // thread only; atomic so a scrape on the exposer's thread may read them.
  uint64_t installed() const { return installed_.load(std::memory_order_relaxed); }
  uint64_t removed() const { return removed_.load(std::memory_order_relaxed); }
  uint32_t capacity() const { return capacity_; }

  Pinhole& at(uint32_t index) { return pool_[index]; }
  const Pinhole& at(uint32_t index) const { return pool_[index]; }

  // Workers. Looks up `n` keys; out[i] is the entry or nullptr.
  // Measured cost: see perf/README.md (dataplane).
  // keys[i] points to a PinholeKey (rte_hash wants untyped pointers).
  void lookup_bulk(const void** keys, unsigned n, Pinhole** out) const;
  Pinhole* lookup(const PinholeKey& key) const;

 private:
  PinholeTable(uint32_t capacity, rte_rcu_qsbr* qsbr) : capacity_(capacity), deferred_(qsbr) {}
  void fill(uint32_t index, const Init& init, uint32_t peer);

  uint32_t capacity_;
  rte_hash* hash_ = nullptr;
  std::unique_ptr<Pinhole[]> pool_;
  std::vector<uint32_t> free_;
  RcuDeferredFree deferred_;
  std::atomic<uint64_t> installed_{0}, removed_{0};
};

}  // namespace sbc::dataplane
