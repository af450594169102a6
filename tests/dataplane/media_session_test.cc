// The control-plane interface of the real dataplane: port allocation, open,
// update, close, and the idle and one-way events, with short timeouts.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <thread>

#include "tests/dataplane/test_hosts.h"
#include "tests/dataplane/two_leg_harness.h"

namespace sbc::dataplane::test {
namespace {

MediaStreamSpec stream(uint16_t phone_port = 4000, uint16_t carrier_port = 6000, bool mux = false) {
  return {{"access", Ipv4Address{phone_ip()}, phone_port, LatchMode::ip},
          {"core", Ipv4Address{carrier_ip()}, carrier_port, LatchMode::ip},
          mux};
}

class MediaSessions : public testing::Test {
 protected:
  void SetUp() override { start(TwoLegHarness::Options{}); }
  void start(const TwoLegHarness::Options& o) {
    h_ = std::make_unique<TwoLegHarness>(o);
    ASSERT_TRUE(h_->ok()) << h_->error();
    ASSERT_TRUE(h_->add_host_neighbours().ok());
  }
  void TearDown() override {
    if (!h_ || !h_->ok()) return;
    h_->quiesce();
    EXPECT_EQ(h_->mbufs_in_use(), 0u) << "mbuf leak";
  }
  Bytes phone_rtp(uint16_t sbc_port, uint16_t seq = 1, uint16_t src_port = 4000) {
    return h_->rtp_from_phone(sbc_port, seq, src_port);
  }
  std::vector<DataplaneEvent> wait_events(EventType type, std::chrono::seconds bound) {
    std::vector<DataplaneEvent> got;
    auto until = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < until) {
      h_->dp().housekeeping();
      std::vector<DataplaneEvent> ev;
      h_->dp().drain_events(ev, 100);
      for (auto& e : ev)
        if (e.type == type) got.push_back(e);
      if (!got.empty()) return got;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return got;
  }
  std::unique_ptr<TwoLegHarness> h_;
};

TEST_F(MediaSessions, PortsComeInEvenPairsFromEachLegsRange) {
  MediaSessionSpec spec;
  spec.streams = {stream(), stream(4002, 6002), stream(4004, 6004, true)};
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->streams.size(), 3u);
  for (const auto& s : m->streams) {
    EXPECT_EQ(s.a_port % 2, 0);
    EXPECT_GE(s.a_port, 20000);
    EXPECT_LE(s.a_port, 20999);
    EXPECT_GE(s.b_port, 30000);
    EXPECT_LE(s.b_port, 30999);
    EXPECT_EQ(s.b_address, Ipv4Address{core_ip()});
  }
  EXPECT_NE(m->streams[0].a_port, m->streams[1].a_port);
  EXPECT_EQ(h_->dp().stats().pinholes, 4u + 4u + 2u);
  EXPECT_EQ(h_->dp().stats().pinholes_installed, 10u);
  EXPECT_EQ(h_->dp().stats().pinholes_removed, 0u);
}

TEST_F(MediaSessions, EveryStreamOfACallRelaysIndependently) {
  MediaSessionSpec spec;
  spec.streams = {stream(), stream(4002, 6002, true)};
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  h_->inject(kAccess, phone_rtp(m->streams[0].a_port, 1, 4000));
  h_->inject(kAccess, phone_rtp(m->streams[1].a_port, 1, 4002));
  h_->inject(kAccess, phone_rtp(m->streams[1].a_port, 2, 4002));
  h_->poll();
  auto out = h_->take_wire(kCore);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(h_->dp().stream_stats(m->id, 0)->a_rtp.packets, 1u);
  EXPECT_EQ(h_->dp().stream_stats(m->id, 1)->a_rtp.packets, 2u);
}

TEST_F(MediaSessions, UnknownLegIsRefusedAndNothingIsAllocated) {
  MediaSessionSpec spec;
  spec.streams = {stream()};
  spec.streams[0].b.leg = "nowhere";
  auto m = h_->dp().open_media(spec);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("nowhere"), std::string::npos);
  EXPECT_EQ(h_->dp().stats().pinholes, 0u);
}

