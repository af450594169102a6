// Bringing DPDK ports up: probing a leg's device from its `port` string (PCI
// address or vdev arguments), sizing the mbuf pool for no-hugepage mode, and
// configuring queues. Control thread, at start only.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <string>

#include "common/result.h"

namespace sbc::dataplane {

bool is_pci_address(const std::string& port);

// af_packet's default 2048-byte ring frame needs 2016 bytes of mbuf data
// room, more than the pool's (kMbufDataRoom): ask for 1600-byte frames
// (a 1514-byte frame plus the TPACKET header) unless the operator set
// framesz. The block must hold a whole number of frames (the PMD walks the
// ring as one array): 102400 = 64 x 1600 = 25 pages. Other devargs pass
// unchanged.
std::string adapt_devargs(const std::string& devargs);

// Probes `devargs` ("0000:03:00.0" or "net_af_xdp0,iface=access") unless it
// already is, and returns its ethdev port id.
Result<uint16_t> probe_port(const std::string& devargs);

// Data room 1792 bytes (headroom included): with the 128-byte mbuf header
// two fit one 4 KiB page without hugepages (FACTS.md), and a 1518-byte frame
// still fits one segment.
inline constexpr uint16_t kMbufDataRoom = 1792;
Result<rte_mempool*> create_mbuf_pool(const std::string& name, unsigned mbufs,
                                      uint16_t data_room = kMbufDataRoom);

struct PortQueueConfig {
  uint16_t rx_queues = 1;
  uint16_t tx_queues = 1;
  uint16_t rx_desc = 512;
  uint16_t tx_desc = 512;
};

// How many queues the device can give (for worker and RSS decisions).
struct PortCapabilities {
  uint16_t max_rx_queues = 1;
  uint16_t max_tx_queues = 1;
  bool rss = false;  // the device spreads flows over RX queues by hash
  std::string driver;
};
Result<PortCapabilities> port_capabilities(uint16_t port);

// Configures (RSS over IPv4/UDP/TCP when asked for more than one RX queue
// and the device has it), sets up queues and starts the port.
Status start_port(uint16_t port, const PortQueueConfig& q, rte_mempool* pool);
void stop_port(uint16_t port);

}  // namespace sbc::dataplane
