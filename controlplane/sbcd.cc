#include "controlplane/sbcd.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "controlplane/admin_peers.h"
#include "controlplane/json_writer.h"
#include "controlplane/log.h"
#include "controlplane/sip_trace.h"
#include "controlplane/sip_trace_pcap.h"
#include "controlplane/version.h"
#include "policy/loader.h"
#include "policy/peer_identification.h"
#include "sip/allowed_methods.h"
#include "sip/request_check.h"
#include "sip/request_source.h"

namespace sbc::controlplane {
namespace {

constexpr const char* kAllow = sip::kAllowedMethods;

std::string iso_time(std::chrono::system_clock::time_point t) {
  std::time_t s = std::chrono::system_clock::to_time_t(t);
  tm utc;
  gmtime_r(&s, &utc);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::vector<sip::ListenSpec> listen_specs(const policy::Interface& leg) {
  std::vector<sip::ListenSpec> out;
  for (const auto& l : leg.sip)
    out.push_back({policy::to_string(l.transport), l.port, l.certificates,
                   l.verify != policy::TlsVerify::none, l.verify == policy::TlsVerify::all});
  return out;
}

}  // namespace

Result<std::unique_ptr<Sbcd>> Sbcd::start(const SbcdOptions& options) {
  std::unique_ptr<Sbcd> self(new Sbcd(options));
  self->started_ = std::chrono::steady_clock::now();
  self->started_wall_ = std::chrono::system_clock::now();

  auto loaded = policy::load_policy_file(options.policy_file);
  if (!loaded.policy) {
    std::string msg = "policy " + options.policy_file + " is invalid:";
    for (const auto& d : loaded.diagnostics) msg += "\n  " + d.to_string();
    return make_error(msg);
  }
  self->policy_ = loaded.policy;
  self->policy_loaded_at_ = std::chrono::system_clock::now();

  auto loop = EventLoop::create();
  if (!loop) return loop.error();
  self->loop_ = std::move(*loop);

  Sbcd* raw = self.get();
  self->signals_ = std::make_unique<SignalWatcher>(
      [raw] {
        log::info("shutdown", {{"reason", "signal"}});
        raw->loop_->stop();
      },
      [raw] { (void)raw->reload(); });
  if (auto s = self->signals_->attach(*self->loop_); !s) return s.error();

  log::set_rate_limit(options.log_rate_limit);
  // A flood that stops is summed up within a second, not at the next line.
  if (auto t = self->loop_->every(std::chrono::seconds(1), [] { log::flush_suppressed(); }); !t)
    return t.error();
  self->register_metrics();
  const auto secs = [](double s) {
    return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
  };
  self->overload_ = OverloadDetector({secs(options.overload_lag_s), secs(options.overload_hold_s)});
  // Bursts of transactions leave freed heap resident (heap_trim.h says why).
  self->heap_trim_ = std::make_unique<HeapTrim>(HeapTrimConfig{});
  if (auto s = self->heap_trim_->start(*self->loop_); !s) return s.error();
  if (options.metrics_listen != "off") {
    if (auto s = self->metrics_.serve(options.metrics_listen); !s) return s.error();
  }

  // The dataplane first: its exception TAPs hold the leg addresses that the
  // SIP agents bind to.
  if (options.dataplane) {
    auto ms = [](double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1000)); };
    DataplaneServiceOptions dpo;
    dpo.eal_args = options.eal_args;
    dpo.media_idle_timeout = ms(options.media_idle_timeout_s);
    dpo.one_way_timeout = ms(options.media_one_way_timeout_s);
    dpo.neighbour_timeout = ms(options.neighbour_timeout_s);
    dpo.offload_pinhole_rules = options.offload_pinhole_rules;
    auto dp = DataplaneService::start(*self->policy_, dpo, *self->loop_, self->metrics_);
    if (!dp) return dp.error();
    self->dataplane_ = std::move(*dp);
  }

  {
    std::filesystem::path db(options.registrations_db);
    std::error_code ec;
    if (db.has_parent_path()) std::filesystem::create_directories(db.parent_path(), ec);
    RegistrarServiceConfig rc;
    rc.realm = options.realm;
    rc.database = options.registrations_db;
    rc.offer_sha256 = options.digest_sha256;
    rc.offer_md5 = options.digest_md5;
    // One silent drop for the registrar's bans, scanners and banned sources.
    self->silent_ = std::make_unique<SilentDrop>(
        *self->loop_,
        std::chrono::duration_cast<std::chrono::milliseconds>(self->policy_->timers.timer_b));
    auto reg = RegistrarService::start(
        *self->loop_, rc, [raw] { return raw->policy_; }, *self->silent_);
    if (!reg) return reg.error();
    self->registrar_ = std::move(*reg);
    self->register_registrar_metrics();
  }
  // Protection: the policy's filters in the dataplane, the registrar's bans
  // enforced there, authenticated sources promoted (docs/protection.md).
  self->protection_ = std::make_unique<ProtectionService>(
      self->dataplane_ ? &self->dataplane_->dataplane() : nullptr, &self->registrar_->failures());
  if (auto s = self->protection_->apply_policy(*self->policy_); !s) return s.error();
  self->registrar_->on_ban([raw](const registrar::Ban& b) { raw->protection_->on_ban(b); });
  self->registrar_->on_authenticated([raw](Ipv4Address src, std::chrono::seconds ttl) {
    raw->protection_->on_authenticated(src, ttl);
  });
  if (auto s = self->start_sip(); !s) return s.error();
  if (auto s = self->start_trunk_resolver(); !s) return s.error();
  if (auto s = self->start_health_probing(); !s) return s.error();
  if (auto s = self->start_nat_keepalive(); !s) return s.error();
  self->start_outbound_registration();

