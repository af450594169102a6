#include "dataplane/neighbour_table.h"

#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <cstring>

namespace sbc::dataplane {

Result<std::unique_ptr<NeighbourTable>> NeighbourTable::create(const std::string& name,
                                                               uint32_t capacity,
                                                               rte_rcu_qsbr* qsbr) {
  std::unique_ptr<NeighbourTable> t(new NeighbourTable(qsbr));
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = capacity;
  p.key_len = sizeof(Key);
  p.hash_func = rte_hash_crc;
  p.socket_id = SOCKET_ID_ANY;
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
  t->hash_ = rte_hash_create(&p);
  if (!t->hash_)
    return make_error("neighbour table: rte_hash_create: " + std::string(rte_strerror(rte_errno)));
  return t;
}

NeighbourTable::~NeighbourTable() {
  if (hash_) rte_hash_free(hash_);
}

Status NeighbourTable::set(uint16_t leg, uint32_t ip, const rte_ether_addr& mac) {
  uint64_t v = 0;
  std::memcpy(&v, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  uint64_t sk = uint64_t{leg} << 32 | ip;
  auto it = shadow_.find(sk);
  if (it != shadow_.end() && it->second == v) return ok_status();
  Key k{ip, leg, 0};
  // An existing key's data is replaced in place with one atomic store.
  int rc = rte_hash_add_key_data(hash_, &k, reinterpret_cast<void*>(static_cast<uintptr_t>(v)));
  if (rc < 0) return make_error("neighbour table: " + std::string(strerror(-rc)));
  shadow_[sk] = v;
  return ok_status();
}

void NeighbourTable::remove(uint16_t leg, uint32_t ip) {
  Key k{ip, leg, 0};
  int32_t pos = rte_hash_del_key(hash_, &k);
  shadow_.erase(uint64_t{leg} << 32 | ip);
  if (pos < 0) return;
  deferred_.defer([this, pos] { rte_hash_free_key_with_position(hash_, pos); });
}

}  // namespace sbc::dataplane
