// Next-hop MAC addresses per leg, written by the control thread (from the
// kernel's neighbour table on the exception TAP, and from latched media), read
// lock-free by workers. A miss is counted as no_neighbour by the relay stage;
// the fast path never waits for resolution.
#pragma once

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include <map>
#include <memory>
#include <string>

#include "common/result.h"
#include "dataplane/rcu_deferred_free.h"

namespace sbc::dataplane {

class NeighbourTable {
 public:
  static Result<std::unique_ptr<NeighbourTable>> create(const std::string& name, uint32_t capacity,
                                                        rte_rcu_qsbr* qsbr);
  ~NeighbourTable();

  // Control thread. ip in network order.
  Status set(uint16_t leg, uint32_t ip, const rte_ether_addr& mac);
  void remove(uint16_t leg, uint32_t ip);
  size_t reclaim() { return deferred_.reclaim(); }
  // What is published now, keyed (leg << 32 | ip).
  const std::map<uint64_t, uint64_t>& entries() const { return shadow_; }

  // Workers: false when unresolved. The MAC travels inside the hash's data
  // word itself, so an update is one atomic store and there is nothing to free.
  bool lookup(uint16_t leg, uint32_t ip, rte_ether_addr& mac) const {
    Key k{ip, leg, 0};
    void* data;
    if (rte_hash_lookup_data(hash_, &k, &data) < 0) return false;
    uint64_t v = reinterpret_cast<uintptr_t>(data);
    __builtin_memcpy(mac.addr_bytes, &v, RTE_ETHER_ADDR_LEN);
    return true;
  }

 private:
  struct Key {
    uint32_t ip;
    uint16_t leg;
    uint16_t pad;
  };
  explicit NeighbourTable(rte_rcu_qsbr* qsbr) : deferred_(qsbr) {}
  rte_hash* hash_ = nullptr;
  std::map<uint64_t, uint64_t> shadow_;  // control thread's copy
  RcuDeferredFree deferred_;
};

}  // namespace sbc::dataplane
