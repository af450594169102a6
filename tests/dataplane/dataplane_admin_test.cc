// The `media` admin command over the fake dataplane: what sbcctl sends is
// parsed into the right MediaSessionSpec, and mistakes are refused.
#include "controlplane/dataplane_admin.h"

#include <gtest/gtest.h>

#include "dataplane/fake_dataplane.h"

namespace sbc::controlplane {
namespace {

using dataplane::FakeDataplane;

FakeDataplane fake() {
  return FakeDataplane({{"access", Ipv4Address{0xc6120101}, 20000, 20099},
                        {"core", Ipv4Address{0xc6120201}, 30000, 30099}});
}

TEST(DataplaneAdmin, OpenParsesEndpointsLatchAndMux) {
  auto f = fake();
  DataplaneAdmin admin(f);
  auto r = admin.media({"open", "access", "198.18.1.11:4000", "core", "198.18.2.10:6000", "--latch",
                        "any", "--mux"});
  ASSERT_TRUE(r.ok) << r.body;
  EXPECT_EQ(r.body, "session 1\nstream 0 a=198.18.1.1:20000 b=198.18.2.1:30000 rtcp-mux\n");
  ASSERT_EQ(f.calls().size(), 1u);
  const auto& s = f.calls()[0].spec.streams.at(0);
  EXPECT_EQ(s.a.remote_ip.to_string(), "198.18.1.11");
  EXPECT_EQ(s.a.remote_port, 4000);
  EXPECT_EQ(s.b.remote_port, 6000);
  EXPECT_EQ(s.a.latch, dataplane::LatchMode::any);
  EXPECT_TRUE(s.rtcp_mux);
  EXPECT_TRUE(admin.media({"list"}).body.find("1 access 198.18.1.11:4000") != std::string::npos);
}

TEST(DataplaneAdmin, UpdateStatsCloseAndErrors) {
  auto f = fake();
  DataplaneAdmin admin(f);
  ASSERT_TRUE(admin.media({"open", "access", "198.18.1.11:4000", "core", "198.18.2.10:6000"}).ok);
  auto u = admin.media({"update", "1", "198.18.1.12:4002", "198.18.2.10:6000"});
  ASSERT_TRUE(u.ok) << u.body;
  EXPECT_EQ(f.calls().back().spec.streams[0].a.remote_port, 4002);
  EXPECT_TRUE(admin.media({"stats", "1"}).ok);
  EXPECT_TRUE(admin.media({"close", "1"}).ok);
  EXPECT_FALSE(f.is_open(1));
  EXPECT_FALSE(admin.media({"close", "1"}).ok);
  EXPECT_FALSE(admin.media({"open", "access", "198.18.1.11", "core", "198.18.2.10:6000"}).ok);
  EXPECT_FALSE(admin.media({"open", "access", "198.18.1.11:99999", "core", "1.2.3.4:1"}).ok);
  EXPECT_FALSE(admin.media({"open", "nowhere", "198.18.1.11:4000", "core", "198.18.2.10:6000"}).ok);
  EXPECT_FALSE(admin
                   .media({"open", "access", "198.18.1.11:4000", "core", "198.18.2.10:6000",
                           "--latch", "sometimes"})
                   .ok);
  EXPECT_FALSE(admin.media({}).ok);
  EXPECT_FALSE(admin.media({"stats", "x"}).ok);
}

}  // namespace
}  // namespace sbc::controlplane
