// The protection stages' cost (perf/README.md, "Dataplane protection"): the
// same worker poll over the same frames without filters (the baseline, in
// the same run) and with the ACL at 1,000 and 10,000 rules, policing on and
// a deny list of 1,000 bans. Not a test: it prints figures, never fails.
//
// Workloads, each on one worker over two net_ring legs, 32-frame bursts:
//  - media: RTP to 2,000 pinholes (deny + acl run on it; police does not);
//  - signalling: SIP/UDP to port 5060 from 1,000 sources, punted through the
//    police stage (classes sized so nothing is policed: the cost of passing);
//  - denied flood: UDP from banned addresses, dropped by the deny stage.
// Also: apply_filters (rte_acl build aside + swap) time per rule count, and
// the longest forwarding gap while the ACL is rebuilt under traffic (a worker
// lcore forwarding what a generator lcore feeds).
// Only the poll is timed (TSC, median of per-poll cycles/packet); filling and
// draining the rings is not.
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>

#include <rte_launch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dataplane/dpdk_dataplane.h"
#include "dataplane/port_setup.h"
#include "perf/dataplane/bench_ports.h"
#include "tests/dataplane/packet_builder.h"

using namespace sbc;
using namespace sbc::dataplane;
using namespace sbc::bench;
using sbc::dataplane::test::Bytes;
using sbc::dataplane::test::UdpFrame;

namespace {

struct Setup {
  Rings wire[2], tap[2];
  std::unique_ptr<DpdkDataplane> dp;
  rte_mempool* gen = nullptr;
};

void drain(Setup& s) {
  void* m[64];
  for (Rings* p : {&s.wire[0], &s.wire[1], &s.tap[0], &s.tap[1]}) {
    unsigned got;
    while ((got = rte_ring_dequeue_burst(p->tx, m, 64, nullptr)) > 0)
      rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(m), got);
  }
}

// Median cycles/packet of `polls` polls, each over one 32-frame burst taken
// in turn from `frames` on the access leg.
double measure(Setup& s, const std::vector<Bytes>& frames, unsigned polls) {
  Worker& w = s.dp->worker(0);
  std::vector<double> per_poll;
  size_t cursor = 0;
  rte_mbuf* m[32];
  for (unsigned p = 0; p < polls; ++p) {
    if (rte_pktmbuf_alloc_bulk(s.gen, m, 32) != 0) break;
    for (unsigned k = 0; k < 32; ++k) {
      const Bytes& f = frames[cursor];
      cursor = (cursor + 1) % frames.size();
      std::memcpy(rte_pktmbuf_append(m[k], static_cast<uint16_t>(f.size())), f.data(), f.size());
    }
    rte_ring_enqueue_burst(s.wire[0].rx, reinterpret_cast<void**>(m), 32, nullptr);
    const uint64_t t0 = rte_rdtsc_precise();
    const unsigned n = w.poll_once();
    const uint64_t dt = rte_rdtsc_precise() - t0;
    if (n) per_poll.push_back(static_cast<double>(dt) / n);
    drain(s);
  }
  std::sort(per_poll.begin(), per_poll.end());
  return per_poll.empty() ? 0 : per_poll[per_poll.size() / 2];
}

FilterSet filters(unsigned rules) {
  FilterSet f;
  // Rates far above what one poll can send: passing, never policed.
  f.classes = {{"untrusted", 100'000'000, 100'000'000}, {"trusted", 100'000'000, 100'000'000}};
  f.untrusted_cap_rate = 100'000'000;
  f.untrusted_cap_burst = 100'000'000;
  std::mt19937 rng(7);
  for (unsigned i = 0; i + 1 < rules; ++i) {
    AclRule r;
    r.deny = i % 3 != 0;
    // Sources in 10.0.0.0/8 (never the traffic's), /16 to /32, with protocol
    // and port ranges on some, so the trie is not trivial.
    const uint8_t len = static_cast<uint8_t>(16 + rng() % 17);
    r.source =
        Ipv4Prefix{Ipv4Address{ip4(10, rng() % 256, rng() % 256, rng() % 256)}, len}.network();
    if (i % 4 == 0) r.protocol = 17;
    if (i % 5 == 0) {
      r.port_lo = static_cast<uint16_t>(1024 + rng() % 30000);
      r.port_hi = static_cast<uint16_t>(r.port_lo + rng() % 1000);
    }
    if (i % 7 == 0) r.leg = static_cast<int>(rng() % 2);
    r.trust_class = 1;
    f.rules.push_back(r);
  }
  AclRule phones;
  phones.source = *Ipv4Prefix::parse("198.18.0.0/16");
  phones.trust_class = 1;
  f.rules.push_back(phones);
  return f;
}

