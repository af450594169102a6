#include "dataplane/fake_dataplane.h"

#include <gtest/gtest.h>
#include <poll.h>

namespace sbc::dataplane {
namespace {

std::vector<MediaLeg> legs() {
  return {{"access", Ipv4Address{0xc6120101}, 20000, 20003},
          {"core", Ipv4Address{0xc6120201}, 30000, 30099}};
}

MediaSessionSpec one_stream() {
  MediaSessionSpec s;
  s.streams.push_back({{"access", Ipv4Address{0xc612010b}, 4000, LatchMode::ip},
                       {"core", Ipv4Address{0xc612020a}, 6000, LatchMode::ip},
                       false});
  return s;
}

TEST(FakeDataplane, RecordsCallsAndAllocatesLikeTheRealOne) {
  FakeDataplane f(legs());
  auto m = f.open_media(one_stream());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->streams[0].a_port, 20000);
  EXPECT_EQ(m->streams[0].b_address, Ipv4Address{0xc6120201});
  auto m2 = f.open_media(one_stream());
  ASSERT_TRUE(m2.ok());
  // access has two pairs only
  auto m3 = f.open_media(one_stream());
  EXPECT_FALSE(m3.ok());
  f.close_media(m->id);
  EXPECT_FALSE(f.is_open(m->id));
  EXPECT_TRUE(f.is_open(m2->id));
  ASSERT_EQ(f.calls().size(), 3u);
  EXPECT_EQ(f.calls()[2].kind, FakeDataplane::Call::Kind::close);
  EXPECT_EQ(f.stats().pinholes, 4u);
}

TEST(FakeDataplane, InjectedEventsMakeTheFdReadable) {
  FakeDataplane f(legs());
  pollfd p{f.event_fd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0);
  DataplaneEvent e;
  e.type = EventType::media_idle;
  e.session = 7;
  f.inject_event(e);
  EXPECT_EQ(poll(&p, 1, 0), 1);
  std::vector<DataplaneEvent> out;
  EXPECT_EQ(f.drain_events(out, 10), 1u);
  EXPECT_EQ(out[0].session, 7u);
  EXPECT_EQ(poll(&p, 1, 0), 0);
}

TEST(FakeDataplane, UpdateKeepsLegs) {
  FakeDataplane f(legs());
  auto m = f.open_media(one_stream());
  auto spec = one_stream();
  spec.streams[0].b.leg = "access";
  EXPECT_FALSE(f.update_media(m->id, spec).ok());
  EXPECT_TRUE(f.update_media(m->id, one_stream()).ok());
}

}  // namespace
}  // namespace sbc::dataplane
