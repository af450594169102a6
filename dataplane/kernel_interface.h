// What the dataplane asks of the Linux kernel, all on the control thread:
// the exception TAP's address and routes, the state of the interface under
// an af_packet/af_xdp port, and the kernel's neighbour table (which learns
// through the exception path) for the relay's next-hop MACs.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace sbc::dataplane {

// Puts `address` (with its prefix) on `ifname`, sets it up, disables IPv6 on
// it and, with a gateway, adds a default route through it.
Status configure_kernel_address(const std::string& ifname, const Ipv4Prefix& address,
                                const std::optional<Ipv4Address>& gateway);

// operstate of a kernel interface: true up (or "unknown", which TAPs and
// some drivers report while passing traffic), false down, nullopt absent.
std::optional<bool> kernel_link_up(const std::string& ifname);

// "net_af_xdp0,iface=access" -> "access"; empty when there is no iface=.
std::string vdev_kernel_interface(std::string_view devargs);

// The kernel's ephemeral port range (net.ipv4.ip_local_port_range): the
// local ports of connections the kernel opens itself from the leg address
// (DNS lookups, TCP toward a carrier's non-SIP port). Their answers must
// reach the kernel, so classify punts UDP and TCP to these ports (DESIGN.md:
// "addressed to the SBC"). nullopt when unreadable or malformed.
struct PortSpan {
  uint16_t first = 0;
  uint16_t last = 0;
};
std::optional<PortSpan> parse_local_port_range(std::string_view text);
std::optional<PortSpan> read_local_port_range();

// Makes the kernel resolve `next_hop`'s MAC on the leg that holds `from`:
// one empty UDP datagram from `from` to the discard port (9) of `next_hop`,
// which the kernel can only send after an ARP exchange through the exception
// TAP. The dataplane then reads the answer from the neighbour table. For a
// media remote the kernel never spoke to (a carrier's media gateway apart
// from its signalling address): without this the relay would drop toward it
// as no_neighbour until the remote sent first. Non-blocking; errors ignored
// (the relay's no_neighbour count tells the story).
void prompt_neighbour_resolution(Ipv4Address from, Ipv4Address next_hop);

struct KernelNeighbour {
  Ipv4Address ip;
  std::array<uint8_t, 6> mac{};
  std::string device;
};

// Complete entries (flag 0x2) of /proc/net/arp's text.
std::vector<KernelNeighbour> parse_proc_net_arp(std::string_view text);
std::vector<KernelNeighbour> read_kernel_neighbours();

}  // namespace sbc::dataplane