  CallServiceOptions co;
  co.no_provisional_timeout = options.no_provisional_timeout;
  co.call_records_path = options.call_records;
  co.realm = options.realm;
  co.offer_sha256 = options.digest_sha256;
  co.offer_md5 = options.digest_md5;
  co.overloaded = [raw] { return raw->overload_.overloaded(); };
  auto calls = CallService::start(
      co, *self->loop_, self->metrics_, self->agents_, [raw] { return raw->policy_; },
      self->dataplane_ ? &self->dataplane_->dataplane() : nullptr, self->registrar_.get(),
      &self->health_, self->resolver_.get());
  if (!calls) return calls.error();
  self->calls_ = std::move(*calls);
  if (self->dataplane_)
    self->dataplane_->set_event_handler([raw](const dataplane::DataplaneEvent& e) {
      // A flood report is about a source, not a call.
      if (e.type == dataplane::EventType::source_abuse)
        raw->protection_->on_source_abuse(e);
      else
        raw->calls_->on_dataplane_event(e);
    });

  self->admin_ = std::make_unique<AdminServer>(*self->loop_);
  self->register_admin_commands();
  self->calls_->register_admin_commands(*self->admin_);
  if (self->dataplane_) self->dataplane_->register_admin_commands(*self->admin_);
  self->admin_->on("stats", "dataplane drops by reason, packets per leg [--json]",
                   [raw](const std::vector<std::string>& a) {
                     if (!raw->dataplane_) return stats_command(nullptr, a);
                     auto s = raw->dataplane_->dataplane().stats();
                     return stats_command(&s, a);
                   });
  {
    // `sbcctl trace`: the trace object lives in the command's handler.
    auto trace = std::make_shared<SipTrace>();
    TraceHooks hooks;
    hooks.peer_addresses = [raw](const std::string& name) -> Result<std::set<std::string>> {
      for (const auto& peer : raw->policy_->peers) {
        if (peer.name != name) continue;
        std::set<std::string> out;
        if (peer.address.ip) out.insert(peer.address.ip->to_string());
        if (auto spec = address_spec(peer))
          if (const DnsStatus* s = raw->resolver_->status(*spec))
            for (const auto& t : s->targets)
              for (const auto& a : t.addresses) out.insert(a.to_string());
        for (const auto& b : raw->registrar_->bindings_of(peer))
          out.insert(b.received.address.to_string());
        return out;
      }
      return make_error("no peer '" + name + "' in the policy");
    };
    hooks.enable = [raw](bool on) {
      for (const auto& a : raw->agents_)
        tport_set_params(nta_agent_tports(a->agent()), TPTAG_LOG(on), TAG_END());
    };
    hooks.local_endpoint = [raw](Ipv4Address remote, std::string_view transport) {
      return local_endpoint(*raw->policy_, remote, transport);
    };
    self->admin_->on("trace",
                     "SIP messages of one peer, address or Call-ID: start [peer NAME|address "
                     "IP|call-id ID] | show [--json] | stop [--json]",
                     [trace, hooks](const std::vector<std::string>& a) {
                       return trace_command(*trace, hooks, a);
                     });
  }
  self->protection_->register_admin_commands(*self->admin_);
  if (auto s = self->admin_->listen(options.admin_socket, options.admin_group); !s)
    return s.error();

  log::info("started", {{"version", SBC_VERSION},
                        {"policy", options.policy_file},
                        {"admin_socket", options.admin_socket},
                        {"metrics", options.metrics_listen},
                        {"dataplane", options.dataplane ? "dpdk" : "off"}});
  return self;
}

Sbcd::~Sbcd() {
  // Calls and the prober hold nta legs and transactions of the agents;
  // agents and the admin socket go before the loop they are registered on;
  // the registrar flushes what is pending on its way out.
  calls_.reset();
  prober_.reset();
  keepalive_.reset();
  silent_.reset();
  outbound_.reset();  // sends the unregistrations while the agents still exist
  resolver_.reset();  // its lookups and timers, before sresolv and the loop
  dns_.reset();
  dns_timers_.reset();
  agents_.clear();
  registrar_.reset();
  admin_.reset();
  dataplane_.reset();  // after the agents (their sockets sit on its TAPs)
  signals_.reset();
  heap_trim_.reset();
  loop_.reset();
}

void Sbcd::run() {
  loop_->run();
}