TEST_F(MediaSessions, AfterCloseThePinholeDrops) {
  MediaSessionSpec spec;
  spec.streams = {stream()};
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  const uint16_t a = m->streams[0].a_port;
  h_->inject(kAccess, phone_rtp(a, 1));
  h_->poll();
  EXPECT_EQ(h_->take_wire(kCore).size(), 1u);
  h_->dp().close_media(m->id);
  h_->inject(kAccess, phone_rtp(a, 2));
  h_->poll();
  EXPECT_TRUE(h_->take_wire(kCore).empty());
  EXPECT_EQ(h_->drops(kAccess, DropReason::no_flow), 1u);
  EXPECT_FALSE(h_->dp().stream_stats(m->id, 0));
  // Removed at close (what rate() shows), reusable only after the grace period.
  EXPECT_EQ(h_->dp().stats().pinholes_installed, 4u);
  EXPECT_EQ(h_->dp().stats().pinholes_removed, 4u);
  // The entries come back after the grace period (the worker has polled).
  h_->dp().housekeeping();
  EXPECT_EQ(h_->dp().stats().pinholes, 0u);
}

TEST_F(MediaSessions, PinholesAreReusedAfterTheGracePeriodOnly) {
  TwoLegHarness::Options o;
  o.pinhole_capacity = 4;
  start(o);
  MediaSessionSpec spec;
  spec.streams = {stream()};
  auto m1 = h_->dp().open_media(spec);
  ASSERT_TRUE(m1.ok());
  auto full = h_->dp().open_media(spec);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.error().message.find("full"), std::string::npos);
  h_->dp().close_media(m1->id);
  // No worker poll since the close: no grace period yet, still full.
  EXPECT_FALSE(h_->dp().open_media(spec).ok());
  h_->poll();
  auto m2 = h_->dp().open_media(spec);
  ASSERT_TRUE(m2.ok()) << m2.error().message;
  h_->inject(kAccess, phone_rtp(m2->streams[0].a_port));
  h_->poll();
  EXPECT_EQ(h_->take_wire(kCore).size(), 1u);
}

TEST_F(MediaSessions, UpdateToANewRemoteRelatches) {
  MediaSessionSpec spec;
  spec.streams = {stream()};
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  const uint16_t a = m->streams[0].a_port;
  h_->inject(kAccess, phone_rtp(a, 1));
  h_->poll();
  ASSERT_EQ(h_->take_wire(kCore).size(), 1u);

  // Re-INVITE: the phone moved to 198.18.1.12.
  spec.streams[0].a.remote_ip = Ipv4Address{phone2_ip()};
  auto u = h_->dp().update_media(m->id, spec);
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->streams[0].a_port, a) << "ports survive an update";
  h_->inject(kAccess, phone_rtp(a, 2));  // old phone: now a wrong source
  UdpFrame moved;
  moved.dst_mac = h_->port_mac(kAccess);
  moved.src_mac = kStrangerMac;
  moved.src_ip = phone2_ip();
  moved.dst_ip = access_ip();
  moved.src_port = 4000;
  moved.dst_port = a;
  moved.payload = rtp_payload(3);
  h_->inject(kAccess, moved.build());
  h_->poll();
  EXPECT_EQ(h_->take_wire(kCore).size(), 1u);
  EXPECT_EQ(h_->drops(kAccess, DropReason::wrong_source), 1u);
}

TEST_F(MediaSessions, UpdateAddsAndRemovesStreams) {
  MediaSessionSpec spec;
  spec.streams = {stream()};
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  spec.streams.push_back(stream(4002, 6002));
  auto u = h_->dp().update_media(m->id, spec);
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->streams.size(), 2u);
  EXPECT_EQ(h_->dp().stats().pinholes, 8u);
  const uint16_t video = u->streams[1].a_port;
  spec.streams.pop_back();
  ASSERT_TRUE(h_->dp().update_media(m->id, spec).ok());
  h_->inject(kAccess, phone_rtp(video, 1, 4002));
  h_->poll();
  EXPECT_EQ(h_->drops(kAccess, DropReason::no_flow), 1u);
  spec.streams[0].rtcp_mux = true;
  EXPECT_FALSE(h_->dp().update_media(m->id, spec).ok());
  spec.streams[0].rtcp_mux = false;
  spec.streams[0].b.leg = "access";
  EXPECT_FALSE(h_->dp().update_media(m->id, spec).ok());
  EXPECT_FALSE(h_->dp().update_media(m->id + 100, spec).ok());
}

