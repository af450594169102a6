// What a worker needs to know about one leg: its port, exception TAP, MAC,
// address, VLAN and signalling ports. Built by the control thread at start,
// constant while workers run (changing interfaces needs a restart, DESIGN.md).
#pragma once

#include <rte_byteorder.h>
#include <rte_ether.h>

#include <cstdint>

namespace sbc::dataplane {

inline constexpr unsigned kMaxLegs = 8;
inline constexpr unsigned kMaxSipPorts = 8;

struct Leg {
  uint16_t port_id = 0;
  uint16_t tap_port_id = 0;
  uint16_t rx_queues = 1;   // port RX queues; worker w polls queue w if w < rx_queues
  uint16_t tap_queues = 1;  // TAP RX queues
  uint16_t vlan = 0;        // 0: untagged
  uint32_t address = 0;     // network order
  uint32_t netmask = 0;     // network order
  uint32_t gateway = 0;     // network order; 0: none (only on-link destinations)
  rte_ether_addr mac{};
  // Signalling ports (network order) punted to the kernel: UDP to these, TCP
  // to or from these (the SBC also opens TCP connections toward port 5060/5061).
  uint16_t sip_udp[kMaxSipPorts] = {};
  uint16_t sip_tcp[kMaxSipPorts] = {};
  uint8_t n_sip_udp = 0;
  uint8_t n_sip_tcp = 0;
  // The kernel's ephemeral ports (host order; 0-0: none): answers to what
  // the kernel itself sent from the leg address (kernel_interface.h).
  uint16_t kernel_port_first = 0;
  uint16_t kernel_port_last = 0;

  bool is_sip_udp(uint16_t port_n) const {
    for (unsigned i = 0; i < n_sip_udp; ++i)
      if (sip_udp[i] == port_n) return true;
    return false;
  }
  bool is_sip_tcp(uint16_t port_n) const {
    for (unsigned i = 0; i < n_sip_tcp; ++i)
      if (sip_tcp[i] == port_n) return true;
    return false;
  }
  bool is_kernel_port(uint16_t port_n) const {
    const uint16_t p = rte_be_to_cpu_16(port_n);
    return kernel_port_last != 0 && p >= kernel_port_first && p <= kernel_port_last;
  }
  // The address to resolve to reach `dst` (network order): itself on-link,
  // else the gateway (0 when there is none).
  uint32_t next_hop(uint32_t dst) const {
    return (dst & netmask) == (address & netmask) ? dst : gateway;
  }
};

}  // namespace sbc::dataplane
