#include "dataplane/dpdk_dataplane.h"

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring_elem.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>

#include "dataplane/byte_budget.h"
#include "dataplane/kernel_interface.h"
#include "dataplane/port_setup.h"

namespace sbc::dataplane {
namespace {

std::atomic<unsigned> g_instances{0};

uint64_t ms_to_tsc(std::chrono::milliseconds ms) {
  return rte_get_tsc_hz() / 1000 * static_cast<uint64_t>(ms.count());
}

std::string mac_string(const rte_ether_addr& m) {
  char buf[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(buf, sizeof buf, &m);
  return buf;
}

// What an RTP pinhole of `side` (0: a) enforces and rewrites on the media
// it receives: the stream's packet and byte budgets (rate 0: not policed),
// and the telephone-event renumbering when the two sides' numbers differ.
struct RtpPinholeParams {
  PoliceParams packets;
  ByteBudget bytes;
  uint16_t pt_map = 0;
};

RtpPinholeParams rtp_params(const MediaStreamSpec& spec, int side) {
  RtpPinholeParams p;
  if (spec.packet_rate)
    p.packets =
        police_params(spec.packet_rate, std::max<uint32_t>(spec.packet_burst, 1), rte_get_tsc_hz());
  p.bytes = byte_budget(spec.byte_rate, spec.byte_burst, rte_get_tsc_hz());
  const uint8_t from = side == 0 ? spec.a.telephone_event_pt : spec.b.telephone_event_pt;
  const uint8_t to = side == 0 ? spec.b.telephone_event_pt : spec.a.telephone_event_pt;
  if (from && to && from != to) p.pt_map = pack_pt_map(from, to);
  return p;
}

uint64_t expected_of(const MediaSide& side, bool rtcp) {
  uint16_t port = side.remote_port;
  if (rtcp && port) port = static_cast<uint16_t>(port + 1);
  return pack_expected(rte_cpu_to_be_32(side.remote_ip.value), rte_cpu_to_be_16(port), side.latch);
}

}  // namespace

Result<std::unique_ptr<DpdkDataplane>> DpdkDataplane::start(const DataplaneConfig& config) {
  if (config.legs.empty()) return make_error("dataplane: no legs");
  if (config.legs.size() > kMaxLegs)
    return make_error("dataplane: at most " + std::to_string(kMaxLegs) + " legs");
  std::unique_ptr<DpdkDataplane> dp(new DpdkDataplane(config));
  dp->instance_ = g_instances.fetch_add(1);
  if (auto s = dp->bring_up(); !s) return s.error();
  return dp;
}

Status DpdkDataplane::bring_up() {
  const std::string tag = "sbc" + std::to_string(instance_);
  std::vector<MediaLeg> media_legs;
  for (const auto& lc : config_.legs)
    media_legs.push_back({lc.iface.name, lc.iface.address.address, lc.iface.media_ports.first,
                          lc.iface.media_ports.last});
  book_ = MediaSessionBook(media_legs);

  auto pool = create_mbuf_pool(tag + "_mbufs", config_.mbufs);
  if (!pool) return pool.error();
  pool_ = *pool;

  // Workers: one per EAL worker lcore unless told otherwise.
  std::vector<unsigned> lcores;
  unsigned lc;
  RTE_LCORE_FOREACH_WORKER(lc) lcores.push_back(lc);
  unsigned nworkers = config_.workers;
  if (config_.launch_workers) {
    if (lcores.empty())
      return make_error("dataplane: EAL gave no worker lcore (use e.g. -l 0-1 --main-lcore 0)");
    if (nworkers == 0 || nworkers > lcores.size()) nworkers = static_cast<unsigned>(lcores.size());
  } else if (nworkers == 0) {
    nworkers = 1;
  }

  // Ports: probe, then learn what each can do. Every worker needs its own TX
  // queue on every port and TAP, so the device with the fewest TX queues
  // bounds the worker count (af_packet and af_xdp give one per qpair/queue).
  n_legs_ = static_cast<unsigned>(config_.legs.size());
  const std::optional<PortSpan> kernel_ports = read_local_port_range();
  for (unsigned i = 0; i < n_legs_; ++i) {
    const LegConfig& lc = config_.legs[i];
    Leg& l = legs_[i];
    PortInfo info;
    info.leg = lc.iface.name;
    if (lc.port_id >= 0) {
      l.port_id = static_cast<uint16_t>(lc.port_id);
    } else {
      if (lc.iface.port.empty()) return make_error("leg " + lc.iface.name + ": no port");
      info.kernel_iface = vdev_kernel_interface(lc.iface.port);
      auto p = probe_port(lc.iface.port);
      if (!p && lc.iface.port.rfind("net_af_xdp", 0) == 0 && !info.kernel_iface.empty()) {
        // af_xdp needs a kernel, libbpf and capabilities that not every host
        // has: fall back to af_packet on the same interface, and say so.
        info.fallback = "af_xdp failed (" + p.error().message + "); using af_packet";
        p = probe_port("net_af_packet_" + tag + "_" + std::to_string(i) +
                       ",iface=" + info.kernel_iface);
      }
      if (!p) return make_error("leg " + lc.iface.name + ": " + p.error().message);
      l.port_id = *p;
      probed_ports_.push_back(*p);
    }
    rte_eth_macaddr_get(l.port_id, &l.mac);
    if (lc.exception_port_id >= 0) {
      l.tap_port_id = static_cast<uint16_t>(lc.exception_port_id);
    } else {
      std::string tap = lc.tap_name.empty() ? "sbc-" + lc.iface.name : lc.tap_name;
      if (tap.size() > 15) tap.resize(15);
      info.tap_name = tap;
      // The TAP gets the port's MAC: the kernel's ARP answers then name the
      // address the wire actually delivers to.
      auto p = probe_port("net_tap_" + tag + "_" + std::to_string(i) + ",iface=" + tap +
                          ",mac=" + mac_string(l.mac));
      if (!p) return make_error("leg " + lc.iface.name + ": exception TAP: " + p.error().message);
      l.tap_port_id = *p;
      probed_ports_.push_back(*p);
    }
    auto caps = port_capabilities(l.port_id);
    if (!caps) return caps.error();
    auto tcaps = port_capabilities(l.tap_port_id);
    if (!tcaps) return tcaps.error();
    info.driver = caps->driver;
    info.tap_driver = tcaps->driver;
    nworkers = std::min<unsigned>(nworkers, std::min(caps->max_tx_queues, tcaps->max_tx_queues));
    nworkers = std::min<unsigned>(nworkers, tcaps->max_rx_queues);
    info.rss = caps->rss;
    info.rx_queues = caps->max_rx_queues;  // bounded below
    port_info_.push_back(info);

    l.vlan = lc.iface.vlan;
    l.address = rte_cpu_to_be_32(lc.iface.address.address.value);
    l.netmask = rte_cpu_to_be_32(lc.iface.address.mask());
    l.gateway = lc.iface.gateway ? rte_cpu_to_be_32(lc.iface.gateway->value) : 0;
    if (kernel_ports) {
      l.kernel_port_first = kernel_ports->first;
      l.kernel_port_last = kernel_ports->last;
      const auto& media = lc.iface.media_ports;
      if (media.first <= kernel_ports->last && kernel_ports->first <= media.last)
        info.warning = "the kernel's ephemeral ports " + std::to_string(kernel_ports->first) + "-" +
                       std::to_string(kernel_ports->last) + " overlap the media ports " +
                       std::to_string(media.first) + "-" + std::to_string(media.last) +
                       ": a kernel connection on a port with a live pinhole loses its answers; "
                       "set net.ipv4.ip_local_port_range outside the media ranges";
    } else {
      info.warning =
          "cannot read net.ipv4.ip_local_port_range: answers to connections the "
          "kernel opens (DNS, TCP to non-SIP ports) are dropped as no_flow";
    }
    for (const auto& s : lc.iface.sip) {
      if (s.transport == policy::SipTransport::udp && l.n_sip_udp < kMaxSipPorts)
        l.sip_udp[l.n_sip_udp++] = rte_cpu_to_be_16(s.port);
      if (s.transport != policy::SipTransport::udp && l.n_sip_tcp < kMaxSipPorts)
        l.sip_tcp[l.n_sip_tcp++] = rte_cpu_to_be_16(s.port);
    }
  }
  if (nworkers == 0) return make_error("dataplane: a port offers no TX queue");

  for (unsigned i = 0; i < n_legs_; ++i) {
    Leg& l = legs_[i];
    PortInfo& info = port_info_[i];
    // A single-queue device (af_packet without qpairs, af_xdp with one
    // queue, net_ring) is polled by worker 0 only; the others still transmit.
    l.rx_queues = static_cast<uint16_t>(std::min<unsigned>(nworkers, info.rx_queues));
    info.rx_queues = l.rx_queues;
    info.rss = info.rss && l.rx_queues > 1;
    l.tap_queues = static_cast<uint16_t>(nworkers);
    PortQueueConfig q{l.rx_queues, static_cast<uint16_t>(nworkers), config_.rx_desc,
                      config_.tx_desc};
    rte_mempool* pool = pool_;
    if (info.driver == "net_af_xdp") {
      // af_xdp turns the pool into its UMEM, whose chunks must be 2 KiB
      // (measured: 1792-byte data room fails "Failed to create umem", the
      // default 2176 works), so its ports get their own pool at one mbuf
      // per 4 KiB page without hugepages.
      if (!xdp_pool_) {
        auto xp = create_mbuf_pool("sbc" + std::to_string(instance_) + "_xdp", config_.mbufs / 2,
                                   RTE_MBUF_DEFAULT_BUF_SIZE);
        if (!xp) return xp.error();
        xdp_pool_ = *xp;
      }
      pool = xdp_pool_;
    }
    if (auto s = start_port(l.port_id, q, pool); !s)
      return make_error("leg " + info.leg + ": port: " + s.error().message);
    started_ports_.push_back(l.port_id);
    PortQueueConfig tq{l.tap_queues, static_cast<uint16_t>(nworkers), 512, 512};
    if (auto s = start_port(l.tap_port_id, tq, pool_); !s)
      return make_error("leg " + info.leg + ": exception TAP: " + s.error().message);
    started_ports_.push_back(l.tap_port_id);
    if (!info.tap_name.empty()) {
      const auto& iface = config_.legs[i].iface;
      if (auto s = configure_kernel_address(info.tap_name, iface.address, iface.gateway); !s)
        return make_error("leg " + info.leg + ": " + s.error().message);
    }
  }

  // Tables, shared by the workers through RCU QSBR.
  size_t qsz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
  qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, qsz, RTE_CACHE_LINE_SIZE));
  if (!qsbr_ || rte_rcu_qsbr_init(qsbr_, RTE_MAX_LCORE) != 0)
    return make_error("dataplane: RCU QSBR variable");
  auto ph = PinholeTable::create(tag + "_ph", config_.pinhole_capacity, qsbr_);
  if (!ph) return ph.error();
  pinholes_ = std::move(*ph);
  auto nb = NeighbourTable::create(tag + "_nb", config_.neighbour_capacity, qsbr_);
  if (!nb) return nb.error();
  neighbours_ = std::move(*nb);
  events_ =
      rte_ring_create_elem((tag + "_ev").c_str(), sizeof(DataplaneEvent),
                           rte_align32pow2(config_.event_ring_size), SOCKET_ID_ANY, RING_F_SC_DEQ);
  if (!events_) return make_error("dataplane: event ring: " + std::string(rte_strerror(rte_errno)));
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) return make_error("dataplane: eventfd: " + std::string(strerror(errno)));

  deferred_ = std::make_unique<RcuDeferredFree>(qsbr_);
  deny_list_ = std::make_unique<DenyList>(rte_get_tsc_hz());
  {
    std::vector<OffloadPort> ports;
    for (unsigned i = 0; i < n_legs_; ++i)
      ports.push_back({legs_[i].port_id, port_info_[i].leg, legs_[i].rx_queues});
    offload_ = std::make_unique<FlowOffload>(std::move(ports), config_.offload_pinhole_rules);
    offload_states_ = offload_->states();
  }
  trust_list_ = std::make_unique<SourceTrustList>(rte_get_tsc_hz());
  policers_.reset(new SourcePolicer[nworkers]);
  counters_.reset(new WorkerCounters[nworkers]);
  contexts_.reset(new StageContext[nworkers]);
  for (unsigned w = 0; w < nworkers; ++w) {
    StageContext& c = contexts_[w];
    c.legs = legs_.data();
    c.n_legs = n_legs_;
    c.pinholes = pinholes_.get();
    c.neighbours = neighbours_.get();
    c.counters = &counters_[w];
    c.protection = &protection_;
    c.policer = &policers_[w];
    c.events = events_;
    for (unsigned i = 0; i < n_legs_; ++i) {
      LegCounters& lc = counters_[w].legs[i];
      c.port_tx[i].bind(legs_[i].port_id, static_cast<uint16_t>(w), &lc.tx,
                        &lc.drops[static_cast<unsigned>(DropReason::tx_full)], &lc.tx_bytes);
      c.punt_tx[i].bind(legs_[i].tap_port_id, static_cast<uint16_t>(w), &lc.punted,
                        &lc.drops[static_cast<unsigned>(DropReason::punt_full)]);
    }
    WorkerParams wp;
    wp.index = w;
    wp.rcu_thread_id = config_.launch_workers ? lcores[w] : rte_lcore_id() + w;
    wp.qsbr = qsbr_;
    wp.event_fd = event_fd_;
    wp.idle_spins = config_.idle_spins;
    wp.idle_sleep_us = config_.idle_sleep_us;
    wp.clock = config_.clock;
    workers_.push_back(std::make_unique<Worker>(wp, &c));
  }
  if (config_.launch_workers) {
    for (unsigned w = 0; w < nworkers; ++w) {
      int rc = rte_eal_remote_launch(&Worker::launch_entry, workers_[w].get(), lcores[w]);
      if (rc != 0)
        return make_error("dataplane: launching worker on lcore " + std::to_string(lcores[w]) +
                          ": " + rte_strerror(-rc));
      worker_lcores_.push_back(lcores[w]);
    }
  }
  return ok_status();
}