// Opens 2,000 sessions (phone -> carrier) and returns one RTP frame for each,
// in random order.
std::vector<Bytes> open_media_frames(DpdkDataplane& dp) {
  const uint32_t carrier = ip4(198, 18, 2, 10);
  (void)dp.set_neighbour(1, Ipv4Address{carrier}, {2, 0, 0, 0, 2, 10});
  test::Mac port_mac;
  std::memcpy(port_mac.data(), dp.leg(0).mac.addr_bytes, 6);
  std::vector<Bytes> media;
  for (unsigned k = 0; k < 2000; ++k) {
    MediaSessionSpec spec;
    MediaStreamSpec ms;
    ms.a = {"access", Ipv4Address{ip4(198, 18, 1, 11)}, static_cast<uint16_t>(20000 + k),
            LatchMode::ip};
    ms.b = {"core", Ipv4Address{carrier}, static_cast<uint16_t>(40000 + k), LatchMode::ip};
    ms.rtcp_mux = true;
    spec.streams.push_back(ms);
    auto m = dp.open_media(spec);
    if (!m) {
      std::fprintf(stderr, "open_media: %s\n", m.error().message.c_str());
      std::exit(1);
    }
    UdpFrame f;
    f.dst_mac = port_mac;
    f.src_ip = ip4(198, 18, 1, 11);
    f.dst_ip = ip4(198, 18, 1, 1);
    f.src_port = static_cast<uint16_t>(20000 + k);
    f.dst_port = m->streams[0].a_port;
    f.payload = test::rtp_payload(1);
    media.push_back(f.build());
  }
  std::shuffle(media.begin(), media.end(), std::mt19937(42));
  return media;
}

// The generator lcore of the rebuild run: feeds media bursts, drains what
// the worker relays, and keeps the longest time between two relayed bursts
// per phase (0: before the rebuilds, 1: during them). Bounded by a deadline.
struct GapProbe {
  Setup* s = nullptr;
  const std::vector<Bytes>* frames = nullptr;
  std::atomic<int> phase{0};  // 2: stop
  uint64_t max_gap[2] = {0, 0};
  uint64_t relayed[2] = {0, 0};
};

