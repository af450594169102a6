// Dataplane relay throughput on one worker lcore, against a ceiling loop in
// the same run (perf/README.md, "Dataplane relay"). Not a test: it prints
// figures and never fails on them.
//
// Setup: 8 legs on net_ring ports (4 access, 4 core: one SBC address per
// leg holds at most ~32,000 RTP port pairs, so 100,000 sessions need several
// addresses), 100,000 sessions with rtcp-mux = 200,000 pinholes, opened
// through open_media. Synthetic RTP (172-byte payload, 214-byte frames) from
// one phone address per access leg, sessions visited in random order.
//
// Measured region: only the worker's poll (rx -> stages -> tx over all 16
// rings) or the ceiling's poll (rx, read and rewrite the same header fields,
// tx, no lookup and no stages), timed with rdtsc. Filling RX rings and
// draining TX rings happens outside it.
//
// Also: pinhole install (open_media) and removal rate from the control
// thread, alone and while a worker lcore forwards traffic that a generator
// lcore feeds (three threads on this machine's two CPUs), and memory per
// pinhole (rte_malloc heap growth of the table + the entry pool).
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dataplane/checksum.h"
#include "dataplane/dpdk_dataplane.h"
#include "dataplane/port_setup.h"
#include "perf/dataplane/bench_ports.h"

using namespace sbc;
using namespace sbc::dataplane;
using namespace sbc::bench;

