// sbcd's side of the dataplane: starts EAL and the DPDK dataplane from the
// policy's interfaces, drains its events on the event loop (eventfd), runs
// its housekeeping on a timer, publishes its counters at scrape time, and
// registers the `dataplane` and `media` admin commands.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "controlplane/admin_server.h"
#include "controlplane/dataplane_admin.h"
#include "controlplane/event_loop.h"
#include "controlplane/metrics_registry.h"
#include "dataplane/dpdk_dataplane.h"
#include "policy/policy.h"

namespace sbc::controlplane {

struct DataplaneServiceOptions {
  std::string eal_args;
  std::chrono::milliseconds media_idle_timeout{30000};
  std::chrono::milliseconds one_way_timeout{10000};
  std::chrono::milliseconds neighbour_timeout{30000};
  std::chrono::milliseconds housekeeping_period{200};
  uint32_t offload_pinhole_rules = 4096;  // DataplaneConfig::offload_pinhole_rules
};

class DataplaneService {
 public:
  using EventHandler = std::function<void(const dataplane::DataplaneEvent&)>;

  static Result<std::unique_ptr<DataplaneService>> start(const policy::Policy& policy,
                                                         const DataplaneServiceOptions& options,
                                                         EventLoop& loop, MetricsRegistry& metrics);
  ~DataplaneService();

  dataplane::Dataplane& dataplane() { return *dp_; }
  // Until the B2BUA takes them, events are logged.
  void set_event_handler(EventHandler h) { handler_ = std::move(h); }
  void register_admin_commands(AdminServer& admin);
  // One line per leg: driver, queues, TAP, link.
  std::string describe() const;
  // `sbcctl dataplane [--json]`.
  admin::Reply dataplane_command(const std::vector<std::string>& args) const;

 private:
  DataplaneService(EventLoop& loop) : loop_(loop) {}
  void drain_events();
  Status arm_housekeeping();

  EventLoop& loop_;
  std::unique_ptr<dataplane::DpdkDataplane> dp_;
  // Logs each leg's NIC offload state per rule kind when it becomes known or
  // changes (offload_active / offload_fallback with the PMD's reason).
  void log_offload_changes();
  std::map<std::string, std::string> offload_logged_;  // "leg/kind" -> state last logged
  std::unique_ptr<DataplaneAdmin> admin_;
  EventHandler handler_;
  EventLoop::WatchId watch_ = -1;
  EventLoop::TimerId timer_ = -1;
  std::chrono::milliseconds housekeeping_period_{200};
  // The scrape source runs on the exposer's thread and may outlive us: it
  // reads through this pointer under the mutex, which the destructor clears.
  struct Shared {
    std::mutex mu;
    const dataplane::DpdkDataplane* dp = nullptr;
    uint64_t pinholes = 0;  // mirrored from the event loop (the table is control-thread state)
  };
  std::shared_ptr<Shared> shared_;
};

// One log line per dataplane event (latched, idle, one-way), never per
// packet; the integration tests read these lines.
void log_media_event(const dataplane::DataplaneEvent& e);

}  // namespace sbc::controlplane
