#include "dataplane/kernel_interface.h"

#include <gtest/gtest.h>

#include "dataplane/port_setup.h"

namespace sbc::dataplane {
namespace {

TEST(KernelInterface, ParsesCompleteArpEntriesOnly) {
  const char* text =
      "IP address       HW type     Flags       HW address            Mask     Device\n"
      "198.18.1.11      0x1         0x2         02:00:00:01:00:0b     *        sbc-access\n"
      "198.18.1.12      0x1         0x0         00:00:00:00:00:00     *        sbc-access\n"
      "198.18.2.10      0x1         0x6         02:00:00:02:00:0A     *        sbc-core\n"
      "garbage\n";
  auto n = parse_proc_net_arp(text);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].ip.to_string(), "198.18.1.11");
  EXPECT_EQ(n[0].device, "sbc-access");
  EXPECT_EQ(n[0].mac[5], 0x0b);
  EXPECT_EQ(n[1].device, "sbc-core");
  EXPECT_EQ(n[1].mac[5], 0x0a);
}

TEST(KernelInterface, FindsTheKernelInterfaceInVdevArgs) {
  EXPECT_EQ(vdev_kernel_interface("net_af_xdp0,iface=access"), "access");
  EXPECT_EQ(vdev_kernel_interface("net_af_packet0,qpairs=2,iface=core,blocksz=4096"), "core");
  EXPECT_EQ(vdev_kernel_interface("net_null0"), "");
  EXPECT_EQ(vdev_kernel_interface("0000:03:00.0"), "");
  EXPECT_EQ(vdev_kernel_interface("net_x,myiface=no"), "");
}

TEST(KernelInterface, TellsPciAddressesFromVdevArgs) {
  EXPECT_TRUE(is_pci_address("0000:03:00.0"));
  EXPECT_TRUE(is_pci_address("03:00.1"));
  EXPECT_FALSE(is_pci_address("net_af_xdp0,iface=access"));
  EXPECT_FALSE(is_pci_address("0000:03:00.8"));
  EXPECT_FALSE(is_pci_address("0000:0g:00.0"));
}

TEST(KernelInterface, LoopbackLinkStateIsReadable) {
  auto up = kernel_link_up("lo");
  ASSERT_TRUE(up.has_value());
  EXPECT_FALSE(kernel_link_up("no-such-if0").has_value());
}

TEST(KernelInterface, ParsesTheLocalPortRange) {
  auto r = parse_local_port_range("32768\t60999\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->first, 32768);
  EXPECT_EQ(r->last, 60999);
  for (const char* bad : {"", "32768", "60999 32768", "0 100", "1 70000", "a b", "1 2 3"})
    EXPECT_FALSE(parse_local_port_range(bad).has_value()) << bad;
}

}  // namespace
}  // namespace sbc::dataplane
