#include "controlplane/dataplane_service.h"

#include "controlplane/dataplane_metrics.h"
#include "controlplane/log.h"
#include "dataplane/eal.h"

namespace sbc::controlplane {

Result<std::unique_ptr<DataplaneService>> DataplaneService::start(
    const policy::Policy& policy, const DataplaneServiceOptions& options, EventLoop& loop,
    MetricsRegistry& metrics) {
  std::unique_ptr<DataplaneService> self(new DataplaneService(loop));
  std::vector<std::string> ports;
  for (const auto& leg : policy.interfaces) ports.push_back(leg.port);
  auto args = dataplane::eal_args_for_ports(dataplane::split_eal_args(options.eal_args), ports);
  if (auto s = dataplane::init_eal(args); !s) return s.error();

  dataplane::DataplaneConfig c;
  for (const auto& leg : policy.interfaces) c.legs.push_back({leg, -1, -1, ""});
  c.media_idle_timeout = options.media_idle_timeout;
  c.one_way_timeout = options.one_way_timeout;
  c.neighbour_timeout = options.neighbour_timeout;
  c.offload_pinhole_rules = options.offload_pinhole_rules;
  auto dp = dataplane::DpdkDataplane::start(c);
  if (!dp) return make_error("dataplane: " + dp.error().message);
  self->dp_ = std::move(*dp);
  for (const auto& p : self->dp_->ports()) {
    log::info("dataplane_port", {{"leg", p.leg},
                                 {"driver", p.driver},
                                 {"rx_queues", std::to_string(p.rx_queues)},
                                 {"rss", p.rss ? "yes" : "no"},
                                 {"tap", p.tap_name}});
    if (!p.fallback.empty())
      log::warn("dataplane_port_fallback", {{"leg", p.leg}, {"why", p.fallback}});
    if (!p.warning.empty()) log::warn("dataplane_config", {{"leg", p.leg}, {"why", p.warning}});
  }

  DataplaneService* raw = self.get();
  auto w = loop.watch_readable(self->dp_->event_fd(), [raw] { raw->drain_events(); });
  if (!w) return w.error();
  self->watch_ = *w;
  self->shared_ = std::make_shared<Shared>();
  self->shared_->dp = self->dp_.get();
  self->housekeeping_period_ = options.housekeeping_period;
  if (auto s = self->arm_housekeeping(); !s) return s.error();

  std::shared_ptr<Shared> shared = self->shared_;
  metrics.add_scrape_source([shared] {
    std::lock_guard<std::mutex> g(shared->mu);
    if (!shared->dp) return std::vector<prometheus::MetricFamily>{};
    auto stats = shared->dp->packet_stats();
    stats.pinholes = shared->pinholes;
    return dataplane_metric_families(stats);
  });
  self->handler_ = [](const dataplane::DataplaneEvent& e) { log_media_event(e); };
  return self;
}

DataplaneService::~DataplaneService() {
  if (shared_) {
    std::lock_guard<std::mutex> g(shared_->mu);
    shared_->dp = nullptr;
  }
  if (watch_ >= 0) loop_.unwatch(watch_);
  if (timer_ >= 0) loop_.cancel(timer_);
  dp_.reset();
  dataplane::cleanup_eal();
}

// A one-shot timer re-armed from its own callback: EventLoop::every() fires
// only once today (it uses su_timer_set_interval, which Sofia documents as
// one-shot; reported to the lead).
Status DataplaneService::arm_housekeeping() {
  auto t = loop_.after(housekeeping_period_, [this] {
    timer_ = -1;
    dp_->housekeeping();
    log_offload_changes();
    {
      std::lock_guard<std::mutex> g(shared_->mu);
      shared_->pinholes = dp_->pinholes().in_use();
    }
    if (auto s = arm_housekeeping(); !s)
      log::error("dataplane_timer", {{"reason", s.error().message}});
  });
  if (!t) return t.error();
  timer_ = *t;
  return ok_status();
}

void DataplaneService::log_offload_changes() {
  for (const auto& o : dp_->offload_states()) {
    if (!o.tried) continue;
    const std::string now = o.offloaded ? "offloaded" : "software: " + o.reason;
    std::string& last = offload_logged_[o.leg + "/" + o.rule_kind];
    if (last == now) continue;
    last = now;
    if (o.offloaded)
      log::info("offload_active", {{"leg", o.leg}, {"rule_kind", o.rule_kind}});
    else
      log::warn("offload_fallback",
                {{"leg", o.leg}, {"rule_kind", o.rule_kind}, {"reason", o.reason}});
  }
}

void DataplaneService::drain_events() {
  std::vector<dataplane::DataplaneEvent> events;
  dp_->drain_events(events, 256);
  for (const auto& e : events)
    if (handler_) handler_(e);
}

void DataplaneService::register_admin_commands(AdminServer& admin) {
  admin_ = std::make_unique<DataplaneAdmin>(*dp_);
  admin.on("dataplane", "ports, queues, TAPs, links and packet counters per leg [--json]",
           [this](const std::vector<std::string>& a) { return dataplane_command(a); });
  admin.on("media",
           "open|update|close|stats|list media sessions by hand (test hook until the "
           "B2BUA opens them from SDP)",
           [this](const std::vector<std::string>& a) { return admin_->media(a); });
}

admin::Reply DataplaneService::dataplane_command(const std::vector<std::string>& args) const {
  if (args.empty()) return {true, describe()};
  if (args.size() > 1 || args[0] != "--json") return {false, "usage: dataplane [--json]\n"};
  std::vector<PortView> ports;
  for (const auto& p : dp_->ports())
    ports.push_back({p.leg, p.driver, p.tap_name, p.fallback, p.rx_queues, p.rss, p.warning});
  return {true, dataplane_json(ports, dp_->stats(), dp_->neighbours().entries().size())};
}

std::string DataplaneService::describe() const {
  auto stats = dp_->stats();
  std::string out = "workers " + std::to_string(stats.workers) + "  pinholes " +
                    std::to_string(stats.pinholes) + "/" + std::to_string(stats.pinhole_capacity) +
                    "  neighbours " + std::to_string(dp_->neighbours().entries().size()) + "\n";
  for (size_t i = 0; i < dp_->ports().size(); ++i) {
    const auto& p = dp_->ports()[i];
    const auto& l = stats.legs[i];
    out += p.leg + "  driver " + p.driver + "  rx_queues " + std::to_string(p.rx_queues) +
           (p.rss ? " (rss)" : "") + "  tap " + p.tap_name + "  link " +
           (l.link_up ? "up" : "down") + "\n";
    out += "  rx " + std::to_string(l.rx_packets) + "  tx " + std::to_string(l.tx_packets) +
           "  relayed " + std::to_string(l.relayed_packets) + "  punted " +
           std::to_string(l.punted_packets) + "  exception " + std::to_string(l.exception_packets) +
           "\n";
    for (unsigned r = 0; r < dataplane::kDropReasonCount; ++r)
      if (l.drops[r])
        out += std::string("  drop ") + dataplane::kDropReasonNames[r] + " " +
               std::to_string(l.drops[r]) + "\n";
    if (!p.fallback.empty()) out += "  note: " + p.fallback + "\n";
    if (!p.warning.empty()) out += "  warning: " + p.warning + "\n";
  }
  return out;
}

void log_media_event(const dataplane::DataplaneEvent& e) {
  log::info("media_event",
            {{"type", dataplane::to_string(e.type)},
             {"session", std::to_string(e.session)},
             {"stream", std::to_string(e.stream)},
             {"side", e.side ? "b" : "a"},
             {"rtcp", e.rtcp ? "yes" : "no"},
             {"remote", e.remote.to_string() + ":" + std::to_string(e.remote_port)}});
}

}  // namespace sbc::controlplane
