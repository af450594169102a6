// In-memory location service (RFC 3261 10.3): bindings per address-of-record.
// Single-threaded: owned and called by the control-plane event loop.
//
// A REGISTER is applied atomically: every check (Contact/Expires validity,
// 423, Call-ID/CSeq order, contact cap) runs against a copy of the AOR's
// bindings, and the store and the sink see the change only when all pass.
//
// Memory: everything the store keeps (AOR records, bindings and their
// strings, the expiry index, the per-address counts) comes from a pool of its
// own. Allocated from the general heap, each binding's half-dozen small
// blocks landed between the ~10 KB of Sofia transaction memory every
// REGISTER allocates and frees 32 s later, and kept those pages resident:
// about 9 KB of RSS per binding after malloc_trim, 22 KB without, where the
// store itself uses under 600 bytes (perf/README.md, "Memory per binding").
#pragma once

#include <cstdint>
#include <functional>
#include <memory_resource>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "controlplane/registrar/binding.h"
#include "controlplane/registrar/binding_sink.h"
#include "controlplane/registrar/clock.h"
#include "controlplane/registrar/register_request.h"
#include "controlplane/registrar/registrar_config.h"

namespace sbc::registrar {

enum class RegistrationState { kNever, kRegistered, kExpired };

std::string_view registration_state_name(RegistrationState s);

struct RegisterOutcome {
  int status = 200;          // 200, or the SIP status to answer with
  std::string reason;        // reason phrase / log text for a refusal
  uint32_t min_expires = 0;  // for 423: the Min-Expires header value
  // On 200: every current binding of the AOR, best first, for the Contact
  // list of the response (each with its own expires= remaining).
  std::vector<Binding> bindings;

  bool ok() const { return status == 200; }
};

struct ExpiredBinding {
  std::string aor;
  Binding binding;
};

class LocationStore {
 public:
  // config must pass validate(); sink may be null.
  LocationStore(RegistrarConfig config, const Clock& clock, BindingSink* sink = nullptr);

  RegisterOutcome apply(const RegisterRequest& request);

  // Live bindings, highest q first, then most recently refreshed first, then
  // by binding key (a total order: stable across restarts).
  std::vector<Binding> lookup(std::string_view aor) const;
  RegistrationState state(std::string_view aor) const;

  // Removes bindings whose expiry has passed, tells the sink, and returns
  // them (the caller withdraws their dataplane trust).
  std::vector<ExpiredBinding> sweep();

  // Puts back a binding loaded from persistence, without telling the sink.
  // Expired ones and ones over the caps are skipped (returns false).
  bool restore(std::string_view aor, Binding binding);

  // Is any live binding registered from this IP address? The ban logic asks
  // before banning a whole address shared by many phones behind one NAT.
  bool address_in_use(Ipv4Address address) const;

  // Every live binding (expired ones not yet swept are skipped), in no
  // particular order. For periodic work such as NAT keepalives.
  void for_each_binding(const std::function<void(std::string_view aor, const Binding& b)>& f) const;

  size_t binding_count() const { return binding_count_; }
  size_t aor_count() const { return aors_.size(); }
  const RegistrarConfig& config() const { return config_; }

 private:
  using Alloc = std::pmr::polymorphic_allocator<>;
  // A Binding as stored: the same fields, its strings in the store's pool.
  // Allocator-aware so the pool's containers hand it their allocator.
  struct StoredBinding {
    using allocator_type = Alloc;
    // From a Binding, or a StoredBinding copied or moved (a vector growing).
    template <typename From>
    StoredBinding(From&& b, const allocator_type& a)
        : contact(std::forward<From>(b).contact, a),
          instance_id(std::forward<From>(b).instance_id, a),
          call_id(std::forward<From>(b).call_id, a),
          user_agent(std::forward<From>(b).user_agent, a),
          reg_id(b.reg_id),
          cseq(b.cseq),
          q(b.q),
          behind_nat(b.behind_nat),
          expires_at(b.expires_at),
          registered_at(b.registered_at),
          received(b.received) {}
    StoredBinding(StoredBinding&&) noexcept = default;
    StoredBinding& operator=(StoredBinding&&) noexcept = default;
    Binding to_binding() const;
    std::string key() const { return binding_key(contact, instance_id, reg_id); }

    std::pmr::string contact, instance_id, call_id, user_agent;
    std::optional<uint32_t> reg_id;
    uint32_t cseq = 0;
    uint16_t q = 1000;
    bool behind_nat = false;
    Time expires_at{};
    Time registered_at{};
    Source received;
  };
  struct AorRecord {
    using allocator_type = Alloc;
    explicit AorRecord(const allocator_type& a) : bindings(a) {}
    AorRecord(const AorRecord& o, const allocator_type& a)
        : bindings(o.bindings, a), next_expiry(o.next_expiry) {}
    AorRecord(AorRecord&& o, const allocator_type& a)
        : bindings(std::move(o.bindings), a), next_expiry(o.next_expiry) {}
    std::pmr::vector<StoredBinding> bindings;
    Time next_expiry = Time::max();
  };
  // Heterogeneous lookup: a string_view finds its AOR without a copy.
  struct AorHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct AorEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  using AorMap = std::pmr::unordered_map<std::pmr::string, AorRecord, AorHash, AorEqual>;

  void index_remove(const std::pmr::string& aor, const AorRecord& rec);
  void index_add(const std::pmr::string& aor, AorRecord& rec);
  void count_source(Ipv4Address address, int delta);
  std::vector<Binding> sorted_live(const AorRecord& rec) const;

  RegistrarConfig config_;
  const Clock& clock_;
  BindingSink* sink_;
  // Declared before (so destroyed after) everything allocated from it.
  // Unsynchronized: the store is single-threaded.
  std::pmr::unsynchronized_pool_resource pool_;
  // Node-based: the key strings stay put across rehash, so the expiry index
  // can point at them instead of copying every AOR.
  AorMap aors_{&pool_};
  std::pmr::set<std::pair<Time, const std::pmr::string*>> expiry_index_{&pool_};
  std::pmr::unordered_map<uint32_t, uint32_t> bindings_per_address_{&pool_};
  size_t binding_count_ = 0;
};

}  // namespace sbc::registrar