void DpdkDataplane::stop_workers() {
  for (auto& w : workers_) w->stop();
  for (unsigned lc : worker_lcores_) rte_eal_wait_lcore(lc);
  worker_lcores_.clear();
}

DpdkDataplane::~DpdkDataplane() {
  stop_workers();
  workers_.clear();
  // No reader is left: free what waits for a grace period, then what is
  // published.
  if (deferred_) deferred_->reclaim();
  offload_.reset();  // its rules off the ports before they close
  delete protection_.deny.exchange(nullptr);
  delete protection_.filters.exchange(nullptr);
  delete protection_.trust.exchange(nullptr);
  for (uint16_t p : started_ports_) stop_port(p);
  for (uint16_t p : probed_ports_) {
    rte_eth_dev_close(p);
    // net_tap removes its kernel interface here; probed vdevs go away.
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(p, &info) == 0 && info.device) rte_dev_remove(info.device);
  }
  pinholes_.reset();
  neighbours_.reset();
  if (events_) rte_ring_free(events_);
  if (event_fd_ >= 0) close(event_fd_);
  if (qsbr_) rte_free(qsbr_);
  if (pool_) rte_mempool_free(pool_);
  if (xdp_pool_) rte_mempool_free(xdp_pool_);
}

Status DpdkDataplane::set_neighbour(unsigned leg, Ipv4Address ip,
                                    const std::array<uint8_t, 6>& mac) {
  rte_ether_addr m;
  std::memcpy(m.addr_bytes, mac.data(), 6);
  return neighbours_->set(static_cast<uint16_t>(leg), rte_cpu_to_be_32(ip.value), m);
}

