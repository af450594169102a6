// `sbcctl stats` and `sbcctl dataplane --json` rendering, over hand-made
// dataplane counters (no EAL).
#include "controlplane/dataplane_admin.h"

#include <gtest/gtest.h>

using namespace sbc;
using namespace sbc::controlplane;

namespace {

dataplane::DataplaneStats two_legs() {
  dataplane::DataplaneStats s;
  s.pinholes = 4;
  s.legs.resize(2);
  s.legs[0].name = "access";
  s.legs[0].link_up = true;
  s.legs[0].rx_packets = 1000;
  s.legs[0].tx_packets = 900;
  s.legs[0].relayed_packets = 800;
  s.legs[0].rx_bytes = 214000;
  s.legs[0].tx_bytes = 192600;
  s.legs[0].punted_packets = 150;
  s.legs[0].exception_packets = 100;
  s.legs[0].drops[static_cast<unsigned>(dataplane::DropReason::malformed)] = 7;
  s.legs[0].drops[static_cast<unsigned>(dataplane::DropReason::no_flow)] = 43;
  s.legs[1].name = "core";
  return s;
}

}  // namespace

TEST(StatsCommand, TableListsLegsAndOnlyTheDropReasonsSeen) {
  auto s = two_legs();
  auto r = stats_command(&s, {});
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.body.find("access     up              1000            900            800"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("50\n"), std::string::npos) << "total drops on access\n" << r.body;
  EXPECT_NE(r.body.find("malformed"), std::string::npos);
  EXPECT_NE(r.body.find("no_flow"), std::string::npos);
  EXPECT_EQ(r.body.find("acl "), std::string::npos) << "zero reasons are not listed\n" << r.body;
  EXPECT_NE(r.body.find("core       down"), std::string::npos) << r.body;
}

TEST(StatsCommand, JsonHasEveryReasonPerLeg) {
  auto s = two_legs();
  auto r = stats_command(&s, {"--json"});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body.rfind("{\"dataplane\":\"dpdk\",\"pinholes\":4,", 0), 0u) << r.body;
  EXPECT_NE(r.body.find("\"name\":\"access\",\"link_up\":true,\"packets_in\":1000,"
                        "\"packets_out\":900,\"bytes_in\":214000,\"bytes_out\":192600,"
                        "\"relayed\":800,\"punted\":150,\"from_kernel\":100,"
                        "\"drops\":{\"malformed\":7,"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("\"no_flow\":43"), std::string::npos);
  EXPECT_NE(r.body.find("\"dropped\":50}"), std::string::npos) << r.body;
  // Every reason appears once per leg, zeros included.
  size_t n = 0;
  for (size_t p = 0; (p = r.body.find("\"tx_full\":", p)) != std::string::npos; ++p) ++n;
  EXPECT_EQ(n, 2u);
}

TEST(StatsCommand, TrustClassPopulationDropsAndPinholeChurn) {
  auto s = two_legs();
  s.pinholes_installed = 12;
  s.pinholes_removed = 8;
  s.trust_classes = {"untrusted", "registered"};
  s.class_sources[1] = 3;
  s.deny_entries = 2;
  s.legs[0].class_punted[0] = 20;
  s.legs[1].class_punted[0] = 5;
  s.legs[0].class_policed[0] = 1972;
  s.legs[0].class_punted[1] = 40;
  auto t = stats_command(&s, {});
  ASSERT_TRUE(t.ok);
  EXPECT_NE(t.body.find("pinholes 4 (installed 12, removed 8 since start)\n"), std::string::npos)
      << t.body;
  // Punted and policed summed over the legs, per class.
  EXPECT_NE(t.body.find("untrusted               0             25           1972\n"),
            std::string::npos)
      << t.body;
  EXPECT_NE(t.body.find("registered              3             40              0\n"),
            std::string::npos)
      << t.body;
  EXPECT_NE(t.body.find("denied                  2"), std::string::npos) << t.body;
  auto j = stats_command(&s, {"--json"});
  EXPECT_NE(j.body.find("\"pinholes_installed\":12,\"pinholes_removed\":8,\"deny_entries\":2,"
                        "\"trust_classes\":[{\"class\":\"untrusted\",\"sources\":0,"
                        "\"punted\":25,\"policed\":1972},{\"class\":\"registered\","
                        "\"sources\":3,\"punted\":40,\"policed\":0}],"),
            std::string::npos)
      << j.body;
}

