// The DPDK implementation of Dataplane: ports and exception TAPs per leg,
// worker lcores, the pinhole and neighbour tables, the event ring. The
// control thread calls everything here; workers only run Worker::run.
#pragma once

#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "dataplane/dataplane.h"
#include "dataplane/flow_offload.h"
#include "dataplane/lcore_counters.h"
#include "dataplane/leg.h"
#include "dataplane/media_session_book.h"
#include "dataplane/neighbour_aging.h"
#include "dataplane/neighbour_table.h"
#include "dataplane/pinhole_table.h"
#include "dataplane/protection_tables.h"
#include "dataplane/rcu_deferred_free.h"
#include "dataplane/source_policer.h"
#include "dataplane/source_trust_list.h"
#include "dataplane/stage_context.h"
#include "dataplane/worker.h"
#include "policy/interface.h"

namespace sbc::dataplane {

struct LegConfig {
  policy::Interface iface;
  // An ethdev created by the caller (tests: net_ring) instead of probing
  // iface.port; -1: probe iface.port.
  int port_id = -1;
  // An ethdev standing in for the exception TAP (tests); -1: create a net_tap
  // holding the leg address in the kernel.
  int exception_port_id = -1;
  std::string tap_name;  // kernel name of the TAP; default "sbc-<leg>" (15 chars at most)
};

struct DataplaneConfig {
  std::vector<LegConfig> legs;
  unsigned mbufs = 16383;  // ~32 MiB without hugepages (two mbufs per 4 KiB page)
  uint32_t pinhole_capacity = 65536;
  uint32_t neighbour_capacity = 4096;
  uint32_t event_ring_size = 4096;
  uint16_t rx_desc = 512;
  uint16_t tx_desc = 512;
  unsigned workers = 0;        // 0: one per EAL worker lcore
  bool launch_workers = true;  // false: the caller drives worker(i).poll_once() itself
  uint32_t idle_spins = 64;    // empty polls before the worker sleeps
  uint32_t idle_sleep_us = 100;
  std::chrono::milliseconds media_idle_timeout{30000};
  std::chrono::milliseconds one_way_timeout{10000};
  bool kernel_neighbours = true;  // read /proc/net/arp for legs with a real TAP
  // Exact media pinholes offered to each NIC at most (rte_flow table room);
  // more are counted as cap hits and stay software only. 0: none offered.
  uint32_t offload_pinhole_rules = 4096;
  // A published next hop the kernel no longer confirms is re-resolved, then
  // removed after this (neighbour_aging.h).
  std::chrono::milliseconds neighbour_timeout{30000};
  // Time in TSC cycles for the workers and for deny/trust expiry; null:
  // rte_rdtsc. Tests inject a fake clock.
  uint64_t (*clock)() = nullptr;
};

// What was chosen for a port, for status output and the logs.
struct PortInfo {
  std::string leg;
  std::string driver;
  std::string tap_driver;
  std::string kernel_iface;  // under af_packet/af_xdp: its link state is read from the kernel
  std::string tap_name;
  uint16_t rx_queues = 1;
  bool rss = false;
  std::string fallback;  // why the port is not what the policy asked for, if it is not
  std::string warning;   // a configuration the operator should fix, if any
};

class DpdkDataplane : public Dataplane {
 public:
  // EAL must be initialised (init_eal).
  static Result<std::unique_ptr<DpdkDataplane>> start(const DataplaneConfig& config);
  ~DpdkDataplane() override;

  Result<MediaSession> open_media(const MediaSessionSpec& spec) override;
  Result<MediaSession> update_media(MediaSessionId id, const MediaSessionSpec& spec) override;
  void close_media(MediaSessionId id) override;
  int event_fd() const override { return event_fd_; }
  size_t drain_events(std::vector<DataplaneEvent>& out, size_t max) override;
  void housekeeping() override;
  DataplaneStats stats() const override;
  // The per-leg packet counters and link states only: safe from any thread
  // (a metrics scrape), unlike stats(), which also reads control-thread state.
  DataplaneStats packet_stats() const;
  // The NIC offload state per leg and rule kind alone (cheap; any thread).
  std::vector<OffloadState> offload_states() const;
  std::optional<MediaStreamStats> stream_stats(MediaSessionId id, uint16_t stream) const override;
  Status deny(Ipv4Prefix prefix, uint16_t port, std::chrono::milliseconds ttl,
              std::string reason) override;
  bool undeny(Ipv4Prefix prefix, uint16_t port) override;
  std::vector<DenyEntry> deny_entries() const override;
  Status apply_filters(const FilterSet& filters) override;
  Status set_source_trust(Ipv4Address source, std::string_view trust_class,
                          std::chrono::milliseconds ttl) override;
  // Objects unpublished and waiting for their RCU grace period (tests).
  size_t deferred_frees() const { return deferred_ ? deferred_->pending() : 0; }

