// Workers on their own lcores (sharing the CPUs with this thread): several
// workers over several RX queues, and the control thread changing the
// pinhole table while they forward. Asserts counts, never timings.
#include <gtest/gtest.h>

#include <thread>

#include "tests/dataplane/test_hosts.h"
#include "tests/dataplane/two_leg_harness.h"

namespace sbc::dataplane::test {
namespace {

Bytes phone_rtp(const Mac& dst, uint16_t sbc_port, uint16_t seq, uint16_t src_port) {
  UdpFrame f;
  f.dst_mac = dst;
  f.src_mac = kPhoneMac;
  f.src_ip = phone_ip();
  f.dst_ip = access_ip();
  f.src_port = src_port;
  f.dst_port = sbc_port;
  f.payload = rtp_payload(seq, 0, 60);
  return f.build();
}

// Waits (bounded) until `done` holds, polling nothing: the workers run.
template <class F>
bool eventually(F done, std::chrono::seconds bound = std::chrono::seconds(20)) {
  auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

TEST(Workers, TwoWorkersOnTwoQueuesRelayEverythingExactlyOnce) {
  TwoLegHarness::Options o;
  o.workers = 2;
  o.rx_queues = 2;
  o.launch_workers = true;
  TwoLegHarness h(o);
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_EQ(h.dp().worker_count(), 2u);
  ASSERT_TRUE(h.dp().set_neighbour(kCore, Ipv4Address{carrier_ip()}, kCarrierMac).ok());
  // Two streams; each stream's packets go to one queue, as RSS would do.
  MediaSessionSpec spec;
  for (uint16_t i = 0; i < 2; ++i)
    spec.streams.push_back(
        {{"access", Ipv4Address{phone_ip()}, uint16_t(4000 + 2 * i), LatchMode::ip},
         {"core", Ipv4Address{carrier_ip()}, 6000, LatchMode::ip},
         true});
  auto m = h.dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  constexpr unsigned kPerQueue = 2000;
  size_t received = 0;
  // In chunks smaller than the rings, waiting for each to be relayed, so no
  // ring overflows and every frame is accounted for.
  for (unsigned n = 0; n < kPerQueue; ++n) {
    for (unsigned q = 0; q < 2; ++q)
      h.inject(kAccess,
               phone_rtp(h.port_mac(kAccess), m->streams[q].a_port, uint16_t(n + 1),
                         uint16_t(4000 + 2 * q)),
               q);
    if (n % 200 == 199) {
      ASSERT_TRUE(eventually([&] {
        received += h.take_wire(kCore).size();
        return h.leg_stats(kAccess).relayed_packets == 2 * (n + 1);
      }));
    }
  }
  ASSERT_TRUE(eventually([&] {
    received += h.take_wire(kCore).size();
    return h.leg_stats(kAccess).relayed_packets == 2 * kPerQueue;
  }));
  received += h.take_wire(kCore).size();
  EXPECT_EQ(received, 2u * kPerQueue);
  for (uint16_t q = 0; q < 2; ++q) {
    auto st = h.dp().stream_stats(m->id, q);
    EXPECT_EQ(st->a_rtp.packets, kPerQueue);
    EXPECT_EQ(st->a_rtp.rtp_seq_gaps, 0u) << "one writer per stream, in order";
  }
  std::vector<DataplaneEvent> ev;
  ASSERT_TRUE(eventually([&] {
    h.dp().drain_events(ev, 100);
    return ev.size() >= 2;
  }));
  EXPECT_EQ(ev.size(), 2u) << "one Latched per stream, whichever worker saw it";
  h.quiesce();
  EXPECT_EQ(h.mbufs_in_use(), 0u);
}

TEST(Workers, SingleQueuePortIsPolledByOneWorkerAndStillCorrect) {
  TwoLegHarness::Options o;
  o.workers = 2;
  o.rx_queues = 1;
  o.launch_workers = true;
  TwoLegHarness h(o);
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_TRUE(h.dp().set_neighbour(kCore, Ipv4Address{carrier_ip()}, kCarrierMac).ok());
  MediaSessionSpec spec;
  spec.streams.push_back({{"access", Ipv4Address{phone_ip()}, 4000, LatchMode::ip},
                          {"core", Ipv4Address{carrier_ip()}, 6000, LatchMode::ip},
                          true});
  auto m = h.dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  size_t received = 0;
  for (unsigned n = 0; n < 1000; ++n) {
    h.inject(kAccess, phone_rtp(h.port_mac(kAccess), m->streams[0].a_port, uint16_t(n + 1), 4000));
    if (n % 200 == 199) {
      ASSERT_TRUE(eventually([&] {
        received += h.take_wire(kCore).size();
        return received == n + 1;
      }));
    }
  }
  ASSERT_TRUE(eventually([&] {
    received += h.take_wire(kCore).size();
    return received == 1000;
  }));
  EXPECT_EQ(h.dp().stream_stats(m->id, 0)->a_rtp.rtp_seq_gaps, 0u);
  h.quiesce();
  EXPECT_EQ(h.mbufs_in_use(), 0u);
}

TEST(Workers, TableChurnWhileForwardingLosesNothingUnaccounted) {
  TwoLegHarness::Options o;
  o.workers = 2;
  o.rx_queues = 2;
  o.launch_workers = true;
  o.pinhole_capacity = 256;
  TwoLegHarness h(o);
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_TRUE(h.dp().set_neighbour(kCore, Ipv4Address{carrier_ip()}, kCarrierMac).ok());
  MediaSessionSpec steady;
  steady.streams.push_back({{"access", Ipv4Address{phone_ip()}, 4000, LatchMode::ip},
                            {"core", Ipv4Address{carrier_ip()}, 6000, LatchMode::ip},
                            true});
  auto keep = h.dp().open_media(steady);
  ASSERT_TRUE(keep.ok());
  // Churned sessions: opened and closed in a loop while both queues carry
  // traffic to the steady session and to the churned ports.
  constexpr unsigned kRounds = 1500;
  size_t received = 0;
  unsigned sent = 0;
  for (unsigned r = 0; r < kRounds; ++r) {
    MediaSessionSpec s = steady;
    s.streams[0].a.remote_port = 4002;
    auto c = h.dp().open_media(s);
    ASSERT_TRUE(c.ok()) << r << ": " << c.error().message;
    h.inject(kAccess,
             phone_rtp(h.port_mac(kAccess), keep->streams[0].a_port, uint16_t(r + 1), 4000), 0);
    h.inject(kAccess, phone_rtp(h.port_mac(kAccess), c->streams[0].a_port, uint16_t(r + 1), 4002),
             1);
    sent += 2;
    if (r % 2)
      h.dp().close_media(c->id);
    else {
      std::this_thread::yield();
      h.dp().close_media(c->id);
    }
    h.dp().housekeeping();
    std::vector<DataplaneEvent> ev;
    h.dp().drain_events(ev, 100);
    if (r % 128 == 127) {
      ASSERT_TRUE(eventually([&] {
        received += h.take_wire(kCore).size();
        return h.leg_stats(kAccess).rx_packets == sent;
      }));
    }
  }
  const auto settled = [&] {
    received += h.take_wire(kCore).size();
    const LegStats s = h.leg_stats(kAccess);
    uint64_t drops = 0;
    for (auto d : s.drops) drops += d;
    return s.rx_packets == sent && s.relayed_packets + drops == sent;
  };
  ASSERT_TRUE(eventually(settled));
  const LegStats s = h.leg_stats(kAccess);
  EXPECT_EQ(s.relayed_packets, received);
  EXPECT_EQ(h.dp().stream_stats(keep->id, 0)->a_rtp.packets, kRounds);
  // Churned traffic is either relayed (pinhole still there) or no_flow.
  EXPECT_EQ(s.relayed_packets + s.drops[static_cast<unsigned>(DropReason::no_flow)], sent);
  h.quiesce();
  EXPECT_EQ(h.mbufs_in_use(), 0u);
}

TEST(Workers, IdleWorkersSleep) {
  TwoLegHarness::Options o;
  o.workers = 1;
  o.launch_workers = true;
  TwoLegHarness h(o);
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_TRUE(eventually([&] { return h.dp().stats().worker_sleeps >= 20; }));
  h.quiesce();
  // Every poll came back empty: after each 16 empty polls (the harness's
  // idle_spins) the worker sleeps instead of spinning on.
  const DataplaneStats s = h.dp().stats();
  EXPECT_GT(s.worker_polls, 0u);
  EXPECT_LE(s.worker_polls, (s.worker_sleeps + 1) * 16);
}

}  // namespace
}  // namespace sbc::dataplane::test
