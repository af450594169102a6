#include "dataplane/port_setup.h"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cctype>
#include <cstring>

namespace sbc::dataplane {

bool is_pci_address(const std::string& p) {
  // dddd:bb:dd.f or bb:dd.f, hex digits.
  auto hex = [&](size_t i, size_t n) {
    for (size_t k = i; k < i + n; ++k)
      if (k >= p.size() || !std::isxdigit(static_cast<unsigned char>(p[k]))) return false;
    return true;
  };
  size_t o = p.size() == 12 ? 5 : 0;
  if (p.size() != 12 && p.size() != 7) return false;
  if (o && (!hex(0, 4) || p[4] != ':')) return false;
  return hex(o, 2) && p[o + 2] == ':' && hex(o + 3, 2) && p[o + 5] == '.' && p[o + 6] >= '0' &&
         p[o + 6] <= '7';
}

std::string adapt_devargs(const std::string& devargs) {
  if (devargs.rfind("net_af_packet", 0) == 0 && devargs.find("framesz=") == std::string::npos)
    return devargs + ",framesz=1600,blocksz=102400";
  return devargs;
}

Result<uint16_t> probe_port(const std::string& given) {
  const std::string devargs = adapt_devargs(given);
  std::string name = devargs.substr(0, devargs.find(','));
  uint16_t id;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) == 0) return id;
  int rc = rte_dev_probe(devargs.c_str());
  if (rc < 0 && rc != -EEXIST)
    return make_error("probing '" + devargs + "': " + std::string(rte_strerror(-rc)));
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
    // PCI devices are named in full form (0000:03:00.0).
    if (is_pci_address(name) && name.size() == 7 &&
        rte_eth_dev_get_port_by_name(("0000:" + name).c_str(), &id) == 0)
      return id;
    return make_error("'" + devargs + "' probed but no ethdev port named '" + name + "'");
  }
  return id;
}

Result<rte_mempool*> create_mbuf_pool(const std::string& name, unsigned mbufs, uint16_t data_room) {
  rte_mempool* mp = rte_pktmbuf_pool_create(name.c_str(), mbufs, 256, 0, data_room, SOCKET_ID_ANY);
  if (!mp)
    return make_error("mbuf pool of " + std::to_string(mbufs) +
                      " mbufs: " + std::string(rte_strerror(rte_errno)));
  return mp;
}

Result<PortCapabilities> port_capabilities(uint16_t port) {
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(port, &info);
  if (rc != 0) return make_error("rte_eth_dev_info_get: " + std::string(rte_strerror(-rc)));
  PortCapabilities c;
  c.max_rx_queues = info.max_rx_queues;
  c.max_tx_queues = info.max_tx_queues;
  c.rss = (info.flow_type_rss_offloads & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP)) != 0;
  c.driver = info.driver_name ? info.driver_name : "";
  return c;
}

Status start_port(uint16_t port, const PortQueueConfig& q, rte_mempool* pool) {
  auto caps = port_capabilities(port);
  if (!caps) return caps.error();
  rte_eth_conf conf{};
  if (q.rx_queues > 1 && caps->rss) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    // IPv4 addresses and UDP/TCP ports: one media stream stays on one queue,
    // which is what makes its per-stream counters single-writer.
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(port, &info);
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV4_TCP) &
        info.flow_type_rss_offloads;
  }
  int rc = rte_eth_dev_configure(port, q.rx_queues, q.tx_queues, &conf);
  if (rc < 0) return make_error("rte_eth_dev_configure: " + std::string(rte_strerror(-rc)));
  uint16_t rxd = q.rx_desc, txd = q.tx_desc;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
  int socket = rte_eth_dev_socket_id(port);
  if (socket < 0) socket = SOCKET_ID_ANY;
  for (uint16_t i = 0; i < q.rx_queues; ++i) {
    rc = rte_eth_rx_queue_setup(port, i, rxd, static_cast<unsigned>(socket), nullptr, pool);
    if (rc < 0) return make_error("rx queue " + std::to_string(i) + ": " + rte_strerror(-rc));
  }
  for (uint16_t i = 0; i < q.tx_queues; ++i) {
    rc = rte_eth_tx_queue_setup(port, i, txd, static_cast<unsigned>(socket), nullptr);
    if (rc < 0) return make_error("tx queue " + std::to_string(i) + ": " + rte_strerror(-rc));
  }
  rc = rte_eth_dev_start(port);
  if (rc < 0) return make_error("rte_eth_dev_start: " + std::string(rte_strerror(-rc)));
  return ok_status();
}

void stop_port(uint16_t port) {
  rte_eth_dev_stop(port);
}

}  // namespace sbc::dataplane
