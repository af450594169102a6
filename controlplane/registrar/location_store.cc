#include "controlplane/registrar/location_store.h"

#include <algorithm>

namespace sbc::registrar {
namespace {

RegisterOutcome refuse(int status, std::string reason) {
  RegisterOutcome o;
  o.status = status;
  o.reason = std::move(reason);
  return o;
}

template <typename Bindings>
auto* find_by_key(Bindings& v, const std::string& key) {
  for (auto& b : v)
    if (b.key() == key) return &b;
  return static_cast<decltype(&v[0])>(nullptr);
}

}  // namespace

std::string_view registration_state_name(RegistrationState s) {
  switch (s) {
    case RegistrationState::kNever:
      return "never";
    case RegistrationState::kRegistered:
      return "registered";
    case RegistrationState::kExpired:
      return "expired";
  }
  return "never";
}

Binding LocationStore::StoredBinding::to_binding() const {
  Binding b;
  b.contact = contact;
  b.instance_id = instance_id;
  b.reg_id = reg_id;
  b.call_id = call_id;
  b.cseq = cseq;
  b.q = q;
  b.expires_at = expires_at;
  b.registered_at = registered_at;
  b.received = received;
  b.behind_nat = behind_nat;
  b.user_agent = user_agent;
  return b;
}

LocationStore::LocationStore(RegistrarConfig config, const Clock& clock, BindingSink* sink)
    : config_(config), clock_(clock), sink_(sink) {}

void LocationStore::index_remove(const std::pmr::string& aor, const AorRecord& rec) {
  if (rec.next_expiry != Time::max()) expiry_index_.erase({rec.next_expiry, &aor});
}

void LocationStore::index_add(const std::pmr::string& aor, AorRecord& rec) {
  rec.next_expiry = Time::max();
  for (const auto& b : rec.bindings) rec.next_expiry = std::min(rec.next_expiry, b.expires_at);
  if (rec.next_expiry != Time::max()) expiry_index_.insert({rec.next_expiry, &aor});
}

void LocationStore::count_source(Ipv4Address address, int delta) {
  auto& n = bindings_per_address_[address.value];
  n = static_cast<uint32_t>(static_cast<int64_t>(n) + delta);
  if (n == 0) bindings_per_address_.erase(address.value);
  binding_count_ = static_cast<size_t>(static_cast<int64_t>(binding_count_) + delta);
}

std::vector<Binding> LocationStore::sorted_live(const AorRecord& rec) const {
  Time now = clock_.now();
  std::vector<Binding> out;
  for (const auto& b : rec.bindings)
    if (b.expires_at > now) out.push_back(b.to_binding());
  std::stable_sort(out.begin(), out.end(), [](const Binding& a, const Binding& b) {
    if (a.q != b.q) return a.q > b.q;
    if (a.registered_at != b.registered_at) return a.registered_at > b.registered_at;
    // A total order, so the answer is the same after a restart reloads the
    // bindings in another order.
    return a.key() < b.key();
  });
  return out;
}

RegisterOutcome LocationStore::apply(const RegisterRequest& req) {
  Time now = clock_.now();
  if (req.aor.empty()) return refuse(400, "missing address-of-record");
  if (req.call_id.empty()) return refuse(400, "missing Call-ID");

  // Cheap refusals first, before any copying: a hostile Contact list costs
  // one size check.
  if (req.contacts.size() > config_.max_contacts_per_aor)
    return refuse(403, "too many Contacts (" + std::to_string(req.contacts.size()) + " > " +
                           std::to_string(config_.max_contacts_per_aor) + ")");
  if (req.star && (!req.contacts.empty() || req.expires_header != 0))
    // RFC 3261 10.3 step 6: '*' only alone and only with Expires: 0.
    return refuse(400, "Contact: * requires Expires: 0 and no other Contact");

  auto it = aors_.find(std::string_view(req.aor));
  if (it == aors_.end() && !req.star && req.contacts.empty()) {
    RegisterOutcome o;  // query of an unknown AOR: no bindings
    return o;
  }

  std::vector<Binding> next;
  if (it != aors_.end())
    for (const auto& b : it->second.bindings) next.push_back(b.to_binding());
  // Drop bindings that expired since the last sweep so they neither count
  // toward the cap nor block a CSeq.
  std::erase_if(next, [&](const Binding& b) { return b.expires_at <= now; });

  if (req.star) {
    for (const auto& b : next)
      if (b.call_id == req.call_id && req.cseq <= b.cseq)
        return refuse(400, "out-of-order CSeq for Call-ID " + req.call_id);
    next.clear();
  }

  std::vector<std::string> touched;  // keys this request added or refreshed
  for (const auto& c : req.contacts) {
    if (c.uri.empty()) return refuse(400, "empty Contact URI");
    uint32_t expires = c.expires
                           ? *c.expires
                           : (req.expires_header ? *req.expires_header : config_.default_expires);
    std::string key = binding_key(c.uri, c.instance_id, c.reg_id);
    Binding* existing = find_by_key(next, key);
    // RFC 3261 10.3 step 6: same Call-ID must bring a higher CSeq; another
    // Call-ID (the phone rebooted) replaces the binding whatever its CSeq.
    // (A Contact listed twice in one request is not a replay of itself.)
    bool seen_here = std::find(touched.begin(), touched.end(), key) != touched.end();
    if (existing != nullptr && !seen_here && existing->call_id == req.call_id &&
        req.cseq <= existing->cseq)
      return refuse(400, "out-of-order CSeq for Call-ID " + req.call_id);

    if (expires == 0) {
      touched.push_back(key);
      if (existing != nullptr)
        std::erase_if(next, [&](const Binding& b) { return b.key() == key; });
      continue;
    }
    if (expires < config_.min_expires) {
      RegisterOutcome o = refuse(423, "Interval Too Brief");
      o.min_expires = config_.min_expires;
      return o;
    }
    expires = std::min(expires, config_.max_expires);
    if (req.behind_nat) expires = std::min(expires, config_.nat_max_expires);

    Binding& b = existing != nullptr ? *existing : next.emplace_back();
    if (!seen_here) touched.push_back(key);
    b.contact = c.uri;
    b.instance_id = c.instance_id;
    b.reg_id = c.reg_id;
    b.call_id = req.call_id;
    b.cseq = req.cseq;
    b.q = c.q.value_or(1000);
    b.expires_at = now + Seconds{expires};
    b.registered_at = now;
    b.received = req.received;
    b.behind_nat = req.behind_nat;
    b.user_agent = req.user_agent;
  }

  if (next.size() > config_.max_contacts_per_aor)
    return refuse(403, "too many registered contacts for " + req.aor);
  size_t old_count = it != aors_.end() ? it->second.bindings.size() : 0;
  if (binding_count_ - old_count + next.size() > config_.max_bindings)
    return refuse(503, "location store full");

  if (!req.star && req.contacts.empty()) {
    RegisterOutcome o;
    o.bindings = sorted_live(it->second);
    return o;
  }

  if (it == aors_.end() && next.empty()) return RegisterOutcome{};  // nothing to remove

  // Commit.
  if (it == aors_.end()) it = aors_.try_emplace(std::pmr::string(req.aor, &pool_)).first;
  AorRecord& rec = it->second;
  if (sink_ != nullptr) {
    for (const auto& old : rec.bindings)
      if (find_by_key(next, old.key()) == nullptr) sink_->binding_removed(it->first, old.key());
  }
  index_remove(it->first, rec);
  for (const auto& b : rec.bindings) count_source(b.received.address, -1);
  rec.bindings.clear();
  for (const auto& b : next) {
    rec.bindings.emplace_back(b);
    count_source(b.received.address, +1);
  }
  index_add(it->first, rec);
  if (sink_ != nullptr) {
    for (const auto& b : next)
      if (std::find(touched.begin(), touched.end(), b.key()) != touched.end())
        sink_->binding_upserted(it->first, b);
  }

  RegisterOutcome o;
  o.bindings = sorted_live(rec);
  return o;
}

std::vector<Binding> LocationStore::lookup(std::string_view aor) const {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return {};
  return sorted_live(it->second);
}

RegistrationState LocationStore::state(std::string_view aor) const {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return RegistrationState::kNever;
  Time now = clock_.now();
  for (const auto& b : it->second.bindings)
    if (b.expires_at > now) return RegistrationState::kRegistered;
  return RegistrationState::kExpired;
}

std::vector<ExpiredBinding> LocationStore::sweep() {
  Time now = clock_.now();
  std::vector<ExpiredBinding> out;
  while (!expiry_index_.empty() && expiry_index_.begin()->first <= now) {
    const std::pmr::string* aor = expiry_index_.begin()->second;
    expiry_index_.erase(expiry_index_.begin());
    AorRecord& rec = aors_.find(*aor)->second;
    rec.next_expiry = Time::max();
    // The AOR record stays (empty) so state() can say "expired" not "never".
    std::erase_if(rec.bindings, [&](const StoredBinding& b) {
      if (b.expires_at > now) return false;
      count_source(b.received.address, -1);
      if (sink_ != nullptr) sink_->binding_removed(*aor, b.key());
      out.push_back({std::string(*aor), b.to_binding()});
      return true;
    });
    index_add(*aor, rec);
  }
  return out;
}

bool LocationStore::restore(std::string_view aor, Binding binding) {
  if (binding.expires_at <= clock_.now()) return false;
  if (binding_count_ >= config_.max_bindings) return false;
  auto it = aors_.find(aor);
  if (it == aors_.end()) it = aors_.try_emplace(std::pmr::string(aor, &pool_)).first;
  AorRecord& rec = it->second;
  std::string key = binding.key();
  if (find_by_key(rec.bindings, key) != nullptr) return false;
  if (rec.bindings.size() >= config_.max_contacts_per_aor) return false;
  index_remove(it->first, rec);
  count_source(binding.received.address, +1);
  rec.bindings.emplace_back(binding);
  index_add(it->first, rec);
  return true;
}

bool LocationStore::address_in_use(Ipv4Address address) const {
  return bindings_per_address_.contains(address.value);
}

void LocationStore::for_each_binding(
    const std::function<void(std::string_view aor, const Binding& b)>& f) const {
  const Time now = clock_.now();
  for (const auto& [aor, rec] : aors_)
    for (const auto& b : rec.bindings)
      if (b.expires_at > now) f(aor, b.to_binding());
}

}  // namespace sbc::registrar
