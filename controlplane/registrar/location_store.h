// In-memory location service (RFC 3261 10.3): bindings per address-of-record.
// Single-threaded: owned and called by the control-plane event loop.
//
// A REGISTER is applied atomically: every check (Contact/Expires validity,
// 423, Call-ID/CSeq order, contact cap) runs against a copy of the AOR's
// bindings, and the store and the sink see the change only when all pass.
#pragma once

#include <cstdint>
#include <functional>
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
  struct AorRecord {
    std::vector<Binding> bindings;
    Time next_expiry = Time::max();
  };
  using AorMap = std::unordered_map<std::string, AorRecord>;

  void index_remove(const std::string& aor, const AorRecord& rec);
  void index_add(const std::string& aor, AorRecord& rec);
  void count_sources(const std::vector<Binding>& bindings, int delta);
  std::vector<Binding> sorted_live(const AorRecord& rec) const;

  RegistrarConfig config_;
  const Clock& clock_;
  BindingSink* sink_;
  // Node-based: the key strings stay put across rehash, so the expiry index
  // can point at them instead of copying every AOR.
  AorMap aors_;
  std::set<std::pair<Time, const std::string*>> expiry_index_;
  std::unordered_map<uint32_t, uint32_t> bindings_per_address_;
  size_t binding_count_ = 0;
};

}  // namespace sbc::registrar