// ---- media sessions (control thread) ----

Status DpdkDataplane::install(MediaSessionId id, uint16_t index, StreamEntry& e) {
  const MediaSessionBook::Stream& s = e.s;
  auto init = [&](int side, bool rtcp) {
    PinholeTable::Init in;
    const int leg = side == 0 ? s.a_leg : s.b_leg;
    uint16_t port = side == 0 ? s.ports.a_port : s.ports.b_port;
    if (rtcp) ++port;
    in.key = PinholeKey{legs_[leg].address, rte_cpu_to_be_16(port), static_cast<uint16_t>(leg)};
    in.expected = expected_of(side == 0 ? s.spec.a : s.spec.b, rtcp);
    in.session = id;
    in.stream = index;
    in.side = static_cast<uint8_t>(side);
    in.rtcp = rtcp;
    if (!rtcp) {
      const RtpPinholeParams r = rtp_params(s.spec, side);
      in.police_interval = r.packets.interval;
      in.police_tolerance = r.packets.tolerance;
      in.bw_interval = r.bytes.interval;
      in.bw_burst = r.bytes.burst;
      in.pt_map = r.pt_map;
    }
    return in;
  };
  auto rtp = pinholes_->add_pair(init(0, false), init(1, false));
  if (!rtp) return rtp.error();
  e.rtp[0] = rtp->first;
  e.rtp[1] = rtp->second;
  if (!s.spec.rtcp_mux) {
    auto rtcp = pinholes_->add_pair(init(0, true), init(1, true));
    if (!rtcp) {
      pinholes_->remove(e.rtp[0]);
      pinholes_->remove(e.rtp[1]);
      return rtcp.error();
    }
    e.rtcp[0] = rtcp->first;
    e.rtcp[1] = rtcp->second;
  }
  e.opened_tsc = now();
  return ok_status();
}

