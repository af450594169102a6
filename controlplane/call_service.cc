#include "controlplane/call_service.h"

#include "controlplane/dataplane_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include <charconv>
#include <set>

#include "controlplane/call_metrics.h"
#include "controlplane/call_record_format.h"
#include "controlplane/json_writer.h"
#include "controlplane/log.h"
#include "controlplane/registrar/hash.h"

namespace sbc::controlplane {

CallService::CallService(EventLoop& loop) : loop_(loop) {}

namespace {
const char* kOutcomes[] = {"answered",  "cancelled",   "busy",     "not_found",
                           "no_answer", "unavailable", "rejected", "forbidden"};
}

Result<std::unique_ptr<CallService>> CallService::start(
    const CallServiceOptions& options, EventLoop& loop, MetricsRegistry& metrics,
    const std::vector<std::unique_ptr<sip::SipAgent>>& agents,
    std::function<policy::PolicyPtr()> current_policy, dataplane::Dataplane* dataplane,
    RegistrarService* registrar, const PeerHealth* health, const TrunkResolver* resolver) {
  std::unique_ptr<CallService> self(new CallService(loop));
  self->options_ = options;
  self->current_policy_ = std::move(current_policy);
  policy::PolicyPtr policy = self->current_policy_();

  if (!options.call_records_path.empty()) {
    if (auto s = self->records_.open(options.call_records_path); !s) return s.error();
  }

  std::map<std::string, NtaCallSignalling::Leg> legs;
  for (const auto& a : agents) {
    const policy::Interface* i = policy->find_interface(a->leg_name());
    if (!i) continue;
    legs[a->leg_name()] = {a.get(), i->address.address};
  }
  if (!dataplane) {
    std::vector<dataplane::MediaLeg> media;
    for (const auto& i : policy->interfaces)
      media.push_back({i.name, i.address.address, i.media_ports.first, i.media_ports.last});
    self->fake_ = std::make_unique<dataplane::FakeDataplane>(std::move(media), false);
    dataplane = self->fake_.get();
    log::warn("media_not_relayed",
              {{"reason",
                "control-plane-only mode (--no-dataplane): SDP is anchored on the "
                "SBC's ports but no RTP is forwarded"}});
  }

  self->dataplane_ = dataplane;
  self->admission_ = std::make_unique<Admission>(self->clock_);
  self->timers_ = std::make_unique<LoopTimers>(loop);
  self->signalling_ = std::make_unique<NtaCallSignalling>(loop, std::move(legs), options.realm);
  // Phones calling prove themselves with digest, as when they register, with
  // nonces of the B2BUA's own (its key, its replay tracking).
  if (!registrar::random_bytes(self->nonce_key_)) return make_error("no randomness for nonces");
  self->auth_ = std::make_unique<registrar::DigestAuthenticator>(
      registrar::AuthConfig{options.realm, {}, options.offer_sha256, options.offer_md5},
      self->wall_clock_, self->nonce_key_);
  auto lookup = [raw = self.get()](
                    std::string_view username,
                    std::string_view realm) -> std::optional<registrar::StoredCredential> {
    if (realm != raw->options_.realm) return std::nullopt;
    policy::PolicyPtr pol = raw->current_policy_();
    const policy::Peer* peer = pol->find_peer_by_username(std::string(username));
    if (!peer || peer->auth.mode != policy::AuthMode::digest) return std::nullopt;
    return registrar::StoredCredential{peer->auth.password, peer->auth.ha1, {}};
  };
  NtaCallSignalling::InviteAuth invite_auth{self->auth_.get(), lookup, nullptr, nullptr, nullptr};
  if (registrar) {
    invite_auth.failures = &registrar->failures();
    invite_auth.address_in_use = [registrar](Ipv4Address a) {
      return registrar->store().address_in_use(a);
    };
    invite_auth.on_ban = [registrar](const registrar::Ban& b) { registrar->announce_ban(b); };
  }
  self->signalling_->set_invite_auth(std::move(invite_auth));
  CallSettings settings;
  settings.no_provisional_timeout = options.no_provisional_timeout;
  settings.ring_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(policy->timers.timer_c);
  settings.ack_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(policy->timers.timer_b);
  LiveFacts facts;
  facts.overloaded = options.overloaded;
  if (health) facts.healthy = [health](const policy::Peer& p) { return health->healthy(p); };
  // A trunk named by DNS is routed to once its name has addresses, is sent
  // to the one RFC 2782 picks, and is recognised by them when it calls.
  facts.resolved = [resolver](const policy::Peer& p) { return resolver && resolver->resolved(p); };
  if (resolver) {
    facts.resolved_sources = &resolver->sources();
    self->signalling_->set_name_lookup(
        [resolver](const policy::Peer& p) -> std::optional<std::string> {
          auto spec = address_spec(p);
          auto e = spec ? resolver->endpoint(*spec) : std::nullopt;
          if (!e) return std::nullopt;
          return e->to_string();
        });
  }
  if (registrar) {
    // Phones are routed to only while registered, and reached at the
    // binding with the highest q (the latest refresh among equals).
    facts.registered = [registrar](const policy::Peer& p) {
      return p.address.is_set() ||
             registrar->state_of(p) == registrar::RegistrationState::kRegistered;
    };
    self->signalling_->set_contact_lookup(
        [registrar](const policy::Peer& p) -> std::optional<NtaCallSignalling::Registered> {
          auto bindings = registrar->bindings_of(p);
          const registrar::Binding* best = nullptr;
          for (const auto& b : bindings)
            if (!best || b.q > best->q || (b.q == best->q && b.registered_at > best->registered_at))
              best = &b;
          if (!best) return std::nullopt;
          return NtaCallSignalling::Registered{
              best->contact, best->received.address, best->received.port,
              best->received.transport == registrar::Transport::kTcp};
        });
  }
  self->b2bua_ =
      std::make_unique<B2bua>(*self->signalling_, *dataplane, *self->admission_, *self->timers_,
                              self->clock_, settings, self->current_policy_, std::move(facts));
  self->signalling_->attach(*self->b2bua_);
  CallService* raw = self.get();
  auto call_metrics = std::make_shared<CallMetrics>(metrics.registry(), self->current_policy_);
  self->b2bua_->on_call_ended([raw, call_metrics](const CallRecord& r) {
    call_metrics->call_ended(r);
    raw->on_record(r);
  });
  self->admission_->on_call_start([raw, call_metrics](const std::string& peer) {
    raw->call_rate_.record(peer);
    call_metrics->call_started(peer);
  });

  auto& reg = metrics.registry();
  self->calls_total_ = &prometheus::BuildCounter()
                            .Name("sbc_calls_total")
                            .Help(
                                "Calls that ended (refused ones included), by the peer they "
                                "came from and their outcome")
                            .Register(reg);
  for (const auto& p : policy->peers)
    if (p.kind == policy::PeerKind::trunk)
      for (const char* o : kOutcomes) self->calls_total_->Add({{"peer", p.name}, {"outcome", o}});
  self->calls_active_ = &prometheus::BuildGauge()
                             .Name("sbc_calls_active")
                             .Help("Calls in progress (ringing or talking)")
                             .Register(reg)
                             .Add({});
  self->draining_ = &prometheus::BuildGauge()
                         .Name("sbc_draining")
                         .Help("1 while sbcd is draining (sbcctl drain): new calls get 503")
                         .Register(reg)
                         .Add({});
  self->channels_active_ = &prometheus::BuildGauge()
                                .Name("sbc_channels_active")
                                .Help("Channels (concurrent calls) held per peer, both directions")
                                .Register(reg);
  for (const auto& p : policy->peers)
    if (p.kind == policy::PeerKind::trunk)
      self->channel_gauges_[p.name] = &self->channels_active_->Add({{"peer", p.name}});
  // Each take and release sets its peer's gauge. refresh_gauges used to
  // walk every call on every SIP event: 20% of sbcd's CPU at 4,000
  // concurrent calls (perf/README.md "Calls per second").
  self->admission_->on_channels_changed([raw](const std::string& peer, uint32_t in_use) {
    auto it = raw->channel_gauges_.find(peer);
    if (it == raw->channel_gauges_.end())
      it = raw->channel_gauges_.emplace(peer, &raw->channels_active_->Add({{"peer", peer}})).first;
    it->second->Set(in_use);
  });
  auto& rel100 = prometheus::BuildCounter()
                     .Name("sbc_call_reliable_provisionals_total")
                     .Help(
                         "Reliable provisional responses and PRACKs (RFC 3262) by what "
                         "happened to them (docs/b2bua.md)")
                     .Register(reg);
  const std::pair<const char*, uint64_t NtaCallSignallingCounters::*> kRel100[] = {
      {"received", &NtaCallSignallingCounters::reliable_in},
      {"retransmission_dropped", &NtaCallSignallingCounters::reliable_retransmitted},
      {"without_rseq", &NtaCallSignallingCounters::reliable_without_rseq},
      {"other_fork", &NtaCallSignallingCounters::reliable_other_fork},
      {"sent", &NtaCallSignallingCounters::reliable_out},
      {"not_pracked", &NtaCallSignallingCounters::reliable_timed_out},
      {"prack_received", &NtaCallSignallingCounters::pracks_in},
      {"prack_sent", &NtaCallSignallingCounters::pracks_out}};
  for (const auto& [event, field] : kRel100)
    self->rel100_.push_back({&rel100.Add({{"event", event}}), field, 0});
  // The call and PRACK counters, mirrored from the B2BUA and the signalling.
  auto periodic = loop.every(std::chrono::milliseconds(1000), [raw, call_metrics] {
    raw->refresh_gauges();
    call_metrics->sync_policy();  // channel caps follow reloads
  });
  if (!periodic) return periodic.error();
  self->periodic_ = *periodic;
  return self;
}

CallService::~CallService() {
  if (periodic_ >= 0) loop_.cancel(periodic_);
  if (refresh_timer_ >= 0) loop_.cancel(refresh_timer_);
  // The B2BUA's calls go with it; then the nta objects.
  b2bua_.reset();
  signalling_.reset();
}

int CallService::on_invite(const std::string& leg, nta_incoming_t* irq, const sip_t* sip) {
  int r = signalling_->on_invite(leg, irq, sip);
  schedule_refresh();
  return r;
}

void CallService::on_dataplane_event(const dataplane::DataplaneEvent& e) {
  log_media_event(e);
  b2bua_->on_dataplane_event(e);
  schedule_refresh();
}

Status CallService::reopen_records() {
  return records_.reopen();
}

void CallService::on_record(const CallRecord& r) {
  last_failures_.call_ended(r, std::chrono::system_clock::now());
  std::string peer = r.source_peer.empty() ? "unidentified" : r.source_peer;
  calls_total_->Add({{"peer", peer}, {"outcome", call_outcome_label(r)}}).Increment();
  if (records_.is_open()) {
    auto s = records_.append(call_record_json(r, clock_.now(), std::chrono::system_clock::now()));
    if (!s) log::warn("call_record_failed", {{"reason", s.error().message}});
  }
  log::info("call_ended", {{"call", std::to_string(r.id)},
                           {"from", r.source_peer},
                           {"to", r.destination_peer},
                           {"status", std::to_string(r.final_status)},
                           {"outcome", call_outcome_label(r)},
                           {"ended_by", r.ended_by}});
  schedule_refresh();
}

void CallService::schedule_refresh() {
  if (refresh_timer_ >= 0) return;
  // After the event has been handled in full (a call is forgotten only after
  // its record is written).
  auto t = loop_.after(std::chrono::milliseconds(0), [this] {
    refresh_timer_ = -1;
    refresh_gauges();
  });
  if (t) refresh_timer_ = *t;
}

void CallService::refresh_gauges() {
  const NtaCallSignallingCounters& sc = signalling_->counters();
  for (auto& p : rel100_) {
    const uint64_t now = sc.*p.field;
    if (now > p.published) p.counter->Increment(static_cast<double>(now - p.published));
    p.published = now;
  }
  calls_active_->Set(static_cast<double>(b2bua_->active_calls()));
  draining_->Set(b2bua_->draining() ? 1 : 0);
  if (b2bua_->draining() && b2bua_->active_calls() == 0 && !drained_logged_) {
    drained_logged_ = true;
    log::info("drained", {{"calls", "0"}});
  }
}

void CallService::register_admin_commands(AdminServer& admin) {
  admin.on("calls", "active calls: id, state, peers, called number, duration [--json]",
           [this](const std::vector<std::string>& a) { return calls_command(a); });
  admin.on("drain",
           "stop taking new calls (503 with Retry-After, emergency routes excepted) and let "
           "the current ones end; shows the calls left [--cancel] [--status] "
           "[--retry-after S] [--json]",
           [this](const std::vector<std::string>& a) { return drain_command(a); });
}

admin::Reply CallService::drain_command(const std::vector<std::string>& args) {
  bool json = false, cancel = false, status_only = false;
  int retry_after = 60;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--cancel") {
      cancel = true;
    } else if (a == "--status") {
      status_only = true;
    } else if (a == "--retry-after" && i + 1 < args.size()) {
      const std::string& v = args[++i];
      int n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || end != v.data() + v.size() || n < 0 || n > 86400)
        return {false, "drain: --retry-after takes seconds (0-86400), got '" + v + "'\n"};
      retry_after = n;
    } else {
      return {false, "drain: unknown argument '" + a + "'\n"};
    }
  }
  if (cancel && status_only) return {false, "drain: --cancel and --status exclude each other\n"};
  if (cancel) {
    if (b2bua_->draining()) log::info("drain_cancelled", {});
    b2bua_->set_draining(false);
  } else if (!status_only) {
    if (!b2bua_->draining()) {
      drained_logged_ = false;
      log::info("draining", {{"calls", std::to_string(b2bua_->active_calls())},
                             {"retry_after", std::to_string(retry_after)}});
    }
    b2bua_->set_draining(true, retry_after);
  }
  refresh_gauges();
  const size_t left = b2bua_->active_calls();
  const bool on = b2bua_->draining();
  if (json) {
    JsonWriter w;
    w.begin_object();
    w.key("draining").value(on);
    w.key("active_calls").value(static_cast<uint64_t>(left));
    w.key("refused_while_draining").value(b2bua_->counters().refused_draining);
    w.end_object();
    return {true, w.str() + "\n"};
  }
  std::string out =
      on ? "draining: new calls get 503; " + std::to_string(left) + " call(s) left" +
               (left == 0 ? " (drained)" : "") + "\n"
         : "not draining: new calls are taken; " + std::to_string(left) + " active call(s)\n";
  return {true, out};
}