TEST_F(MediaSessions, EventFdIsReadableWhenAStreamLatches) {
  MediaSessionSpec spec;
  spec.streams = {stream()};
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  pollfd p{h_->dp().event_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  h_->inject(kAccess, phone_rtp(m->streams[0].a_port));
  h_->poll();
  EXPECT_EQ(::poll(&p, 1, 0), 1);
  std::vector<DataplaneEvent> ev;
  EXPECT_EQ(h_->dp().drain_events(ev, 10), 1u);
  EXPECT_EQ(::poll(&p, 1, 0), 0) << "drained: no longer readable";
}

class MediaTimers : public MediaSessions {
 protected:
  void SetUp() override {
    TwoLegHarness::Options o;
    o.idle_timeout = std::chrono::milliseconds(300);
    o.one_way_timeout = std::chrono::milliseconds(150);
    start(o);
  }
};

TEST_F(MediaTimers, SilentStreamIsReportedIdleOnce) {
  MediaSessionSpec spec;
  spec.streams = {stream()};
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  auto ev = wait_events(EventType::media_idle, std::chrono::seconds(10));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].session, m->id);
  EXPECT_EQ(ev[0].stream, 0);
  // Reported once, not on every scan.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  h_->dp().housekeeping();
  std::vector<DataplaneEvent> more;
  h_->dp().drain_events(more, 10);
  EXPECT_TRUE(more.empty());
}

TEST_F(MediaTimers, OneDirectionOnlyIsReportedOneWayWithTheSilentSide) {
  MediaSessionSpec spec;
  spec.streams = {stream()};
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  // The phone talks, the carrier never answers. Keep the phone's side
  // flowing while waiting (bounded).
  std::vector<DataplaneEvent> got;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (uint16_t seq = 1; got.empty() && std::chrono::steady_clock::now() < until; ++seq) {
    h_->inject(kAccess, phone_rtp(m->streams[0].a_port, seq));
    h_->poll();
    h_->take_wire(kCore);
    h_->dp().housekeeping();
    std::vector<DataplaneEvent> ev;
    h_->dp().drain_events(ev, 100);
    for (auto& e : ev)
      if (e.type == EventType::one_way) got.push_back(e);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].side, 1) << "side b (the carrier) is silent";
  EXPECT_EQ(got[0].session, m->id);
}

// The scan reads the clock once; a worker may stamp a packet later than
// that. The fake clock runs back between the stamp and the scan to make that
// order certain: the stream just carried RTP and is neither idle nor one way.
std::atomic<uint64_t> fake_tsc{0};
uint64_t read_fake_tsc() {
  return fake_tsc.load();
}

class MediaTimersOnAFakeClock : public MediaSessions {
 protected:
  void SetUp() override {
    fake_tsc = uint64_t{1} << 40;
    TwoLegHarness::Options o;
    o.idle_timeout = std::chrono::milliseconds(300);
    o.one_way_timeout = std::chrono::milliseconds(150);
    o.clock = read_fake_tsc;
    start(o);
  }
};

TEST_F(MediaTimersOnAFakeClock, PacketStampedAfterTheScanReadTheClockIsNotIdle) {
  MediaSessionSpec spec;
  spec.streams = {stream()};
  auto m = h_->dp().open_media(spec);
  ASSERT_TRUE(m.ok());
  fake_tsc += 1000;
  h_->inject(kAccess, phone_rtp(m->streams[0].a_port));
  h_->poll();
  h_->take_wire(kCore);
  fake_tsc -= 500;  // the scan's clock reading, taken before the stamp
  h_->dp().housekeeping();
  std::vector<DataplaneEvent> ev;
  h_->dp().drain_events(ev, 100);
  for (const auto& e : ev) {
    EXPECT_NE(e.type, EventType::media_idle);
    EXPECT_NE(e.type, EventType::one_way);
  }
}

}  // namespace
}  // namespace sbc::dataplane::test