void DpdkDataplane::uninstall(StreamEntry& e) {
  offload_stream(e, true);
  pinholes_->remove(e.rtp[0]);
  pinholes_->remove(e.rtp[1]);
  if (!e.s.spec.rtcp_mux) {
    pinholes_->remove(e.rtcp[0]);
    pinholes_->remove(e.rtcp[1]);
  }
  book_.release(e.s);
}

Result<MediaSession> DpdkDataplane::open_media(const MediaSessionSpec& spec) {
  auto streams = book_.allocate(spec.streams);
  if (!streams) return streams.error();
  MediaSessionId id = book_.next_id();
  std::vector<StreamEntry> entries;
  for (size_t i = 0; i < streams->size(); ++i) {
    StreamEntry e;
    e.s = (*streams)[i];
    if (auto st = install(id, static_cast<uint16_t>(i), e); !st) {
      for (auto& done : entries) uninstall(done);
      for (size_t k = i; k < streams->size(); ++k) book_.release((*streams)[k]);
      return st.error();
    }
    entries.push_back(e);
  }
  sessions_[id] = std::move(entries);
  for (const auto& e : sessions_[id]) offload_stream(e);
  resolve_next_hops(spec);
  return describe(id, *streams);
}

void DpdkDataplane::set_expected(StreamEntry& e, const MediaStreamSpec& spec) {
  auto apply = [&](uint32_t idx, const MediaSide& old_side, const MediaSide& new_side, bool rtcp,
                   int side) {
    Pinhole& p = pinholes_->at(idx);
    p.expected.store(expected_of(new_side, rtcp), std::memory_order_release);
    // A new remote (re-INVITE to another address) must be able to latch.
    if (old_side.remote_ip != new_side.remote_ip || old_side.remote_port != new_side.remote_port ||
        old_side.latch != new_side.latch)
      p.remote.store(0, std::memory_order_release);
    if (!rtcp) {
      // A re-INVITE may change the codec, and so the budgets and the
      // telephone-event numbers.
      const RtpPinholeParams r = rtp_params(spec, side);
      p.police_interval.store(r.packets.interval, std::memory_order_relaxed);
      p.police_tolerance.store(r.packets.tolerance, std::memory_order_relaxed);
      p.bw_interval.store(r.bytes.interval, std::memory_order_relaxed);
      p.bw_burst.store(r.bytes.burst, std::memory_order_relaxed);
      p.pt_map.store(r.pt_map, std::memory_order_relaxed);
    }
  };
  apply(e.rtp[0], e.s.spec.a, spec.a, false, 0);
  apply(e.rtp[1], e.s.spec.b, spec.b, false, 1);
  if (!spec.rtcp_mux) {
    apply(e.rtcp[0], e.s.spec.a, spec.a, true, 0);
    apply(e.rtcp[1], e.s.spec.b, spec.b, true, 1);
  }
  e.s.spec = spec;
}