// RTP packets received from the caller and from the callee on the call's
// streams (RTCP not included); zeros without media or a dataplane.
std::pair<uint64_t, uint64_t> CallService::media_packets(const Call* c) const {
  uint64_t a = 0, b = 0;
  if (!dataplane_ || !c->media()) return {a, b};
  for (uint16_t i = 0; i < 16; ++i) {
    auto st = dataplane_->stream_stats(*c->media(), i);
    if (!st) break;
    a += st->a_rtp.packets;
    b += st->b_rtp.packets;
  }
  return {a, b};
}

admin::Reply CallService::calls_command(const std::vector<std::string>& args) const {
  bool json = false;
  for (const auto& a : args) {
    if (a == "--json")
      json = true;
    else
      return {false, "calls: unknown argument '" + a + "'\n"};
  }
  auto now = clock_.now();
  auto seconds = [&](const Call* c) {
    return std::chrono::duration_cast<std::chrono::seconds>(now - c->record().setup).count();
  };
  auto calls = b2bua_->calls();
  if (json) {
    JsonWriter w;
    w.begin_object();
    w.key("media_relayed").value(media_relayed());
    w.key("calls").begin_array();
    for (const Call* c : calls) {
      w.begin_object();
      w.key("id").value(static_cast<uint64_t>(c->id()));
      w.key("state").value(to_string(c->state()));
      w.key("source_peer").value(c->record().source_peer);
      w.key("destination_peer").value(c->destination() ? c->destination()->name : "");
      w.key("called").value(c->record().called_in);
      w.key("duration_seconds").value(static_cast<int64_t>(seconds(c)));
      w.key("leg_in").value(c->leg_in());
      w.key("leg_out").value(c->destination() ? c->destination()->leg : "");
      w.key("codec").value(c->codec());
      auto [from_caller, from_callee] = media_packets(c);
      w.key("media_packets_from_caller").value(from_caller);
      w.key("media_packets_from_callee").value(from_callee);
      w.end_object();
    }
    w.end_array();
    w.end_object();
    return {true, w.str() + "\n"};
  }
  std::string out;
  char line[256];
  snprintf(line, sizeof line, "%-8s %-12s %-16s %-16s %-16s %-10s %-16s %s\n", "ID", "STATE",
           "FROM", "TO", "CALLED", "CODEC", "RTP IN/OUT", "DURATION");
  out += line;
  for (const Call* c : calls) {
    auto [from_caller, from_callee] = media_packets(c);
    std::string from = c->record().source_peer + "@" + c->leg_in();
    std::string to =
        c->destination() ? c->destination()->name + "@" + c->destination()->leg : std::string("-");
    std::string rtp = std::to_string(from_caller) + "/" + std::to_string(from_callee);
    snprintf(line, sizeof line, "%-8llu %-12s %-16s %-16s %-16s %-10s %-16s %llds\n",
             static_cast<unsigned long long>(c->id()), to_string(c->state()), from.c_str(),
             to.c_str(), c->record().called_in.c_str(),
             c->codec().empty() ? "-" : c->codec().c_str(), rtp.c_str(),
             static_cast<long long>(seconds(c)));
    out += line;
  }
  out += std::to_string(calls.size()) + " active call(s)";
  if (!media_relayed()) out += "; media not relayed (control-plane-only mode)";
  out += "\n";
  return {true, out};
}

}  // namespace sbc::controlplane
