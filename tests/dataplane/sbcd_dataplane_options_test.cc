// sbcd's dataplane options and the EAL arguments they turn into.
#include <gtest/gtest.h>

#include "controlplane/sbcd_options.h"
#include "dataplane/eal.h"

namespace sbc {
namespace {

TEST(SbcdDataplaneOptions, EalAndMediaTimeouts) {
  auto o = controlplane::parse_sbcd_options(
      {"--policy", "p.yaml", "--eal", "-l 0-2 --no-huge", "--media-idle-timeout", "2.5",
       "--media-one-way-timeout", "1", "--neighbour-timeout", "3"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_TRUE(o->dataplane);
  EXPECT_EQ(o->eal_args, "-l 0-2 --no-huge");
  EXPECT_DOUBLE_EQ(o->media_idle_timeout_s, 2.5);
  EXPECT_DOUBLE_EQ(o->media_one_way_timeout_s, 1);
  EXPECT_DOUBLE_EQ(o->neighbour_timeout_s, 3);
  EXPECT_FALSE(
      controlplane::parse_sbcd_options({"--policy", "p", "--neighbour-timeout", "-1"}).ok());
  EXPECT_FALSE(
      controlplane::parse_sbcd_options({"--policy", "p", "--media-idle-timeout", "0"}).ok());
  EXPECT_FALSE(
      controlplane::parse_sbcd_options({"--policy", "p", "--media-idle-timeout", "soon"}).ok());
  EXPECT_FALSE(controlplane::parse_sbcd_options({"--policy", "p", "--eal"}).ok());
}

TEST(SbcdDataplaneOptions, OffloadPinholeRuleCap) {
  auto def = controlplane::parse_sbcd_options({"--policy", "p"});
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->offload_pinhole_rules, 4096u);
  auto o = controlplane::parse_sbcd_options({"--policy", "p", "--offload-pinhole-rules", "0"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->offload_pinhole_rules, 0u);
  EXPECT_FALSE(
      controlplane::parse_sbcd_options({"--policy", "p", "--offload-pinhole-rules", "-1"}).ok());
  EXPECT_FALSE(
      controlplane::parse_sbcd_options({"--policy", "p", "--offload-pinhole-rules", "many"}).ok());
  EXPECT_FALSE(controlplane::parse_sbcd_options({"--policy", "p", "--offload-pinhole-rules"}).ok());
}

TEST(SbcdDataplaneOptions, PciPortsAreAllowListedElseNoPci) {
  auto base = dataplane::split_eal_args("-l 0-1  --no-huge");
  ASSERT_EQ(base.size(), 3u);
  auto vdev = dataplane::eal_args_for_ports(base, {"net_af_xdp0,iface=access"});
  EXPECT_EQ(vdev.back(), "--no-pci");
  auto pci = dataplane::eal_args_for_ports(base, {"0000:03:00.0", "net_af_xdp0,iface=core"});
  ASSERT_EQ(pci.size(), 5u);
  EXPECT_EQ(pci[3], "-a");
  EXPECT_EQ(pci[4], "0000:03:00.0");
  auto twice = dataplane::eal_args_for_ports({"--no-pci"}, {"net_null0"});
  EXPECT_EQ(twice.size(), 1u);
}

}  // namespace
}  // namespace sbc