Result<MediaSession> DpdkDataplane::update_media(MediaSessionId id, const MediaSessionSpec& spec) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return make_error("no media session " + std::to_string(id));
  auto& cur = it->second;
  const size_t keep = std::min(cur.size(), spec.streams.size());
  for (size_t i = 0; i < keep; ++i) {
    if (spec.streams[i].a.leg != cur[i].s.spec.a.leg ||
        spec.streams[i].b.leg != cur[i].s.spec.b.leg)
      return make_error("stream " + std::to_string(i) + ": legs cannot change");
    if (spec.streams[i].rtcp_mux != cur[i].s.spec.rtcp_mux)
      return make_error("stream " + std::to_string(i) + ": rtcp-mux cannot change");
  }
  std::vector<MediaStreamSpec> added(spec.streams.begin() + static_cast<long>(keep),
                                     spec.streams.end());
  auto fresh = book_.allocate(added);
  if (!fresh) return fresh.error();
  std::vector<StreamEntry> new_entries;
  for (size_t i = 0; i < fresh->size(); ++i) {
    StreamEntry e;
    e.s = (*fresh)[i];
    if (auto st = install(id, static_cast<uint16_t>(keep + i), e); !st) {
      for (auto& done : new_entries) uninstall(done);
      for (size_t k = i; k < fresh->size(); ++k) book_.release((*fresh)[k]);
      return st.error();
    }
    new_entries.push_back(e);
  }
  while (cur.size() > spec.streams.size()) {
    uninstall(cur.back());
    cur.pop_back();
  }
  for (size_t i = 0; i < keep; ++i) set_expected(cur[i], spec.streams[i]);
  for (auto& e : new_entries) cur.push_back(e);
  for (const auto& e : cur) offload_stream(e);  // remotes may have changed or been unlatched
  // The kernel resolved both remotes while it carried the call's signalling
  // through the TAPs: publish their MACs now rather than at the next
  // housekeeping run, or the first packets of a call to a new next hop are
  // dropped as no_neighbour. One read of /proc/net/arp per answer.
  refresh_neighbours();
  resolve_next_hops(spec);
  std::vector<MediaSessionBook::Stream> all;
  for (const auto& e : cur) all.push_back(e.s);
  return describe(id, all);
}

void DpdkDataplane::close_media(MediaSessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  for (auto& e : it->second) uninstall(e);
  sessions_.erase(it);
}

// ---- events ----

void DpdkDataplane::emit(const DataplaneEvent& e) {
  DataplaneEvent copy = e;  // the ring API takes a non-const pointer
  if (rte_ring_mp_enqueue_elem(events_, &copy, sizeof copy) != 0) {
    ++control_events_lost_;
    return;
  }
  uint64_t one = 1;
  (void)!write(event_fd_, &one, sizeof one);
}

size_t DpdkDataplane::drain_events(std::vector<DataplaneEvent>& out, size_t max) {
  uint64_t v;
  (void)!read(event_fd_, &v, sizeof v);
  size_t n = 0;
  DataplaneEvent buf[64];
  while (n < max) {
    unsigned want = static_cast<unsigned>(std::min<size_t>(64, max - n));
    unsigned got =
        rte_ring_sc_dequeue_burst_elem(events_, buf, sizeof(DataplaneEvent), want, nullptr);
    if (got == 0) break;
    for (unsigned i = 0; i < got; ++i) {
      const DataplaneEvent& e = buf[i];
      // The latched frame came from the next hop toward that remote: publish
      // its MAC so the other direction can be relayed without waiting for the
      // kernel to learn it.
      if (e.type == EventType::latched && e.leg < n_legs_) {
        uint32_t hop = legs_[e.leg].next_hop(rte_cpu_to_be_32(e.remote.value));
        if (hop) {
          rte_ether_addr m;
          std::memcpy(m.addr_bytes, e.remote_mac.data(), 6);
          (void)neighbours_->set(e.leg, hop, m);
        }
        offload_latched(e);
      }
      out.push_back(e);
    }
    n += got;
  }
  if (rte_ring_count(events_) > 0) {
    uint64_t one = 1;  // more than `max` waited: stay readable
    (void)!write(event_fd_, &one, sizeof one);
  }
  return n;
}

// ---- housekeeping ----

void DpdkDataplane::resolve_next_hops(const MediaSessionSpec& spec) {
  if (!config_.kernel_neighbours) return;
  for (const auto& st : spec.streams)
    for (const MediaSide* side : {&st.a, &st.b}) {
      if (side->remote_ip.value == 0) continue;
      for (unsigned i = 0; i < n_legs_; ++i) {
        if (config_.legs[i].iface.name != side->leg || port_info_[i].tap_name.empty()) continue;
        const uint32_t hop = legs_[i].next_hop(rte_cpu_to_be_32(side->remote_ip.value));
        rte_ether_addr mac;
        if (hop && !neighbours_->lookup(static_cast<uint16_t>(i), hop, mac))
          prompt_neighbour_resolution(config_.legs[i].iface.address.address,
                                      Ipv4Address{rte_be_to_cpu_32(hop)});
      }
    }
}