int gap_probe_main(void* arg) {
  auto* g = static_cast<GapProbe*>(arg);
  const uint64_t deadline = rte_get_tsc_cycles() + 60 * rte_get_tsc_hz();
  size_t cursor = 0;
  uint64_t last = rte_rdtsc();
  rte_mbuf* m[32];
  void* out[64];
  while (g->phase.load() < 2 && rte_get_tsc_cycles() < deadline) {
    if (rte_ring_count(g->s->wire[0].rx) < 1024 && rte_pktmbuf_alloc_bulk(g->s->gen, m, 32) == 0) {
      for (unsigned k = 0; k < 32; ++k) {
        const Bytes& f = (*g->frames)[cursor];
        cursor = (cursor + 1) % g->frames->size();
        std::memcpy(rte_pktmbuf_append(m[k], static_cast<uint16_t>(f.size())), f.data(), f.size());
      }
      unsigned in =
          rte_ring_enqueue_burst(g->s->wire[0].rx, reinterpret_cast<void**>(m), 32, nullptr);
      if (in < 32) rte_pktmbuf_free_bulk(m + in, 32 - in);
    }
    const unsigned got = rte_ring_dequeue_burst(g->s->wire[1].tx, out, 64, nullptr);
    if (got) {
      rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(out), got);
      const uint64_t now = rte_rdtsc();
      const int p = g->phase.load() == 1 ? 1 : 0;
      g->max_gap[p] = std::max(g->max_gap[p], now - last);
      g->relayed[p] += got;
      last = now;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned polls = 20000;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--polls") polls = static_cast<unsigned>(std::stoul(argv[i + 1]));
  if (!sbc::bench::init_eal("512", "0@(0,1),1@(0,1),2@(0,1)")) return 1;
  const double hz = static_cast<double>(rte_get_tsc_hz());
  Setup s;
  DataplaneConfig c;
  const char* names[2] = {"access", "core"};
  for (unsigned i = 0; i < 2; ++i) {
    s.wire[i] = ring_port(std::string("pw") + names[i]);
    s.tap[i] = ring_port(std::string("pt") + names[i]);
    c.legs.push_back(
        {leg(names[i], ip4(198, 18, 1 + i, 1), 10000, 30000), s.wire[i].port, s.tap[i].port, ""});
  }
  c.mbufs = 8191;
  c.pinhole_capacity = 8192;
  c.workers = 1;
  c.launch_workers = false;
  c.kernel_neighbours = false;
  c.event_ring_size = 8192;
  auto dp = DpdkDataplane::start(c);
  if (!dp) {
    std::fprintf(stderr, "dataplane: %s\n", dp.error().message.c_str());
    return 1;
  }
  s.dp = std::move(*dp);
  s.gen = rte_pktmbuf_pool_create("prot_gen", 4095, 256, 0, kMbufDataRoom, SOCKET_ID_ANY);
  test::Mac port_mac;
  std::memcpy(port_mac.data(), s.dp->leg(0).mac.addr_bytes, 6);

  // Media: 2,000 sessions from 2,000 phone ports, latched in a warm-up pass.
  std::vector<Bytes> media = open_media_frames(*s.dp), sip, denied;
  for (unsigned k = 0; k < 1000; ++k) {
    UdpFrame f;
    f.dst_mac = port_mac;
    f.src_ip = ip4(198, 18, 100 + k / 200, 10 + k % 200);  // 1,000 sources
    f.dst_ip = ip4(198, 18, 1, 1);
    f.src_port = 5060;
    f.dst_port = 5060;
    f.payload = Bytes(400, 'S');
    sip.push_back(f.build());
    f.src_ip = ip4(198, 19, 200 + k / 250, k % 250);  // banned below
    denied.push_back(f.build());
  }
  measure(s, media, 200);  // latch every session
  std::vector<DataplaneEvent> ev;
  while (s.dp->drain_events(ev, 4096) > 0) ev.clear();

  std::printf("TSC %.2f GHz, %u polls of 32 frames per figure, median cycles/packet of polls\n",
              hz / 1e9, polls);
  const double base_media = measure(s, media, polls);
  const double base_sip = measure(s, sip, polls);
  std::printf(
      "baseline (no filters, no deny list): media %.1f cycles/packet (%.2f M/s), "
      "signalling punt %.1f (%.2f M/s)\n",
      base_media, hz / base_media / 1e6, base_sip, hz / base_sip / 1e6);

  // 1,000 bans: the deny list every frame meets.
  for (unsigned k = 0; k < 1000; ++k)
    (void)s.dp->deny(Ipv4Prefix{Ipv4Address{ip4(198, 19, 200 + k / 250, k % 250)}, 32}, 0, {},
                     "bench");
  s.dp->housekeeping();
  {
    const double m = measure(s, media, polls);
    std::printf("deny list of 1,000 bans alone: media %.1f cycles/packet (+%.1f over baseline)\n",
                m, m - base_media);
  }
  for (unsigned rules : {1000u, 10000u}) {
    const auto t0 = std::chrono::steady_clock::now();
    auto a = s.dp->apply_filters(filters(rules));
    const double build_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!a) {
      std::fprintf(stderr, "apply_filters: %s\n", a.error().message.c_str());
      return 1;
    }
    s.dp->housekeeping();
    const double m = measure(s, media, polls);
    const double p = measure(s, sip, polls);
    const double d = measure(s, denied, polls);
    std::printf(
        "ACL %5u rules + 1,000 bans + policing: build+swap %.1f ms; media %.1f cycles/packet "
        "(+%.1f over baseline, ratio %.2f, %.2f M/s); signalling punt %.1f (+%.1f, ratio %.2f); "
        "denied flood dropped at %.1f cycles/packet (%.2f M/s)\n",
        rules, build_ms, m, m - base_media, base_media / m, hz / m / 1e6, p, p - base_sip,
        base_sip / p, d, hz / d / 1e6);
  }
  // A denied flood mixed with allowed media: 3 denied frames to 1 media
  // frame in every burst; every media frame must still be relayed.
  {
    std::vector<Bytes> mixed;
    for (size_t k = 0; k < 4000; ++k)
      mixed.push_back(k % 4 == 3 ? media[(k / 4) % media.size()] : denied[k % denied.size()]);
    uint64_t relayed_before = 0;
    for (const auto& l : s.dp->stats().legs) relayed_before += l.relayed_packets;
    const double x = measure(s, mixed, polls);
    uint64_t relayed_after = 0;
    for (const auto& l : s.dp->stats().legs) relayed_after += l.relayed_packets;
    const uint64_t media_fed = uint64_t{polls} * 32 / 4;
    std::printf(
        "mixed (3 denied : 1 media, 10,000 rules): %.1f cycles/packet, %.2f M packets/s on one "
        "core (%.2f M/s of it denied); media relayed %llu of %llu fed\n",
        x, hz / x / 1e6, hz / x / 1e6 * 0.75,
        static_cast<unsigned long long>(relayed_after - relayed_before),
        static_cast<unsigned long long>(media_fed));
  }
  const auto stats = s.dp->stats();
  uint64_t policed = 0, acl = 0, deny = 0;
  for (const auto& l : stats.legs) {
    policed += l.drops[static_cast<unsigned>(DropReason::police)] +
               l.drops[static_cast<unsigned>(DropReason::police_cap)];
    acl += l.drops[static_cast<unsigned>(DropReason::acl)];
    deny += l.drops[static_cast<unsigned>(DropReason::denied)];
  }
  std::printf("drops: denied %llu (the flood), acl %llu and police %llu (both must be 0)\n",
              static_cast<unsigned long long>(deny), static_cast<unsigned long long>(acl),
              static_cast<unsigned long long>(policed));
  s.dp.reset();
  drain(s);

  // ACL rebuilds while a worker lcore forwards: the longest time between two
  // relayed bursts, before and during six rebuilds (1,000 and 10,000 rules
  // in turn). Three threads share this machine's two CPUs, so both phases
  // include preemption; the comparison is what counts.
  c.launch_workers = true;
  auto dp2 = DpdkDataplane::start(c);
  if (!dp2) {
    std::fprintf(stderr, "dataplane: %s\n", dp2.error().message.c_str());
    return 1;
  }
  s.dp = std::move(*dp2);
  const std::vector<Bytes> media2 = open_media_frames(*s.dp);
  (void)s.dp->apply_filters(filters(1000));
  GapProbe g;
  g.s = &s;
  g.frames = &media2;
  rte_eal_remote_launch(gap_probe_main, &g, 2);
  rte_delay_us_sleep(2'000'000);
  g.phase = 1;
  const auto r0 = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < 6; ++i) {
    (void)s.dp->apply_filters(filters(i % 2 ? 1000 : 10000));
    s.dp->housekeeping();
  }
  const double rebuild_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
  g.phase = 2;
  rte_eal_wait_lcore(2);
  std::printf(
      "ACL rebuild while forwarding: longest gap between relayed bursts %.0f us before (2 s, "
      "%llu packets relayed), %.0f us during 6 rebuilds (%.2f s, %llu packets relayed)\n",
      static_cast<double>(g.max_gap[0]) / hz * 1e6, static_cast<unsigned long long>(g.relayed[0]),
      static_cast<double>(g.max_gap[1]) / hz * 1e6, rebuild_s,
      static_cast<unsigned long long>(g.relayed[1]));
  s.dp->stop_workers();
  drain(s);
  s.dp.reset();
  return 0;
}
