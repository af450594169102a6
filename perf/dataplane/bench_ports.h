// What the dataplane benchmarks share: a net_ring ethdev per wire or TAP,
// addresses, and a leg description.
#pragma once

#include <rte_eth_ring.h>
#include <rte_ring.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dataplane/eal.h"
#include "policy/interface.h"

namespace sbc::bench {

// An ethdev over two rings: the benchmark enqueues on rx and dequeues tx.
struct Rings {
  uint16_t port = 0;
  rte_ring* rx = nullptr;
  rte_ring* tx = nullptr;
};

inline Rings ring_port(const std::string& name) {
  Rings r;
  r.rx = rte_ring_create((name + "_r").c_str(), 4096, SOCKET_ID_ANY, 0);
  r.tx = rte_ring_create((name + "_t").c_str(), 4096, SOCKET_ID_ANY, 0);
  int id = rte_eth_from_rings(name.c_str(), &r.rx, 1, &r.tx, 1, SOCKET_ID_ANY);
  if (id < 0) {
    std::fprintf(stderr, "rte_eth_from_rings %s failed\n", name.c_str());
    std::exit(1);
  }
  r.port = static_cast<uint16_t>(id);
  return r;
}

inline uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return a << 24 | b << 16 | c << 8 | d;
}

inline policy::Interface leg(const std::string& name, uint32_t addr, uint16_t first,
                             uint16_t last) {
  policy::Interface i;
  i.name = name;
  i.address = Ipv4Prefix{Ipv4Address{addr}, 24};
  i.sip = {{policy::SipTransport::udp, 5060}};
  i.media_ports = {first, last};
  return i;
}

// EAL without hugepages, PCI or shared config; false (and said why) on
// failure.
inline bool init_eal(const std::string& memory_mb, const std::string& lcores) {
  auto s =
      dataplane::init_eal({"--no-huge", "-m", memory_mb, "--no-pci", "--no-shconf",
                           "--no-telemetry", "--lcores=" + lcores, "--log-level=lib.eal:warning"});
  if (!s) std::fprintf(stderr, "%s\n", s.error().message.c_str());
  return s.ok();
}

}  // namespace sbc::bench
