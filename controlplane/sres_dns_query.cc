#include "controlplane/sres_dns_query.h"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>
#include <optional>
#include <string_view>

namespace sbc::controlplane {

const char* to_string(DnsAnswer::Status s) {
  switch (s) {
    case DnsAnswer::Status::ok:
      return "ok";
    case DnsAnswer::Status::no_such_name:
      return "nxdomain";
    case DnsAnswer::Status::no_records:
      return "no_records";
    case DnsAnswer::Status::timeout:
      return "timeout";
    case DnsAnswer::Status::failed:
      return "failed";
  }
  return "?";
}

namespace {

bool same_name(const char* record, const std::string& asked) {
  if (!record) return false;
  std::string_view r(record), q(asked);
  if (r.ends_with('.')) r.remove_suffix(1);
  if (q.ends_with('.')) q.remove_suffix(1);
  return r.size() == q.size() && strncasecmp(r.data(), q.data(), r.size()) == 0;
}

DnsAnswer::Status status_of(uint16_t sres_status) {
  switch (sres_status) {
    case SRES_NAME_ERR:
      return DnsAnswer::Status::no_such_name;
    case SRES_RECORD_ERR:
      return DnsAnswer::Status::no_records;
    case SRES_TIMEOUT_ERR:
      return DnsAnswer::Status::timeout;
    default:
      return DnsAnswer::Status::failed;
  }
}

}  // namespace

DnsAnswer answer_from_records(DnsType type, const std::string& name,
                              sres_record_t* const* records) {
  const uint16_t wanted = type == DnsType::a ? sres_type_a : sres_type_srv;
  std::vector<const sres_record_t*> kept;
  std::optional<uint16_t> error;
  for (size_t i = 0; records && records[i]; ++i) {
    const sres_record_t* r = records[i];
    if (r->sr_record->r_status != 0) {
      if (!error) error = r->sr_record->r_status;
      continue;
    }
    if (r->sr_record->r_type == wanted) kept.push_back(r);
  }
  if (std::any_of(kept.begin(), kept.end(),
                  [&](const sres_record_t* r) { return same_name(r->sr_record->r_name, name); }))
    std::erase_if(kept,
                  [&](const sres_record_t* r) { return !same_name(r->sr_record->r_name, name); });
  DnsAnswer out;
  if (kept.empty()) {
    out.status = error     ? status_of(*error)
                 : records ? DnsAnswer::Status::no_records
                           : DnsAnswer::Status::failed;
    return out;
  }
  out.status = DnsAnswer::Status::ok;
  out.ttl = UINT32_MAX;
  for (const sres_record_t* r : kept) {
    out.ttl = std::min(out.ttl, r->sr_record->r_ttl);
    if (type == DnsType::a) {
      Ipv4Address a{ntohl(r->sr_a->a_addr.s_addr)};
      if (std::find(out.a.begin(), out.a.end(), a) == out.a.end()) out.a.push_back(a);
    } else {
      const sres_srv_record_t* s = r->sr_srv;
      out.srv.push_back({s->srv_priority, s->srv_weight, s->srv_port,
                         s->srv_target ? std::string(s->srv_target) : std::string()});
    }
  }
  return out;
}

struct SresDnsQuery::Pending {
  SresDnsQuery* self = nullptr;
  Id id = 0;
  DnsType type = DnsType::a;
  std::string name;
  Done done;
  sres_query_t* q = nullptr;
  EventLoop::TimerId later = -1;  // a failure reported on the next turn
};

SresDnsQuery::SresDnsQuery(EventLoop& loop) : loop_(loop) {}

Result<std::unique_ptr<SresDnsQuery>> SresDnsQuery::create(EventLoop& loop,
                                                           const std::string& resolv_conf) {
  std::unique_ptr<SresDnsQuery> self(new SresDnsQuery(loop));
  self->res_ = sres_resolver_create(loop.root(), resolv_conf.c_str(), TAG_END());
  if (!self->res_) return make_error("cannot create the DNS resolver from " + resolv_conf);
  return self;
}

SresDnsQuery::~SresDnsQuery() {
  for (auto& [id, p] : pending_) {
    if (p->q)
      sres_query_bind(p->q, &SresDnsQuery::discard, reinterpret_cast<sres_context_t*>(res_));
    if (p->later >= 0) loop_.cancel(p->later);
  }
  pending_.clear();
  if (res_) sres_resolver_destroy(res_);
}

DnsQuery::Id SresDnsQuery::query(DnsType type, const std::string& name, Done done) {
  const Id id = next_id_++;
  auto p = std::make_unique<Pending>();
  p->self = this;
  p->id = id;
  p->type = type;
  p->name = name;
  p->done = std::move(done);
  Pending* raw = p.get();
  pending_[id] = std::move(p);
  raw->q = sres_query(res_, &SresDnsQuery::on_answer, reinterpret_cast<sres_context_t*>(raw),
                      type == DnsType::a ? sres_type_a : sres_type_srv, name.c_str());
  // No nameserver configured, a name too long, no memory: a failed lookup,
  // reported like any answer (never from inside this call).
  if (!raw->q) fail_later(id);
  return id;
}

void SresDnsQuery::fail_later(Id id) {
  auto t = loop_.after(std::chrono::milliseconds(0), [this, id] {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Done done = std::move(it->second->done);
    pending_.erase(it);
    DnsAnswer a;
    a.status = DnsAnswer::Status::failed;
    done(a);
  });
  if (t) pending_[id]->later = *t;
}

void SresDnsQuery::cancel(Id id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  if (it->second->q)
    sres_query_bind(it->second->q, &SresDnsQuery::discard, reinterpret_cast<sres_context_t*>(res_));
  if (it->second->later >= 0) loop_.cancel(it->second->later);
  pending_.erase(it);
}

// A cancelled question's late answer: sresolv frees the query but, with no
// callback bound, not the answer array, so one is bound that frees it.
void SresDnsQuery::discard(sres_context_t* resolver, sres_query_t*, sres_record_t** answers) {
  if (answers) sres_free_answers(reinterpret_cast<sres_resolver_t*>(resolver), answers);
}

void SresDnsQuery::on_answer(sres_context_t* context, sres_query_t*, sres_record_t** answers) {
  auto* p = reinterpret_cast<Pending*>(context);
  SresDnsQuery* self = p->self;
  DnsAnswer a = answer_from_records(p->type, p->name, answers);
  if (answers) sres_free_answers(self->res_, answers);
  auto it = self->pending_.find(p->id);
  if (it == self->pending_.end()) return;
  Done done = std::move(it->second->done);
  self->pending_.erase(it);  // sresolv frees its query after this callback
  done(a);
}

}  // namespace sbc::controlplane