void DpdkDataplane::refresh_neighbours() {
  if (!config_.kernel_neighbours) return;
  std::vector<bool> kernel_legs(n_legs_, false);
  bool any_tap = false;
  for (unsigned i = 0; i < n_legs_; ++i)
    any_tap |= kernel_legs[i] = !port_info_[i].tap_name.empty();
  if (!any_tap) return;
  std::map<NeighbourAging::Key, NeighbourAging::Mac> kernel;
  for (const auto& n : read_kernel_neighbours()) {
    for (unsigned i = 0; i < n_legs_; ++i) {
      if (!kernel_legs[i] || port_info_[i].tap_name != n.device) continue;
      NeighbourAging::Mac mac = 0;
      std::memcpy(&mac, n.mac.data(), 6);
      kernel[NeighbourAging::Key{i} << 32 | rte_cpu_to_be_32(n.ip.value)] = mac;
    }
  }
  const auto plan =
      aging_.refresh(std::chrono::steady_clock::now(), neighbours_->entries(), kernel, kernel_legs);
  for (const auto& [k, mac] : plan.set) {
    rte_ether_addr m;
    std::memcpy(m.addr_bytes, &mac, 6);
    (void)neighbours_->set(static_cast<uint16_t>(k >> 32), static_cast<uint32_t>(k), m);
  }
  for (auto k : plan.remove)
    neighbours_->remove(static_cast<uint16_t>(k >> 32), static_cast<uint32_t>(k));
  for (auto k : plan.prompt)
    prompt_neighbour_resolution(config_.legs[k >> 32].iface.address.address,
                                Ipv4Address{rte_be_to_cpu_32(static_cast<uint32_t>(k))});
  neighbours_changed_.fetch_add(plan.changed, std::memory_order_relaxed);
  neighbours_expired_.fetch_add(plan.remove.size(), std::memory_order_relaxed);
  neighbours_published_.store(neighbours_->entries().size(), std::memory_order_relaxed);
}

uint64_t DpdkDataplane::last_seen(const StreamEntry& e, int side) const {
  uint64_t t = counter_read(pinholes_->at(e.rtp[side]).last_seen_tsc);
  if (!e.s.spec.rtcp_mux) t = std::max(t, counter_read(pinholes_->at(e.rtcp[side]).last_seen_tsc));
  return t;
}

// Cycles from t to now, 0 when t is later: a worker may stamp a packet after
// the scan read the clock (or on a core whose TSC runs a little ahead), and
// the plain unsigned difference then wrapped to a huge age: streams carrying
// RTP were reported idle and their calls hung up.
static uint64_t age(uint64_t now, uint64_t t) {
  return now > t ? now - t : 0;
}

void DpdkDataplane::scan_media_activity() {
  const uint64_t now = this->now();
  const uint64_t idle = ms_to_tsc(config_.media_idle_timeout);
  const uint64_t one_way = ms_to_tsc(config_.one_way_timeout);
  for (auto& [id, streams] : sessions_) {
    for (size_t i = 0; i < streams.size(); ++i) {
      StreamEntry& e = streams[i];
      const uint64_t seen[2] = {last_seen(e, 0), last_seen(e, 1)};
      const uint64_t latest = std::max({seen[0], seen[1], e.opened_tsc});
      DataplaneEvent ev;
      ev.session = id;
      ev.stream = static_cast<uint16_t>(i);
      if (age(now, latest) > idle) {
        if (!e.idle_reported) {
          ev.type = EventType::media_idle;
          emit(ev);
          e.idle_reported = true;
        }
        continue;
      }
      e.idle_reported = false;
      // One way: a side flows (seen within the timeout) while the other has
      // been silent for the whole timeout (or since the stream opened).
      int silent = -1;
      for (int s = 0; s < 2; ++s) {
        const bool flows = seen[1 - s] && age(now, seen[1 - s]) <= one_way;
        const uint64_t quiet_since = std::max(seen[s], e.opened_tsc);
        if (flows && age(now, quiet_since) > one_way) silent = s;
      }
      if (silent >= 0 && e.one_way_reported != silent) {
        ev.type = EventType::one_way;
        ev.side = static_cast<uint8_t>(silent);
        ev.leg = static_cast<uint8_t>(silent == 0 ? e.s.a_leg : e.s.b_leg);
        emit(ev);
      }
      e.one_way_reported = silent;
    }
  }
}

void DpdkDataplane::housekeeping() {
  std::vector<DenyEntry> expired;
  if (deny_list_->expire(now(), &expired)) {
    publish_deny();
    for (const auto& e : expired) offload_->remove_deny(e.prefix, e.port);
  }
  if (trust_list_->expire(now())) publish_trust();
  deferred_->reclaim();
  pinholes_->reclaim();
  neighbours_->reclaim();
  refresh_neighbours();
  scan_media_activity();
}

// ---- protection (control thread) ----

uint64_t DpdkDataplane::now() const {
  return config_.clock ? config_.clock() : rte_rdtsc();
}

template <typename T>
void DpdkDataplane::publish(std::atomic<const T*>& slot, std::unique_ptr<const T> next) {
  const T* old = slot.exchange(next.release(), std::memory_order_acq_rel);
  if (old) deferred_->defer([old] { delete old; });
}

void DpdkDataplane::publish_deny() {
  publish(protection_.deny, deny_list_->snapshot());
  std::lock_guard<std::mutex> lock(protection_mu_);
  deny_size_ = deny_list_->size();
  offload_states_ = offload_->states();
}