namespace {

constexpr unsigned kLegPairs = 4;  // access_i <-> core_i
constexpr unsigned kFrame = 214;

struct Bench {
  unsigned sessions = 100000;
  uint64_t packets = 5000000;
  bool police = false;  // --police 1: every pinhole at PCMU's budgets (media_session.h)
  std::vector<Rings> wire, tap;
  std::unique_ptr<DpdkDataplane> dp;
  std::vector<std::vector<uint8_t>> frames;  // one per session, in visiting order
  std::vector<unsigned> frame_leg;           // access leg of each frame
  rte_mempool* gen_pool = nullptr;
};

std::vector<uint8_t> rtp_frame(const rte_ether_addr& dst_mac, uint32_t src, uint32_t dst,
                               uint16_t sport, uint16_t dport, uint16_t seq) {
  std::vector<uint8_t> f(kFrame, 0);
  std::memcpy(f.data(), dst_mac.addr_bytes, 6);
  const uint8_t smac[6] = {2, 0, 0, 0, 1, 1};
  std::memcpy(f.data() + 6, smac, 6);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  const uint16_t tot = kFrame - 14;
  ip[2] = tot >> 8;
  ip[3] = tot & 0xff;
  ip[8] = 64;
  ip[9] = 17;
  const uint32_t s = rte_cpu_to_be_32(src), d = rte_cpu_to_be_32(dst);
  std::memcpy(ip + 12, &s, 4);
  std::memcpy(ip + 16, &d, 4);
  const uint16_t ck = internet_checksum(ip, 20);
  ip[10] = ck >> 8;
  ip[11] = ck & 0xff;
  uint8_t* udp = ip + 20;
  udp[0] = sport >> 8;
  udp[1] = sport & 0xff;
  udp[2] = dport >> 8;
  udp[3] = dport & 0xff;
  const uint16_t ulen = tot - 20;
  udp[4] = ulen >> 8;
  udp[5] = ulen & 0xff;
  uint8_t* rtp = udp + 8;
  rtp[0] = 0x80;
  rtp[2] = seq >> 8;
  rtp[3] = seq & 0xff;
  // UDP checksum over the pseudo-header and datagram.
  uint32_t sum = ones_sum(ip + 12, 8) + 17 + ulen;
  sum = ones_sum(udp, ulen, sum);
  uint16_t uck = static_cast<uint16_t>(~fold(sum));
  if (uck == 0) uck = 0xffff;
  udp[6] = uck >> 8;
  udp[7] = uck & 0xff;
  return f;
}

void setup(Bench& b) {
  DataplaneConfig c;
  for (unsigned i = 0; i < 2 * kLegPairs; ++i) {
    const bool access = i < kLegPairs;
    const std::string name = (access ? "access" : "core") + std::to_string(i % kLegPairs);
    b.wire.push_back(ring_port("bw" + std::to_string(i)));
    b.tap.push_back(ring_port("bt" + std::to_string(i)));
    const uint32_t addr = access ? ip4(198, 18, 10 + i, 1) : ip4(198, 19, 10 + i, 1);
    c.legs.push_back({leg(name, addr, 2000, 65000), b.wire.back().port, b.tap.back().port, ""});
  }
  c.mbufs = 16383;
  c.pinhole_capacity = 2 * b.sessions + 4096;
  c.workers = 1;
  c.launch_workers = false;
  c.kernel_neighbours = false;
  c.event_ring_size = 1 << 18;  // every session latches once
  auto dp = DpdkDataplane::start(c);
  if (!dp) {
    std::fprintf(stderr, "dataplane: %s\n", dp.error().message.c_str());
    std::exit(1);
  }
  b.dp = std::move(*dp);
  for (unsigned i = 0; i < kLegPairs; ++i) {
    std::array<uint8_t, 6> carrier_mac{2, 0, 0, 0, 2, static_cast<uint8_t>(i)};
    (void)b.dp->set_neighbour(kLegPairs + i, Ipv4Address{ip4(198, 19, 10 + kLegPairs + i, 10)},
                              carrier_mac);
  }
}

// Opens every session through the control path; returns seconds taken.
double open_sessions(Bench& b, std::vector<MediaSession>& out) {
  const auto t0 = std::chrono::steady_clock::now();
  for (unsigned s = 0; s < b.sessions; ++s) {
    const unsigned l = s % kLegPairs;
    MediaSessionSpec spec;
    MediaStreamSpec st;
    st.a = {"access" + std::to_string(l), Ipv4Address{ip4(198, 18, 10 + l, 11)},
            static_cast<uint16_t>(10000 + (s / kLegPairs) % 50000), LatchMode::ip};
    st.b = {"core" + std::to_string(l), Ipv4Address{ip4(198, 19, 10 + kLegPairs + l, 10)},
            static_cast<uint16_t>(20000 + 2 * ((s / kLegPairs) % 20000)), LatchMode::ip};
    st.rtcp_mux = true;
    if (b.police) {
      set_audio_budget(st, 20);
      set_audio_bandwidth(st, 64'000, 20);
    }
    spec.streams.push_back(st);
    auto m = b.dp->open_media(spec);
    if (!m) {
      std::fprintf(stderr, "open_media %u: %s\n", s, m.error().message.c_str());
      std::exit(1);
    }
    out.push_back(*m);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void build_frames(Bench& b, const std::vector<MediaSession>& sessions) {
  std::vector<unsigned> order(sessions.size());
  for (unsigned i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(42));
  for (unsigned s : order) {
    const unsigned l = s % kLegPairs;
    b.frames.push_back(rtp_frame(
        b.dp->leg(l).mac, ip4(198, 18, 10 + l, 11), ip4(198, 18, 10 + l, 1),
        static_cast<uint16_t>(10000 + (s / kLegPairs) % 50000), sessions[s].streams[0].a_port, 1));
    b.frame_leg.push_back(l);
  }
}

// Puts one burst of 32 frames on each access leg's RX ring (not timed).
size_t feed(Bench& b, size_t& cursor) {
  rte_mbuf* m[32];
  size_t fed = 0;
  for (unsigned l = 0; l < kLegPairs; ++l) {
    if (rte_pktmbuf_alloc_bulk(b.gen_pool, m, 32) != 0) return fed;
    for (unsigned k = 0; k < 32; ++k) {
      // Next frame of this leg (frames of all legs interleave in `frames`).
      while (b.frame_leg[cursor] != l) cursor = (cursor + 1) % b.frames.size();
      std::memcpy(rte_pktmbuf_append(m[k], kFrame), b.frames[cursor].data(), kFrame);
      cursor = (cursor + 1) % b.frames.size();
    }
    fed += rte_ring_enqueue_burst(b.wire[l].rx, reinterpret_cast<void**>(m), 32, nullptr);
  }
  return fed;
}

size_t drain(Bench& b) {
  void* m[64];
  size_t n = 0;
  for (auto& r : b.wire) {
    unsigned got;
    while ((got = rte_ring_dequeue_burst(r.tx, m, 64, nullptr)) > 0) {
      rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(m), got);
      n += got;
    }
  }
  return n;
}

// The ceiling: the same rings polled, the same header fields read and
// rewritten, no parse checks beyond the EtherType, no lookup, no stages.
unsigned ceiling_poll(Bench& b) {
  unsigned total = 0;
  rte_mbuf* pkts[32];
  for (unsigned i = 0; i < 2 * kLegPairs; ++i) {
    uint16_t n = rte_eth_rx_burst(b.wire[i].port, 0, pkts, 32);
    const unsigned out = (i + kLegPairs) % (2 * kLegPairs);
    const Leg& ol = b.dp->leg(out);
    for (uint16_t k = 0; k < n; ++k) {
      uint8_t* eth = rte_pktmbuf_mtod(pkts[k], uint8_t*);
      if (eth[12] != 0x08 || eth[13] != 0x00) continue;
      uint8_t* ip = eth + 14;
      uint8_t* udp = ip + 20;
      uint32_t osrc, odst, nsrc = ol.address, ndst = ol.address ^ 0x0a000000;
      std::memcpy(&osrc, ip + 12, 4);
      std::memcpy(&odst, ip + 16, 4);
      std::memcpy(eth, eth + 6, 6);
      std::memcpy(eth + 6, ol.mac.addr_bytes, 6);
      std::memcpy(ip + 12, &nsrc, 4);
      std::memcpy(ip + 16, &ndst, 4);
      ip[8]--;
      ip[10] = ip[11] = 0;
      const uint16_t ck = internet_checksum(ip, 20);
      ip[10] = ck >> 8;
      ip[11] = ck & 0xff;
      uint16_t uck = static_cast<uint16_t>(udp[6] << 8 | udp[7]);
      uck = checksum_update32(uck, rte_be_to_cpu_32(osrc), rte_be_to_cpu_32(nsrc));
      uck = checksum_update32(uck, rte_be_to_cpu_32(odst), rte_be_to_cpu_32(ndst));
      udp[6] = uck >> 8;
      udp[7] = uck & 0xff;
      udp[0] ^= 1;  // a port change, as the relay does
    }
    uint16_t sent = n ? rte_eth_tx_burst(b.wire[out].port, 0, pkts, n) : 0;
    if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    rte_eth_rx_burst(b.tap[i].port, 0, pkts, 32);  // the exception queues, as the worker polls
    total += n;
  }
  return total;
}

// Cycles are wall-clock TSC: on a shared machine a poll can include time the
// thread was preempted. Each poll's cycles/packet is kept and the median
// reported (robust to the few preempted polls); the mean is printed beside it.
struct Run {
  uint64_t packets = 0;
  uint64_t cycles = 0;
  std::vector<double> per_poll;
  double median() {
    std::sort(per_poll.begin(), per_poll.end());
    return per_poll.empty() ? 0 : per_poll[per_poll.size() / 2];
  }
  double mean() const { return packets ? static_cast<double>(cycles) / packets : 0; }
};

template <class Poll>
Run measure(Bench& b, uint64_t packets, Poll poll) {
  Run r;
  size_t cursor = 0;
  while (r.packets < packets) {
    feed(b, cursor);
    const uint64_t t0 = rte_rdtsc_precise();
    const unsigned n = poll();
    const uint64_t dt = rte_rdtsc_precise() - t0;
    r.cycles += dt;
    r.packets += n;
    if (n) r.per_poll.push_back(static_cast<double>(dt) / n);
    drain(b);
  }
  return r;
}

struct GeneratorArgs {
  Bench* b;
  std::atomic<bool>* stop;
  uint64_t fed = 0;
};

int generator_main(void* arg) {
  auto* g = static_cast<GeneratorArgs*>(arg);
  size_t cursor = 0;
  const uint64_t deadline = rte_get_tsc_cycles() + 30 * rte_get_tsc_hz();  // bounded
  while (!g->stop->load() && rte_get_tsc_cycles() < deadline) {
    g->fed += feed(*g->b, cursor);
    drain(*g->b);
    rte_delay_us_block(20);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Bench b;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--sessions") b.sessions = std::stoul(argv[i + 1]);
    if (std::string(argv[i]) == "--packets") b.packets = std::stoull(argv[i + 1]);
    if (std::string(argv[i]) == "--police") b.police = std::string(argv[i + 1]) == "1";
  }
  if (!sbc::bench::init_eal("1024", "0@(0,1),1@(0,1),2@(0,1)")) return 1;
  const double hz = static_cast<double>(rte_get_tsc_hz());

  // Memory per pinhole: heap growth of a table alone, plus the entry pool.
  rte_malloc_socket_stats before{}, after{};
  rte_malloc_get_socket_stats(0, &before);
  {
    auto* q = static_cast<rte_rcu_qsbr*>(
        rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE), RTE_CACHE_LINE_SIZE));
    rte_rcu_qsbr_init(q, RTE_MAX_LCORE);
    auto t = PinholeTable::create("bench_mem", 2 * b.sessions, q);
    rte_malloc_get_socket_stats(0, &after);
    t->reset();
    rte_free(q);
  }
  const double hash_bytes =
      static_cast<double>(after.heap_allocsz_bytes - before.heap_allocsz_bytes);
  const double per_pinhole = hash_bytes / (2.0 * b.sessions) + sizeof(Pinhole);

  setup(b);
  b.gen_pool = rte_pktmbuf_pool_create("bench_gen", 8191, 256, 0, kMbufDataRoom, SOCKET_ID_ANY);
  std::vector<MediaSession> sessions;
  const double open_s = open_sessions(b, sessions);
  build_frames(b, sessions);
  std::printf("sessions %u, pinholes %llu, frames %u bytes, TSC %.2f GHz\n", b.sessions,
              static_cast<unsigned long long>(b.dp->stats().pinholes), kFrame, hz / 1e9);
  std::printf("memory per pinhole: %.0f bytes (hash %.0f + entry %zu)\n", per_pinhole,
              hash_bytes / (2.0 * b.sessions), sizeof(Pinhole));
  std::printf("install (open_media, 2 pinholes each), control thread alone: %.0f sessions/s\n",
              b.sessions / open_s);

  // Warm-up pass: every session latches once (events drained, not timed).
  Worker& w = b.dp->worker(0);
  measure(b, b.sessions, [&] { return w.poll_once(); });
  std::vector<DataplaneEvent> ev;
  while (b.dp->drain_events(ev, 1 << 16) > 0) ev.clear();

  Run relay = measure(b, b.packets, [&] { return w.poll_once(); });
  Run ceiling = measure(b, b.packets, [&] { return ceiling_poll(b); });
  const auto st = b.dp->stats();
  uint64_t relayed = 0, dropped = 0;
  for (const auto& l : st.legs) {
    relayed += l.relayed_packets;
    for (auto d : l.drops) dropped += d;
  }
  const double relay_cpp = relay.median();
  const double ceil_cpp = ceiling.median();
  std::printf(
      "relay   : %llu packets, %.1f cycles/packet (median of polls; mean %.1f), %.2f M "
      "packets/s on one core\n",
      static_cast<unsigned long long>(relay.packets), relay_cpp, relay.mean(),
      hz / relay_cpp / 1e6);
  std::printf(
      "ceiling : %llu packets, %.1f cycles/packet (median of polls; mean %.1f), %.2f M "
      "packets/s on one core\n",
      static_cast<unsigned long long>(ceiling.packets), ceil_cpp, ceiling.mean(),
      hz / ceil_cpp / 1e6);
  std::printf("relay / ceiling throughput: %.2f\n", ceil_cpp / relay_cpp);
  std::printf("relayed %llu, dropped %llu (must be 0)\n", static_cast<unsigned long long>(relayed),
              static_cast<unsigned long long>(dropped));

  // Install rate while forwarding: a worker lcore relays what a generator
  // lcore feeds while this thread closes and reopens sessions.
  b.dp.reset();
  drain(b);
  {
    for (auto& r : b.wire) {
      void* m = nullptr;
      while (rte_ring_dequeue(r.rx, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    Bench b2;
    b2.sessions = b.sessions;
    b2.wire = b.wire;
    b2.tap = b.tap;
    b2.gen_pool = b.gen_pool;
    DataplaneConfig c2;
    for (unsigned i = 0; i < 2 * kLegPairs; ++i) {
      const bool access = i < kLegPairs;
      const std::string name = (access ? "access" : "core") + std::to_string(i % kLegPairs);
      const uint32_t addr = access ? ip4(198, 18, 10 + i, 1) : ip4(198, 19, 10 + i, 1);
      c2.legs.push_back({leg(name, addr, 2000, 65000), b.wire[i].port, b.tap[i].port, ""});
    }
    c2.mbufs = 16383;
    c2.pinhole_capacity = 2 * b.sessions + 4096;
    c2.workers = 1;
    c2.launch_workers = true;
    c2.kernel_neighbours = false;
    c2.event_ring_size = 1 << 18;
    auto dp2 = DpdkDataplane::start(c2);
    if (!dp2) {
      std::fprintf(stderr, "%s\n", dp2.error().message.c_str());
      return 1;
    }
    b2.dp = std::move(*dp2);
    for (unsigned i = 0; i < kLegPairs; ++i) {
      std::array<uint8_t, 6> carrier_mac{2, 0, 0, 0, 2, static_cast<uint8_t>(i)};
      (void)b2.dp->set_neighbour(kLegPairs + i, Ipv4Address{ip4(198, 19, 10 + kLegPairs + i, 10)},
                                 carrier_mac);
    }
    std::vector<MediaSession> s2;
    const unsigned half = b.sessions / 2;
    b2.sessions = half;
    open_sessions(b2, s2);
    build_frames(b2, s2);
    std::atomic<bool> stop{false};
    GeneratorArgs g{&b2, &stop};
    rte_eal_remote_launch(generator_main, &g, 2);
    // Churn: close and reopen sessions while traffic flows.
    const unsigned churn = std::min(half, 50000u);
    const auto t0 = std::chrono::steady_clock::now();
    for (unsigned k = 0; k < churn; ++k) {
      b2.dp->close_media(s2[k].id);
      if (k % 256 == 0) b2.dp->housekeeping();
    }
    std::vector<MediaSession> s3;
    Bench b3;
    b3.sessions = churn;
    b3.dp = std::move(b2.dp);
    const double reopen_s = open_sessions(b3, s3);
    const double total_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stop = true;
    rte_eal_wait_lcore(2);
    const auto st2 = b3.dp->stats();
    std::printf(
        "while forwarding (worker lcore 1, generator lcore 2, control lcore 0; 3 threads on "
        "2 CPUs): %u closes then %u opens in %.2f s; the opens ran at %.0f sessions/s; "
        "worker relayed %llu packets meanwhile\n",
        churn, churn, total_s, churn / reopen_s,
        static_cast<unsigned long long>(st2.legs[0].relayed_packets + st2.legs[1].relayed_packets +
                                        st2.legs[2].relayed_packets + st2.legs[3].relayed_packets));
    b3.dp->stop_workers();
    drain(b2);
    b3.dp.reset();
    b2.dp.reset();
  }
  return 0;
}