TEST(StatsCommand, NoFiltersNoClasses) {
  auto s = two_legs();
  auto t = stats_command(&s, {});
  EXPECT_NE(t.body.find("no filters applied"), std::string::npos) << t.body;
  auto j = stats_command(&s, {"--json"});
  EXPECT_NE(j.body.find("\"trust_classes\":[],"), std::string::npos) << j.body;
}

TEST(StatsCommand, OffloadShowsEachLegAndRuleKindWithItsPathAndReason) {
  auto s = two_legs();
  s.offload.push_back(
      {"access", "deny", false, true, "rte_flow_create: refused (Function not implemented)", 0, 0});
  s.offload.push_back({"access", "pinhole", true, true, "", 12, 3});
  s.offload.push_back({"access", "meter", false, false, "", 0, 0});
  auto t = stats_command(&s, {});
  ASSERT_TRUE(t.ok);
  EXPECT_NE(t.body.find("OFFLOAD    KIND     PATH        RULES  CAP_HITS  REASON\n"),
            std::string::npos)
      << t.body;
  EXPECT_NE(t.body.find("access     deny     software        0         0  rte_flow_create: "
                        "refused (Function not implemented)\n"),
            std::string::npos)
      << t.body;
  EXPECT_NE(t.body.find("access     pinhole  nic            12         3  \n"), std::string::npos)
      << t.body;
  EXPECT_NE(t.body.find("access     meter    software        0         0  not tried yet"),
            std::string::npos)
      << t.body;
  auto j = stats_command(&s, {"--json"});
  EXPECT_NE(j.body.find("\"offload\":[{\"leg\":\"access\",\"rule_kind\":\"deny\",\"path\":"
                        "\"software\",\"tried\":true,\"rules\":0,\"cap_hits\":0,\"reason\":"
                        "\"rte_flow_create: refused (Function not implemented)\"},"
                        "{\"leg\":\"access\",\"rule_kind\":\"pinhole\",\"path\":\"nic\","
                        "\"tried\":true,\"rules\":12,\"cap_hits\":3,\"reason\":\"\"},"),
            std::string::npos)
      << j.body;
}

TEST(StatsCommand, WithoutADataplaneSaysSo) {
  auto t = stats_command(nullptr, {});
  ASSERT_TRUE(t.ok);
  EXPECT_NE(t.body.find("control-plane-only"), std::string::npos);
  auto j = stats_command(nullptr, {"--json"});
  EXPECT_EQ(j.body, "{\"dataplane\":\"off\",\"legs\":[]}\n");
}

TEST(StatsCommand, UnknownArgumentIsRefused) {
  auto r = stats_command(nullptr, {"--yaml"});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.body.find("unknown argument '--yaml'"), std::string::npos);
}

TEST(DataplaneJson, PortsAndCounters) {
  auto s = two_legs();
  s.workers = 1;
  s.pinhole_capacity = 1024;
  std::string j =
      dataplane_json({{"access", "net_af_xdp", "sbc-access", "", 1, false, "kernel ports overlap"},
                      {"core", "net_af_packet", "sbc-core", "af_xdp refused", 2, true, ""}},
                     s, 3);
  EXPECT_EQ(j.rfind("{\"workers\":1,\"pinholes\":4,\"pinhole_capacity\":1024,\"neighbours\":3,", 0),
            0u)
      << j;
  EXPECT_NE(j.find("{\"leg\":\"core\",\"driver\":\"net_af_packet\",\"rx_queues\":2,\"rss\":true,"
                   "\"tap\":\"sbc-core\",\"note\":\"af_xdp refused\"}"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("\"tap\":\"sbc-access\",\"warning\":\"kernel ports overlap\"}"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("\"legs\":[{\"name\":\"access\""), std::string::npos);
  EXPECT_NE(j.find("\"bytes_in\":"), std::string::npos) << j;
}