void DpdkDataplane::publish_trust() {
  publish(protection_.trust, trust_list_->snapshot());
  auto per_class = trust_list_->per_class();
  std::lock_guard<std::mutex> lock(protection_mu_);
  trust_size_ = trust_list_->size();
  trust_per_class_ = per_class;
}

Status DpdkDataplane::deny(Ipv4Prefix prefix, uint16_t port, std::chrono::milliseconds ttl,
                           std::string reason) {
  if (auto s = deny_list_->add(prefix, port, now(), ttl, std::move(reason)); !s) return s;
  // The NIC too where it takes the rule; software enforces it regardless.
  offload_->add_deny(prefix, port);
  publish_deny();
  return ok_status();
}

bool DpdkDataplane::undeny(Ipv4Prefix prefix, uint16_t port) {
  if (!deny_list_->remove(prefix, port)) return false;
  offload_->remove_deny(prefix, port);
  publish_deny();
  return true;
}

std::vector<DenyEntry> DpdkDataplane::deny_entries() const {
  return deny_list_->list(now());
}

Status DpdkDataplane::apply_filters(const FilterSet& filters) {
  auto built = build_filter_tables(filters, rte_get_tsc_hz());
  if (!built) return built.error();
  publish(protection_.filters, std::move(*built));
  // Overrides hold class indexes: when a reload moves or removes a class,
  // they are cleared (phones are promoted again at their next REGISTER)
  // rather than left pointing at another class.
  if (filters_) {
    bool moved = false;
    for (size_t i = 0; i < filters_->classes.size(); ++i)
      moved |= filters.find_class(filters_->classes[i].name) != static_cast<int>(i);
    if (moved && trust_list_->size()) {
      trust_list_ = std::make_unique<SourceTrustList>(rte_get_tsc_hz());
      publish_trust();
    }
  }
  filters_ = filters;
  offload_meter(filters);
  std::lock_guard<std::mutex> lock(protection_mu_);
  class_names_.clear();
  for (const auto& c : filters.classes) class_names_.push_back(c.name);
  return ok_status();
}

Status DpdkDataplane::set_source_trust(Ipv4Address source, std::string_view trust_class,
                                       std::chrono::milliseconds ttl) {
  if (trust_class.empty()) {
    if (trust_list_->clear(source)) publish_trust();
    return ok_status();
  }
  if (!filters_) return make_error("no filters applied");
  int c = filters_->find_class(trust_class);
  if (c < 0) return make_error("unknown trust class '" + std::string(trust_class) + "'");
  trust_list_->set(source, static_cast<uint8_t>(c), now(), ttl);
  publish_trust();
  return ok_status();
}

// ---- NIC offload (control thread): the rules follow the software tables ----

// A pinhole's remote is exact once latched, or from the start when the SDP
// gives it and latching is strict; only then can a 5-tuple rule match it.
void DpdkDataplane::offload_stream(const StreamEntry& e, bool closing) {
  const uint32_t idx[4] = {e.rtp[0], e.rtp[1], e.rtcp[0], e.rtcp[1]};
  const unsigned n = e.s.spec.rtcp_mux ? 2 : 4;
  for (unsigned i = 0; i < n; ++i) {
    const Pinhole& p = pinholes_->at(idx[i]);
    const uint64_t remote = p.remote.load(std::memory_order_acquire);
    const uint64_t expected = p.expected.load(std::memory_order_relaxed);
    uint32_t ip_n = 0;
    uint16_t port_n = 0;
    if (remote) {
      ip_n = remote_ip(remote);
      port_n = remote_port(remote);
    } else if (expected_mode(expected) == LatchMode::strict) {
      ip_n = remote_ip(expected);
      port_n = remote_port(expected);
    }
    if (closing || ip_n == 0 || port_n == 0) {
      offload_->remove_pinhole(idx[i]);
      continue;
    }
    offload_->set_pinhole(
        idx[i], p.key.leg,
        {Ipv4Address{rte_be_to_cpu_32(ip_n)}, rte_be_to_cpu_16(port_n),
         Ipv4Address{rte_be_to_cpu_32(p.key.ip)}, rte_be_to_cpu_16(p.key.port), 0, std::nullopt});
  }
  publish_offload_states();
}

void DpdkDataplane::offload_latched(const DataplaneEvent& e) {
  auto it = sessions_.find(e.session);
  if (it != sessions_.end() && e.stream < it->second.size()) offload_stream(it->second[e.stream]);
}