Status Sbcd::start_sip() {
  for (const auto& leg : policy_->interfaces) {
    std::string name = leg.name;
    auto agent = sip::SipAgent::create(loop_->root(), name, leg.address.address, listen_specs(leg),
                                       [this, name](nta_incoming_t* irq, const sip_t* sip) {
                                         return on_sip_request(name, irq, sip);
                                       });
    if (!agent) return agent.error();
    const policy::Timers& t = policy_->timers;
    auto ms = [](policy::Duration d) {
      return static_cast<unsigned>(
          std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    };
    (*agent)->set_timers(ms(t.t1), ms(t.t2), ms(t.t4), ms(t.timer_b));
    for (const auto& b : (*agent)->bound()) log::info("sip_listening", {{"leg", name}, {"on", b}});
    agents_.push_back(std::move(*agent));
  }
  return ok_status();
}

int Sbcd::on_sip_request(const std::string& leg, nta_incoming_t* irq, const sip_t* sip) {
  sip_requests_->Add({{"leg", leg}, {"method", sip::method_label(sip)}}).Increment();
  if (sip->sip_user_agent && sip->sip_user_agent->g_string &&
      policy_->security.is_scanner(sip->sip_user_agent->g_string))
    return drop_scanner(leg, irq, sip);
  if (auto v = sip::check_request(sip); !v.ok()) {
    sip_rejected_->Add({{"leg", leg}, {"reason", v.phrase}}).Increment();
    nta_incoming_treply(irq, v.status, v.phrase.c_str(), TAG_END());
    // Repeated garbage from an untrusted source gets it denied in the
    // dataplane. Trunks trusted by address and addresses with live
    // registrations (a NAT shared by a whole office) are never banned for it.
    if (auto src = sip::request_source(irq);
        src && !registrar_->store().address_in_use(src->address) &&
        policy::identify_peer(*policy_, {leg, src->address, {}}, &resolver_->sources()).outcome !=
            policy::Identification::Outcome::by_source_address)
      protection_->on_malformed_request(src->address);
    return v.status;
  }
  const sip_method_t method = sip->sip_request->rq_method;
  if (method == sip_method_ack) return 200;  // an ACK for no dialog we know: nothing to answer
  if (method == sip_method_register) return registrar_->handle(irq, sip);
  if (sip->sip_to->a_tag) {
    // In-dialog requests for dialogs that exist go to their legs, never here.
    nta_incoming_treply(irq, SIP_481_NO_TRANSACTION, TAG_END());
    return 481;
  }
  // A CANCEL or PRACK (RFC 3262 3) for no transaction or response we know.
  if (method == sip_method_cancel || method == sip_method_prack) {
    nta_incoming_treply(irq, SIP_481_NO_TRANSACTION, TAG_END());
    return 481;
  }
  if (method == sip_method_invite) return calls_->on_invite(leg, irq, sip);
  // REGISTER and INVITE check bans themselves (with their own counters and,
  // for INVITE, a 403); a banned source gets nothing for anything else.
  if (auto src = sip::request_source(irq);
      src && registrar_->failures().banned(src->address, src->port)) {
    sip_dropped_->Add({{"leg", leg}, {"reason", "banned"}}).Increment();
    return silent_->drop(irq, sip);
  }
  if (method == sip_method_options) {
    nta_incoming_treply(irq, SIP_200_OK, SIPTAG_ALLOW_STR(kAllow),
                        SIPTAG_ACCEPT_STR("application/sdp"), SIPTAG_SUPPORTED_STR("timer, 100rel"),
                        TAG_END());
    return 200;
  }
  // Other methods outside a dialog (MESSAGE, SUBSCRIBE, ...) are not handled
  // by this version: say so rather than pretend.
  nta_incoming_treply(irq, SIP_501_NOT_IMPLEMENTED, SIPTAG_ALLOW_STR(kAllow), TAG_END());
  return 501;
}

// A scanner learns nothing: no answer (silent_drop.h says how far nta lets
// us go), and its source is banned for the policy's failed-auth ban time so
// its next requests stop at the ban checks (the whole address only when no
// live registration uses it, as for failed authentication).
int Sbcd::drop_scanner(const std::string& leg, nta_incoming_t* irq, const sip_t* sip) {
  sip_dropped_->Add({{"leg", leg}, {"reason", "scanner"}}).Increment();
  if (auto src = sip::request_source(irq)) {
    auto& failures = registrar_->failures();
    if (!failures.banned(src->address, src->port)) {
      bool in_use = registrar_->store().address_in_use(src->address);
      auto kind = in_use ? registrar::BanKind::kAddressPort : registrar::BanKind::kAddress;
      std::string key = src->address.to_string();
      if (in_use) key += ":" + std::to_string(src->port);
      auto duration =
          std::chrono::duration_cast<registrar::Seconds>(policy_->security.failed_auth.ban);
      failures.ban(kind, key, "scanner user agent", duration);
      if (auto ban = failures.banned(src->address, src->port)) registrar_->announce_ban(*ban);
      log::warn("banned", {{"kind", std::string(registrar::ban_kind_name(kind))},
                           {"who", key},
                           {"reason", "scanner user agent"},
                           {"user_agent", sip->sip_user_agent->g_string}});
    }
  }
  return silent_->drop(irq, sip);
}

Status Sbcd::reload() {
  // Whatever the policy file holds: a reload is also how logrotate has the
  // call records file reopened.
  if (calls_) {
    if (auto s = calls_->reopen_records(); !s)
      log::warn("call_records_reopen_failed", {{"reason", s.error().message}});
  }
  auto loaded = policy::load_policy_file(options_.policy_file);
  if (!loaded.policy) {
    std::string msg;
    for (const auto& d : loaded.diagnostics) msg += d.to_string() + "\n";
    reloads_->Add({{"outcome", "invalid"}}).Increment();
    log::warn("reload_rejected", {{"policy", options_.policy_file}, {"reason", "invalid policy"}});
    return make_error(msg);
  }
  if (!policy::same_interfaces(*loaded.policy, *policy_)) {
    reloads_->Add({{"outcome", "needs_restart"}}).Increment();
    log::warn("reload_rejected",
              {{"policy", options_.policy_file}, {"reason", "interfaces changed"}});
    return make_error(
        "the interfaces section changed: ports and addresses need a restart of sbcd; the running "
        "policy stays in force\n");
  }
  // The trunks known by name keep their resolved addresses' trust across the
  // swap (re-applied below once the new policy's names are reconciled).
  if (auto s = protection_->apply_policy(*loaded.policy, &resolver_->sources()); !s) {
    reloads_->Add({{"outcome", "invalid"}}).Increment();
    log::warn("reload_rejected", {{"policy", options_.policy_file}, {"reason", s.error().message}});
    return make_error("filters: " + s.error().message + "\n");
  }
  policy_ = loaded.policy;
  policy_loaded_at_ = std::chrono::system_clock::now();
  silent_->set_hold(std::chrono::duration_cast<std::chrono::milliseconds>(policy_->timers.timer_b));
  resolver_->reconcile(policy_);  // new names looked up now, dropped ones forgotten
  publish_dns_series_();
  // Again with the names of this policy: trust for the trunks it dropped or
  // no longer trusts by name goes now (filters_from_policy checks each).
  if (auto st = protection_->apply_policy(*policy_, &resolver_->sources()); !st)
    log::warn("filters_not_applied", {{"reason", st.error().message}});
  reloads_->Add({{"outcome", "success"}}).Increment();
  last_reload_->Set(std::chrono::duration<double>(policy_loaded_at_.time_since_epoch()).count());
  log::info("reloaded", {{"policy", options_.policy_file}});
  if (publish_all_registration_states_) publish_all_registration_states_();
  if (outbound_) outbound_->reconcile();
  return ok_status();
}

void Sbcd::register_metrics() {
  auto& r = metrics_.registry();
  prometheus::BuildGauge()
      .Name("sbc_build_info")
      .Help("Always 1; the version label says which sbcd runs")
      .Register(r)
      .Add({{"version", SBC_VERSION}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("sbc_start_time_seconds")
      .Help("Unix time at which sbcd started")
      .Register(r)
      .Add({})
      .Set(std::chrono::duration<double>(started_wall_.time_since_epoch()).count());
  sip_dropped_ =
      &prometheus::BuildCounter()
           .Name("sbc_sip_requests_dropped_total")
           .Help("SIP requests answered with nothing, by leg and reason (scanner, banned)")
           .Register(r);
  sip_requests_ = &prometheus::BuildCounter()
                       .Name("sbc_sip_requests_total")
                       .Help("SIP requests received outside a dialog, by leg and method")
                       .Register(r);
  sip_rejected_ =
      &prometheus::BuildCounter()
           .Name("sbc_sip_requests_rejected_total")
           .Help(
               "SIP requests answered with an error because they were malformed, by leg and reason")
           .Register(r);
  reloads_ = &prometheus::BuildCounter()
                  .Name("sbc_policy_reloads_total")
                  .Help("Policy reloads by outcome (success, invalid, needs_restart)")
                  .Register(r);
  for (const char* o : {"success", "invalid", "needs_restart"}) reloads_->Add({{"outcome", o}});
  last_reload_ = &prometheus::BuildGauge()
                      .Name("sbc_policy_loaded_timestamp_seconds")
                      .Help("Unix time at which the policy in force was loaded (start or reload)")
                      .Register(r)
                      .Add({});
  last_reload_->Set(std::chrono::duration<double>(policy_loaded_at_.time_since_epoch()).count());
  // The event loop carries SIP, the admin socket and dataplane events: a
  // probe every 100 ms says how late it runs (milliseconds are normal; a
  // second means SIP transactions are timing out).
  auto& lag = prometheus::BuildHistogram()
                  .Name("sbc_event_loop_lag_seconds")
                  .Help("How late the control-plane event loop ran a timer due every 100 ms")
                  .Register(r)
                  .Add({}, prometheus::Histogram::BucketBoundaries{
                               0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  overloaded_gauge_ = &prometheus::BuildGauge()
                           .Name("sbc_overloaded")
                           .Help(
                               "1 while the control plane sheds new non-emergency calls (503) "
                               "because its event loop runs late")
                           .Register(r)
                           .Add({});
  overload_episodes_ = &prometheus::BuildCounter()
                            .Name("sbc_overload_episodes_total")
                            .Help("Times the control plane started shedding calls")
                            .Register(r)
                            .Add({});
  if (auto s = loop_->measure_lag(std::chrono::milliseconds(100),
                                  [this, &lag](std::chrono::nanoseconds late) {
                                    lag.Observe(std::chrono::duration<double>(late).count());
                                    on_lag_sample(late);
                                  });
      !s)
    log::warn("event_loop_lag_probe_failed", {{"reason", s.error().message}});
}

void Sbcd::on_lag_sample(std::chrono::nanoseconds late) {
  if (!overload_.sample(std::chrono::steady_clock::now(), late)) return;
  const auto ms = [](std::chrono::nanoseconds d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  overloaded_gauge_->Set(overload_.overloaded() ? 1 : 0);
  if (overload_.overloaded()) {
    overload_episodes_->Increment();
    log::warn("overloaded", {{"lag_ms", ms(late)}, {"action", "new calls get 503"}});
  } else {
    log::info("overload_cleared", {{"worst_lag_ms", ms(overload_.worst_lag())}});
  }
}

// A stalled control loop on demand, to check overload shedding end to end
// (the lag probe, the detector, the 503): the loop is blocked for MS.
admin::Reply Sbcd::debug_command(const std::vector<std::string>& args) {
  unsigned long ms = 0;
  char* end = nullptr;
  if (args.size() != 2 || args[0] != "stall" || args[1].empty() ||
      (ms = std::strtoul(args[1].c_str(), &end, 10), *end) || ms == 0 || ms > 5000)
    return {false, "usage: debug stall MS (1-5000: block the control loop that long)\n"};
  log::warn("debug_stall", {{"ms", args[1]}});
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return {true, "stalled the control loop for " + args[1] + " ms\n"};
}

void Sbcd::register_admin_commands() {
  if (options_.debug_commands)
    admin_->on("debug", "stall MS: block the control loop (checks overload shedding)",
               [this](const std::vector<std::string>& a) { return debug_command(a); });
  admin_->on("status", "version, uptime, policy, legs [--json]",
             [this](const std::vector<std::string>& a) { return status_command(a); });
  admin_->on("registrations", "phone registrations: AOR, contact, source, expiry [--json] [USER]",
             [this](const std::vector<std::string>& a) { return registrations_command(a); });
  admin_->on("peers", "peers: kind, leg, health (probed trunks), registration (phones) [--json]",
             [this](const std::vector<std::string>& a) { return peers_command(a); });
  admin_->on("reload", "reload the policy file (interfaces need a restart)",
             [this](const std::vector<std::string>&) {
               auto s = reload();
               if (!s) return admin::Reply{false, s.error().message};
               return admin::Reply{true, "policy reloaded from " + options_.policy_file + "\n"};
             });
}

admin::Reply Sbcd::status_command(const std::vector<std::string>& args) const {
  bool json = false;
  for (const auto& a : args) {
    if (a == "--json")
      json = true;
    else
      return {false, "status: unknown argument '" + a + "'\n"};
  }
  auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  const char* dataplane =
      options_.dataplane ? "dpdk" : "off (control-plane-only mode: media is not relayed)";
  if (json) {
    JsonWriter w;
    w.begin_object();
    w.key("version").value(SBC_VERSION);
    w.key("pid").value(static_cast<int64_t>(getpid()));
    w.key("uptime_seconds").value(static_cast<int64_t>(uptime.count()));
    w.key("policy").begin_object();
    w.key("file").value(options_.policy_file);
    w.key("loaded_at").value(iso_time(policy_loaded_at_));
    w.end_object();
    w.key("dataplane").value(options_.dataplane ? "dpdk" : "off");
    w.key("media_relayed").value(calls_ && calls_->media_relayed());
    w.key("active_calls").value(static_cast<uint64_t>(calls_ ? calls_->b2bua().active_calls() : 0));
    w.key("draining").value(calls_ && calls_->b2bua().draining());
    w.key("metrics").value(options_.metrics_listen);
    w.key("legs").begin_array();
    for (const auto& leg : policy_->interfaces) {
      w.begin_object();
      w.key("name").value(leg.name);
      w.key("address").value(leg.address.to_string());
      w.key("port").value(leg.port);
      w.key("sip").begin_array();
      for (const auto& a : agents_)
        if (a->leg_name() == leg.name)
          for (const auto& b : a->bound()) w.value(b);
      w.end_array();
      w.end_object();
    }
    w.end_array();
    w.end_object();
    return {true, w.str() + "\n"};
  }
  std::string out;
  out += "sbcd " SBC_VERSION "  pid " + std::to_string(getpid()) + "  up " +
         std::to_string(uptime.count()) + "s\n";
  out += "policy     " + options_.policy_file + " (loaded " + iso_time(policy_loaded_at_) + ")\n";
  out += std::string("dataplane  ") + dataplane + "\n";
  out += "metrics    " + options_.metrics_listen + "\n";
  if (calls_)
    out += "calls      " + std::to_string(calls_->b2bua().active_calls()) + " active" +
           (calls_->b2bua().draining() ? ", draining (new calls get 503)" : "") + "\n";
  out += "\n";
  char line[256];
  snprintf(line, sizeof line, "%-12s %-20s %s\n", "LEG", "ADDRESS", "SIP");
  out += line;
  for (const auto& leg : policy_->interfaces) {
    std::string sip;
    for (const auto& a : agents_)
      if (a->leg_name() == leg.name)
        for (const auto& b : a->bound()) sip += (sip.empty() ? "" : " ") + b;
    snprintf(line, sizeof line, "%-12s %-20s %s\n", leg.name.c_str(),
             leg.address.to_string().c_str(), sip.c_str());
    out += line;
  }
  return {true, out};
}

}  // namespace sbc::controlplane

namespace sbc::controlplane {

void Sbcd::register_registrar_metrics() {
  auto& r = metrics_.registry();
  auto& reqs = prometheus::BuildCounter()
                   .Name("sbc_register_requests_total")
                   .Help("REGISTER requests by outcome (ok, challenged, refused, dropped)")
                   .Register(r);
  auto& bindings = prometheus::BuildGauge()
                       .Name("sbc_registrations")
                       .Help("Live registration bindings (contacts of registered phones)")
                       .Register(r)
                       .Add({});
  // Mirrored on the loop thread as things change; the exposer thread reads
  // only prometheus-cpp's own atomics.
  auto seen = std::make_shared<RegistrarCounters>();
  auto* ok = &reqs.Add({{"outcome", "ok"}});
  auto* ch = &reqs.Add({{"outcome", "challenged"}});
  auto* rf = &reqs.Add({{"outcome", "refused"}});
  auto* dr = &reqs.Add({{"outcome", "dropped"}});
  // Per phone (peers with digest auth): bounded by the policy's peer count.
  auto& registered = prometheus::BuildGauge()
                         .Name("sbc_peer_registered")
                         .Help("1 while a phone (a peer with digest auth) has a live registration")
                         .Register(r);
  auto publish = [this, &registered](const policy::Peer& peer) {
    registered.Add({{"peer", peer.name}})
        .Set(registrar_->state_of(peer) == registrar::RegistrationState::kRegistered ? 1 : 0);
  };
  // Every phone once here and after each reload (new peers get their series);
  // then only the AORs a REGISTER or an expiry touched: a loop over every
  // phone per REGISTER cost 100,000 label lookups each with 100,000 phones.
  publish_all_registration_states_ = [this, publish] {
    for (const auto& peer : policy_->peers)
      if (peer.auth.mode == policy::AuthMode::digest) publish(peer);
  };
  const std::string aor_prefix = "sip:";
  const std::string aor_suffix = "@" + options_.realm;
  registrar_->on_change([this, seen, ok, ch, rf, dr, &bindings, publish, aor_prefix,
                         aor_suffix](const std::vector<std::string>& aors) {
    for (const auto& aor : aors) {
      if (aor.size() <= aor_prefix.size() + aor_suffix.size() || !aor.starts_with(aor_prefix) ||
          !aor.ends_with(aor_suffix))
        continue;
      std::string user =
          aor.substr(aor_prefix.size(), aor.size() - aor_prefix.size() - aor_suffix.size());
      if (const policy::Peer* p = policy_->find_peer_by_username(user);
          p && p->auth.mode == policy::AuthMode::digest)
        publish(*p);
    }
    const auto& c = registrar_->counters();
    ok->Increment(static_cast<double>(c.ok - seen->ok));
    ch->Increment(static_cast<double>(c.challenged - seen->challenged));
    rf->Increment(static_cast<double>(c.refused - seen->refused));
    dr->Increment(static_cast<double>(c.dropped - seen->dropped));
    *seen = c;
    bindings.Set(static_cast<double>(registrar_->store().binding_count()));
  });
  bindings.Set(static_cast<double>(registrar_->store().binding_count()));
  publish_all_registration_states_();
}

admin::Reply Sbcd::registrations_command(const std::vector<std::string>& args) const {
  bool json = false;
  std::string user;
  for (const auto& a : args) {
    if (a == "--json")
      json = true;
    else if (!a.empty() && a[0] != '-')
      user = a;
    else
      return {false, "registrations: unknown argument '" + a + "'\n"};
  }
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  JsonWriter w;
  std::string text;
  char line[512];
  snprintf(line, sizeof line, "%-16s %-10s %-44s %-22s %-5s %s\n", "PEER", "STATE", "CONTACT",
           "SOURCE", "NAT", "EXPIRES");
  text += line;
  w.begin_array();
  for (const auto& peer : policy_->peers) {
    if (peer.auth.mode != policy::AuthMode::digest) continue;
    if (!user.empty() && peer.auth.username != user && peer.name != user) continue;
    auto state = registrar::registration_state_name(registrar_->state_of(peer));
    auto bindings = registrar_->bindings_of(peer);
    if (bindings.empty()) {
      snprintf(line, sizeof line, "%-16s %-10s %-44s %-22s %-5s %s\n", peer.name.c_str(),
               std::string(state).c_str(), "-", "-", "-", "-");
      text += line;
    }
    for (const auto& b : bindings) {
      snprintf(line, sizeof line, "%-16s %-10s %-44s %-22s %-5s %llds\n", peer.name.c_str(),
               std::string(state).c_str(), b.contact.c_str(), b.received.to_string().c_str(),
               b.behind_nat ? "yes" : "no", static_cast<long long>(b.remaining(now).count()));
      text += line;
    }
    w.begin_object();
    w.key("peer").value(peer.name);
    w.key("username").value(peer.auth.username);
    w.key("state").value(state);
    w.key("bindings").begin_array();
    for (const auto& b : bindings) {
      w.begin_object();
      w.key("contact").value(b.contact);
      w.key("source").value(b.received.to_string());
      w.key("behind_nat").value(b.behind_nat);
      w.key("expires_in").value(static_cast<int64_t>(b.remaining(now).count()));
      w.key("user_agent").value(b.user_agent);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  return {true, json ? w.str() + "\n" : text};
}

}  // namespace sbc::controlplane

namespace sbc::controlplane {

Status Sbcd::start_trunk_resolver() {
  dns_timers_ = std::make_unique<LoopTimers>(*loop_);
  auto dns = SresDnsQuery::create(*loop_, options_.resolv_conf);
  if (!dns) return dns.error();
  dns_ = std::move(*dns);
  auto rng = std::make_shared<std::mt19937>(std::random_device{}());
  resolver_ = std::make_unique<TrunkResolver>(
      *dns_, *dns_timers_, steady_clock_,
      [rng](uint32_t bound) { return std::uniform_int_distribution<uint32_t>(0, bound)(*rng); });
  auto& r = metrics_.registry();
  auto& resolved = prometheus::BuildGauge()
                       .Name("sbc_peer_dns_resolved")
                       .Help(
                           "1 while the trunk's DNS name has addresses to send to (the last good "
                           "answer counts while lookups fail), 0 while it has none")
                       .Register(r);
  auto& lookups = prometheus::BuildCounter()
                      .Name("sbc_peer_dns_lookups_total")
                      .Help("Lookups of the trunk's DNS name (SRV and A) by outcome (ok, failed)")
                      .Register(r);
  // Every trunk named by DNS has its series from the start (and after each
  // reload), so an alert on 0 fires for a name that never resolves.
  publish_dns_series_ = [this, &resolved, &lookups] {
    std::set<std::string> named;
    for (const auto& p : policy_->peers) {
      auto spec = address_spec(p);
      if (!spec) continue;
      named.insert(p.name);
      resolved.Add({{"peer", p.name}}).Set(resolver_->resolved(p) ? 1 : 0);
      for (const char* o : {"ok", "failed"}) lookups.Add({{"peer", p.name}, {"outcome", o}});
    }
    // A peer a reload removed or gave an address: its series go, not stay at 0.
    for (const auto& gone : dns_series_peers_) {
      if (named.count(gone)) continue;
      resolved.Remove(&resolved.Add({{"peer", gone}}));
      for (const char* o : {"ok", "failed"})
        lookups.Remove(&lookups.Add({{"peer", gone}, {"outcome", o}}));
    }
    dns_series_peers_ = std::move(named);
  };
  resolver_->on_change(
      [this, &resolved, &lookups](const DnsSpec& spec, const DnsStatus& s, bool changed) {
        for (const auto& p : policy_->peers) {
          if (address_spec(p) != spec) continue;
          resolved.Add({{"peer", p.name}}).Set(s.usable() ? 1 : 0);
          lookups.Add({{"peer", p.name}, {"outcome", s.last_error.empty() ? "ok" : "failed"}})
              .Increment();
        }
        std::string targets;
        for (const auto& t : s.targets)
          for (const auto& a : t.addresses)
            targets += (targets.empty() ? "" : ",") + a.to_string() + ":" + std::to_string(t.port);
        if (!s.last_error.empty())
          log::warn("dns_lookup_failed", {{"name", spec.to_string()},
                                          {"state", to_string(s.state)},
                                          {"error", s.last_error},
                                          {"using", targets.empty() ? "-" : targets}});
        else if (changed)
          log::info("dns_resolved", {{"name", spec.to_string()},
                                     {"targets", targets},
                                     {"ttl", std::to_string(s.ttl.count())}});
        // The dataplane trusts a trunk known by name at the addresses its
        // name gives: rebuild its filters when they change.
        if (changed && protection_)
          if (auto st = protection_->apply_policy(*policy_, &resolver_->sources()); !st)
            log::warn("filters_not_applied", {{"reason", st.error().message}});
      });
  resolver_->reconcile(policy_);
  publish_dns_series_();
  return ok_status();
}

Status Sbcd::start_health_probing() {
  auto& r = metrics_.registry();
  auto& up = prometheus::BuildGauge()
                 .Name("sbc_peer_up")
                 .Help("1 while OPTIONS probing says the peer answers, 0 when it is down")
                 .Register(r);
  auto& rtt = prometheus::BuildGauge()
                  .Name("sbc_peer_probe_rtt_seconds")
                  .Help("Round-trip time of the peer's last answered OPTIONS probe")
                  .Register(r);
  auto& failed = prometheus::BuildCounter()
                     .Name("sbc_peer_probe_failures_total")
                     .Help("OPTIONS probes the peer did not answer (timeout, 408, 5xx)")
                     .Register(r);
  prober_ = std::make_unique<OptionsProber>(
      *loop_, health_, [this](const std::string& leg) { return agent_for_leg(leg); },
      [this] { return policy_; },
      [&up, &rtt, &failed](const policy::Peer& peer, const PeerHealthState& h) {
        up.Add({{"peer", peer.name}}).Set(h.state == PeerHealthState::State::down ? 0 : 1);
        if (h.last_rtt)
          rtt.Add({{"peer", peer.name}}).Set(std::chrono::duration<double>(*h.last_rtt).count());
        auto& f = failed.Add({{"peer", peer.name}});
        if (static_cast<double>(h.failures) > f.Value())
          f.Increment(static_cast<double>(h.failures) - f.Value());
      },
      [this](const policy::Peer& peer) -> std::optional<Endpoint> {
        auto spec = address_spec(peer);
        return spec ? resolver_->endpoint(*spec) : std::nullopt;
      });
  return prober_->start();
}

admin::Reply Sbcd::peers_command(const std::vector<std::string>& args) const {
  bool json = false;
  for (const auto& a : args) {
    if (a == "--json")
      json = true;
    else
      return {false, "peers: unknown argument '" + a + "'\n"};
  }
  std::vector<PeerView> views;
  for (const auto& peer : policy_->peers) {
    PeerView v;
    v.name = peer.name;
    v.kind = policy::to_string(peer.kind);
    v.leg = peer.leg;
    const PeerHealthState* h = health_.find(peer.name);
    v.health = peer.probe.interval.count() <= 0 ? "-" : h ? to_string(h->state) : "unknown";
    if (h) {
      v.probe_rtt = h->last_rtt;
      v.probe_failures = h->failures;
    }
    v.outbound = outbound_ ? outbound_->status(peer.name) : std::nullopt;
    v.registration = "-";
    if (peer.auth.mode == policy::AuthMode::digest)
      v.registration = registrar::registration_state_name(registrar_->state_of(peer));
    else if (v.outbound)
      v.registration = std::string("to carrier: ") + to_string(v.outbound->state) +
                       (v.outbound->state == OutboundRegistrationState::State::registered
                            ? ""
                            : " (last " + std::to_string(v.outbound->last_status) + ")");
    v.address = peer.address.ip ? peer.address.ip->to_string() : peer.address.dns_name;
    if (peer.address.is_set() && peer.address.port)
      v.address += ":" + std::to_string(*peer.address.port);
    // A call holds a channel of the peer it came from and of the candidate
    // it is on, as admission counts them.
    if (calls_)
      for (const Call* c : calls_->b2bua().calls())
        v.channels_in_use += (c->record().source_peer == peer.name) +
                             (c->destination() && c->destination()->name == peer.name);
    v.channels_max = peer.channels.max;
    v.cps_max = peer.cps.rate;
    v.window_seconds = CallRateWindow::kWindowSeconds;
    if (calls_) {
      v.calls_in_window = calls_->call_rate().calls_in_window(peer.name);
      if (const PeerFailure* f = calls_->last_failures().find(peer.name)) v.last_failure = *f;
    }
    // A trunk named by DNS: what its name gives now (resolving, resolved,
    // stale: lookups fail but the last answer is used, failed: unusable).
    auto dns_view = [&](const char* key, const DnsSpec& spec, const DnsStatus* st) {
      PeerDnsView d;
      d.key = key;
      d.name = spec.to_string();
      d.state = st ? to_string(st->state) : "unknown";
      if (st) {
        for (const auto& t : st->targets)
          for (const auto& addr : t.addresses)
            d.addresses.push_back(addr.to_string() + ":" + std::to_string(t.port));
        d.status = PeerDnsView::Status{
            st->from_srv,
            st->last_error,
            static_cast<int64_t>(st->ttl.count()),
            std::chrono::duration<double>(st->next_lookup - steady_clock_.now()).count(),
            st->lookups_ok,
            st->lookups_failed};
      }
      return d;
    };
    if (auto spec = address_spec(peer)) {
      v.dns.push_back(dns_view("dns", *spec, resolver_->status(*spec)));
      v.dns_state = v.dns.back().state;
    }
    if (auto rs = registrar_spec(peer))
      v.dns.push_back(dns_view("registrar_dns", *rs, resolver_->status(*rs)));
    views.push_back(std::move(v));
  }
  return peers_reply(views, json, std::chrono::system_clock::now());
}

}  // namespace sbc::controlplane

namespace sbc::controlplane {

nta_agent_t* Sbcd::agent_for_leg(const std::string& leg) const {
  for (const auto& a : agents_)
    if (a->leg_name() == leg) return a->agent();
  return nullptr;
}

Status Sbcd::start_nat_keepalive() {
  auto& fam = prometheus::BuildCounter()
                  .Name("sbc_nat_keepalives_total")
                  .Help("OPTIONS keepalives sent to phones behind NAT, by outcome")
                  .Register(metrics_.registry());
  auto* answered = &fam.Add({{"outcome", "answered"}});
  auto* unanswered = &fam.Add({{"outcome", "unanswered"}});
  keepalive_ = std::make_unique<NatKeepalive>(
      *loop_, registrar_->store(), [this](const std::string& leg) { return agent_for_leg(leg); },
      [this] { return policy_; }, options_.realm);
  auto seen = std::make_shared<NatKeepaliveCounters>();
  keepalive_->on_result([this, seen, answered, unanswered] {
    const auto& c = keepalive_->counters();
    answered->Increment(static_cast<double>(c.answered - seen->answered));
    unanswered->Increment(static_cast<double>(c.unanswered - seen->unanswered));
    *seen = c;
  });
  return keepalive_->start();
}

}  // namespace sbc::controlplane

namespace sbc::controlplane {

void Sbcd::start_outbound_registration() {
  auto& r = metrics_.registry();
  auto& up = prometheus::BuildGauge()
                 .Name("sbc_outbound_registration_up")
                 .Help("1 while the SBC is registered to the carrier on behalf of the trunk")
                 .Register(r);
  auto& answers = prometheus::BuildCounter()
                      .Name("sbc_outbound_registration_answers_total")
                      .Help(
                          "Final answers to the SBC's REGISTERs to carriers, by class "
                          "(2xx..6xx, or none for no answer); challenges are not counted")
                      .Register(r);
  OutboundRegistrationTimers timers{options_.outbound_retry_min, options_.outbound_retry_max};
  outbound_ = std::make_unique<OutboundRegistrar>(
      *loop_, [this](const std::string& leg) { return agent_for_leg(leg); },
      [this] { return policy_; }, timers,
      [&up, &answers](const OutboundAccountStatus& s) {
        up.Add({{"peer", s.peer}}).Set(s.state == OutboundRegistrationState::State::registered);
        std::string cls = s.last_status >= 200 && s.last_status < 700
                              ? std::to_string(s.last_status / 100) + "xx"
                              : "none";
        answers.Add({{"peer", s.peer}, {"class", cls}}).Increment();
      },
      [this](const policy::OutboundRegistration& r) -> std::optional<Endpoint> {
        return resolver_->endpoint(DnsSpec{r.where.host, r.where.port, policy::SipTransport::udp});
      });
  outbound_->reconcile();
}

}  // namespace sbc::controlplane
