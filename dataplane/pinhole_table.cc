#include "dataplane/pinhole_table.h"

#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <cstring>

namespace sbc::dataplane {

Result<std::unique_ptr<PinholeTable>> PinholeTable::create(const std::string& name,
                                                           uint32_t capacity, rte_rcu_qsbr* qsbr) {
  std::unique_ptr<PinholeTable> t(new PinholeTable(capacity, qsbr));
  rte_hash_parameters p{};
  p.name = name.c_str();
  // rte_hash needs head room over the live entries: buckets fill unevenly,
  // and deleted keys hold their slot until the grace period ends.
  p.entries = capacity + capacity / 4 + 64;
  p.key_len = sizeof(PinholeKey);
  p.hash_func = rte_hash_crc;
  p.socket_id = SOCKET_ID_ANY;
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  t->hash_ = rte_hash_create(&p);
  if (!t->hash_)
    return make_error("pinhole table: rte_hash_create: " + std::string(rte_strerror(rte_errno)));
  t->pool_.reset(new Pinhole[capacity]);
  t->free_.reserve(capacity);
  for (uint32_t i = capacity; i > 0; --i) t->free_.push_back(i - 1);
  return t;
}

PinholeTable::~PinholeTable() {
  if (hash_) rte_hash_free(hash_);
}

void PinholeTable::fill(uint32_t idx, const Init& init, uint32_t peer) {
  Pinhole& e = pool_[idx];
  e.key = init.key;
  e.peer = peer;
  e.session = init.session;
  e.stream = init.stream;
  e.side = init.side;
  e.rtcp = init.rtcp;
  e.expected.store(init.expected, std::memory_order_relaxed);
  e.remote.store(0, std::memory_order_relaxed);
  e.police_interval.store(init.police_interval, std::memory_order_relaxed);
  e.police_tolerance.store(init.police_tolerance, std::memory_order_relaxed);
  e.bw_interval.store(init.bw_interval, std::memory_order_relaxed);
  e.bw_burst.store(init.bw_burst, std::memory_order_relaxed);
  e.pt_map.store(init.pt_map, std::memory_order_relaxed);
  e.packets = e.bytes = e.rtp_seq_gaps = e.last_seen_tsc = e.police_tat = e.bw_tat = 0;
  e.last_seq = 0;
  e.have_seq = false;
}

Result<std::pair<uint32_t, uint32_t>> PinholeTable::add_pair(const Init& a, const Init& b) {
  reclaim();
  if (free_.size() < 2)
    return make_error("pinhole table full (" + std::to_string(capacity_) + " entries)");
  if (rte_hash_lookup(hash_, &a.key) >= 0 || rte_hash_lookup(hash_, &b.key) >= 0)
    return make_error("pinhole already installed");
  const uint32_t ia = free_[free_.size() - 1], ib = free_[free_.size() - 2];
  fill(ia, a, ib);
  fill(ib, b, ia);
  // rte_hash's LF add publishes with release semantics: a worker that finds
  // a key sees its entry (and the peer's) as written above.
  int rc = rte_hash_add_key_data(hash_, &a.key, reinterpret_cast<void*>(uintptr_t{ia}));
  if (rc < 0) return make_error("pinhole table: " + std::string(strerror(-rc)));
  rc = rte_hash_add_key_data(hash_, &b.key, reinterpret_cast<void*>(uintptr_t{ib}));
  if (rc < 0) {
    free_.pop_back();  // ia goes back through the grace period
    free_.pop_back();
    free_.push_back(ib);
    // a was visible for a moment: counted in and out, so the totals agree.
    installed_.store(installed_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    remove(ia);
    return make_error("pinhole table: " + std::string(strerror(-rc)));
  }
  free_.pop_back();
  free_.pop_back();
  installed_.store(installed_.load(std::memory_order_relaxed) + 2, std::memory_order_relaxed);
  return std::make_pair(ia, ib);
}

void PinholeTable::remove(uint32_t index) {
  int32_t pos = rte_hash_del_key(hash_, &pool_[index].key);
  if (pos < 0) return;
  removed_.store(removed_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  // With RW_CONCURRENCY_LF and no RCU attached to the hash, the key slot
  // stays reserved until we free it: after the grace period, like the entry.
  deferred_.defer([this, pos, index] {
    rte_hash_free_key_with_position(hash_, pos);
    free_.push_back(index);
  });
}

void PinholeTable::lookup_bulk(const void** keys, unsigned n, Pinhole** out) const {
  void* data[RTE_HASH_LOOKUP_BULK_MAX];
  uint64_t hits = 0;
  rte_hash_lookup_bulk_data(hash_, keys, n, &hits, data);
  for (unsigned i = 0; i < n; ++i)
    out[i] = (hits >> i) & 1 ? &pool_[static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data[i]))]
                             : nullptr;
}

Pinhole* PinholeTable::lookup(const PinholeKey& key) const {
  void* data = nullptr;
  if (rte_hash_lookup_data(hash_, &key, &data) < 0) return nullptr;
  return &pool_[static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data))];
}

}  // namespace sbc::dataplane