// The untrusted cap on each leg's SIP ports, sources the policy trusts
// statically exempt (they are policed per source in software). Exemptions
// may be too wide (first match is not modelled), never too narrow: the NIC
// must not drop what the police stage would pass.
void DpdkDataplane::offload_meter(const FilterSet& filters) {
  std::vector<PuntMeterBinding> bindings(n_legs_);
  for (unsigned i = 0; i < n_legs_; ++i) {
    PuntMeterBinding& b = bindings[i];
    b.leg_address = config_.legs[i].iface.address.address;
    for (unsigned k = 0; k < legs_[i].n_sip_udp; ++k)
      b.sip_udp_ports.push_back(rte_be_to_cpu_16(legs_[i].sip_udp[k]));
    for (const AclRule& r : filters.rules)
      if (!r.deny && r.trust_class != filters.default_class &&
          (r.leg < 0 || r.leg == static_cast<int>(i)) && (r.protocol == 0 || r.protocol == 17))
        b.trusted.push_back(r.source);
  }
  // Sources promoted after authenticating leave the untrusted class in
  // software at run time; a NIC meter cannot tell them apart, so it would
  // police phones the police stage lets through.
  std::string not_offered;
  if (filters.registered_class != filters.default_class)
    not_offered =
        "the policy promotes registered phones out of the untrusted class, which the "
        "NIC meter cannot tell apart";
  offload_->apply_meter(std::move(bindings), filters.untrusted_cap_rate,
                        filters.untrusted_cap_burst, not_offered);
  publish_offload_states();
}

std::vector<OffloadState> DpdkDataplane::offload_states() const {
  std::lock_guard<std::mutex> lock(protection_mu_);
  return offload_states_;
}

void DpdkDataplane::publish_offload_states() {
  std::lock_guard<std::mutex> lock(protection_mu_);
  offload_states_ = offload_->states();
}

// ---- stats ----

DataplaneStats DpdkDataplane::stats() const {
  DataplaneStats s = packet_stats();
  s.pinholes = pinholes_->in_use();
  s.events_lost += control_events_lost_;
  return s;
}

DataplaneStats DpdkDataplane::packet_stats() const {
  DataplaneStats s;
  s.workers = static_cast<unsigned>(workers_.size());
  s.pinhole_capacity = pinholes_->capacity();
  s.pinholes_installed = pinholes_->installed();
  s.pinholes_removed = pinholes_->removed();
  for (unsigned i = 0; i < n_legs_; ++i) {
    LegStats ls;
    ls.name = port_info_[i].leg;
    if (!port_info_[i].kernel_iface.empty()) {
      // af_packet/af_xdp always report up (FACTS.md): ask the kernel.
      ls.link_up = kernel_link_up(port_info_[i].kernel_iface).value_or(false);
    } else {
      rte_eth_link link{};
      ls.link_up = rte_eth_link_get_nowait(legs_[i].port_id, &link) == 0 &&
                   link.link_status == RTE_ETH_LINK_UP;
    }
    for (unsigned w = 0; w < workers_.size(); ++w) {
      const LegCounters& c = counters_[w].legs[i];
      ls.rx_packets += counter_read(c.rx);
      ls.tx_packets += counter_read(c.tx);
      ls.rx_bytes += counter_read(c.rx_bytes);
      ls.tx_bytes += counter_read(c.tx_bytes);
      ls.relayed_packets += counter_read(c.relayed);
      ls.punted_packets += counter_read(c.punted);
      ls.exception_packets += counter_read(c.exception);
      for (unsigned r = 0; r < kDropReasonCount; ++r) ls.drops[r] += counter_read(c.drops[r]);
      for (unsigned k = 0; k < kMaxTrustClasses; ++k) {
        ls.class_punted[k] += counter_read(c.class_punted[k]);
        ls.class_policed[k] += counter_read(c.class_policed[k]);
      }
    }
    s.legs.push_back(ls);
  }
  {
    std::lock_guard<std::mutex> lock(protection_mu_);
    s.trust_classes = class_names_;
    s.deny_entries = deny_size_;
    s.trust_overrides = trust_size_;
    s.class_sources = trust_per_class_;
    s.offload = offload_states_;
  }
  s.neighbours = neighbours_published_.load(std::memory_order_relaxed);
  s.neighbour_changes = neighbours_changed_.load(std::memory_order_relaxed);
  s.neighbours_expired = neighbours_expired_.load(std::memory_order_relaxed);
  for (unsigned w = 0; w < workers_.size(); ++w) {
    s.events_lost += counter_read(counters_[w].events_lost);
    s.worker_polls += counter_read(counters_[w].polls);
    s.worker_sleeps += counter_read(counters_[w].idle_sleeps);
  }
  return s;
}

std::optional<MediaStreamStats> DpdkDataplane::stream_stats(MediaSessionId id,
                                                            uint16_t stream) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || stream >= it->second.size()) return std::nullopt;
  const StreamEntry& e = it->second[stream];
  const uint64_t now = this->now();
  const double hz = static_cast<double>(rte_get_tsc_hz());
  auto read = [&](uint32_t idx) {
    const Pinhole& p = pinholes_->at(idx);
    PinholeStats ps;
    ps.packets = counter_read(p.packets);
    ps.bytes = counter_read(p.bytes);
    ps.rtp_seq_gaps = counter_read(p.rtp_seq_gaps);
    uint64_t t = counter_read(p.last_seen_tsc);
    ps.seconds_since_last = t ? static_cast<double>(age(now, t)) / hz : -1;
    ps.latched = p.remote.load(std::memory_order_relaxed) != 0;
    return ps;
  };
  MediaStreamStats s;
  s.a_rtp = read(e.rtp[0]);
  s.b_rtp = read(e.rtp[1]);
  if (!e.s.spec.rtcp_mux) {
    s.a_rtcp = read(e.rtcp[0]);
    s.b_rtcp = read(e.rtcp[1]);
  }
  return s;
}

}  // namespace sbc::dataplane