  // Stops and joins launched workers (idempotent; the destructor calls it).
  void stop_workers();
  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
  Worker& worker(unsigned i) { return *workers_[i]; }
  const Leg& leg(unsigned i) const { return legs_[i]; }
  unsigned leg_count() const { return n_legs_; }
  int leg_index(const std::string& name) const { return book_.leg_index(name); }
  const std::vector<PortInfo>& ports() const { return port_info_; }
  rte_mempool* mempool() const { return pool_; }
  PinholeTable& pinholes() { return *pinholes_; }
  const NeighbourTable& neighbours() const { return *neighbours_; }
  // Publishes a next hop by hand (tests, and static neighbours).
  Status set_neighbour(unsigned leg, Ipv4Address ip, const std::array<uint8_t, 6>& mac);

 private:
  struct StreamEntry {
    MediaSessionBook::Stream s;
    uint32_t rtp[2] = {0, 0};   // pool indices, [side]
    uint32_t rtcp[2] = {0, 0};  // without rtcp-mux
    uint64_t opened_tsc = 0;
    bool idle_reported = false;
    int one_way_reported = -1;  // the silent side reported, -1: none
  };

  explicit DpdkDataplane(const DataplaneConfig& config)
      : config_(config),
        book_({}),
        // Re-resolve a few times within the timeout before giving up.
        aging_({config.neighbour_timeout,
                std::min(config.neighbour_timeout / 3, std::chrono::milliseconds(5000))}) {}
  Status bring_up();
  Status install(MediaSessionId id, uint16_t index, StreamEntry& e);
  void uninstall(StreamEntry& e);
  void set_expected(StreamEntry& e, const MediaStreamSpec& spec);
  void emit(const DataplaneEvent& e);
  void scan_media_activity();
  void refresh_neighbours();
  // Asks the kernel to resolve remotes with no neighbour entry yet (kernel_interface.h).
  void resolve_next_hops(const MediaSessionSpec& spec);
  uint64_t last_seen(const StreamEntry& e, int side) const;
  uint64_t now() const;
  void publish_deny();
  void publish_trust();
  // NIC offload hooks (flow_offload.h).
  void offload_stream(const StreamEntry& e, bool closing = false);
  void offload_latched(const DataplaneEvent& e);
  void offload_meter(const FilterSet& filters);
  void publish_offload_states();
  template <typename T>
  void publish(std::atomic<const T*>& slot, std::unique_ptr<const T> next);

  DataplaneConfig config_;
  unsigned instance_ = 0;
  MediaSessionBook book_;
  std::array<Leg, kMaxLegs> legs_{};
  unsigned n_legs_ = 0;
  std::vector<PortInfo> port_info_;
  std::vector<uint16_t> probed_ports_;  // ports this object created, closed at the end
  std::vector<uint16_t> started_ports_;
  rte_mempool* pool_ = nullptr;
  rte_mempool* xdp_pool_ = nullptr;  // only with af_xdp ports
  rte_rcu_qsbr* qsbr_ = nullptr;
  std::unique_ptr<PinholeTable> pinholes_;
  std::unique_ptr<NeighbourTable> neighbours_;
  rte_ring* events_ = nullptr;
  int event_fd_ = -1;
  std::unique_ptr<WorkerCounters[]> counters_;
  std::unique_ptr<StageContext[]> contexts_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<unsigned> worker_lcores_;  // empty when the caller drives the workers
  std::map<MediaSessionId, std::vector<StreamEntry>> sessions_;
  uint64_t control_events_lost_ = 0;
  NeighbourAging aging_;
  // Written by the control thread, read by packet_stats() (a metrics scrape).
  std::atomic<uint64_t> neighbours_published_{0}, neighbours_changed_{0}, neighbours_expired_{0};

  // Protection (control thread; workers read `protection_` only).
  ProtectionTables protection_;
  std::unique_ptr<RcuDeferredFree> deferred_;
  std::unique_ptr<SourcePolicer[]> policers_;
  std::unique_ptr<DenyList> deny_list_;
  std::unique_ptr<FlowOffload> offload_;
  std::unique_ptr<SourceTrustList> trust_list_;
  std::optional<FilterSet> filters_;
  // What packet_stats() (any thread) reports about them: guarded by the mutex.
  mutable std::mutex protection_mu_;
  std::vector<std::string> class_names_;
  uint64_t deny_size_ = 0, trust_size_ = 0;
  std::array<uint64_t, kMaxTrustClasses> trust_per_class_{};
  std::vector<OffloadState> offload_states_;
};

}  // namespace sbc::dataplane
