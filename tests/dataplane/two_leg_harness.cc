#include "tests/dataplane/two_leg_harness.h"

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <atomic>
#include <cstring>

#include "tests/dataplane/test_hosts.h"

namespace sbc::dataplane::test {
namespace {
std::atomic<unsigned> g_harness{0};

policy::Interface leg(const std::string& name, const std::string& addr, uint16_t vlan,
                      uint16_t media_first) {
  policy::Interface i;
  i.name = name;
  i.address = *Ipv4Prefix::parse(addr, true);
  i.vlan = vlan;
  i.sip = {{policy::SipTransport::udp, 5060}, {policy::SipTransport::tcp, 5060}};
  i.media_ports = {media_first, static_cast<uint16_t>(media_first + 999)};
  return i;
}
}  // namespace

TwoLegHarness::RingPort TwoLegHarness::make_port(const std::string& name, unsigned rxq,
                                                 unsigned txq) {
  RingPort p;
  for (unsigned i = 0; i < rxq; ++i)
    p.rx.push_back(rte_ring_create((name + "r" + std::to_string(i)).c_str(), 1024, SOCKET_ID_ANY,
                                   RING_F_SC_DEQ));
  for (unsigned i = 0; i < txq; ++i)
    p.tx.push_back(rte_ring_create((name + "t" + std::to_string(i)).c_str(), 1024, SOCKET_ID_ANY,
                                   RING_F_SP_ENQ));
  int id = rte_eth_from_rings(name.c_str(), p.rx.data(), rxq, p.tx.data(), txq, SOCKET_ID_ANY);
  if (id < 0) error_ = "rte_eth_from_rings " + name;
  p.port = static_cast<uint16_t>(id);
  return p;
}

TwoLegHarness::TwoLegHarness(const Options& o) : o_(o) {
  const std::string h = "h" + std::to_string(g_harness.fetch_add(1));
  const unsigned w = o.workers;
  wire_[0] = make_port(h + "wa", o.rx_queues, w);
  wire_[1] = make_port(h + "wc", o.rx_queues, w);
  tap_[0] = make_port(h + "ta", w, w);
  tap_[1] = make_port(h + "tc", w, w);
  if (!error_.empty()) return;
  DataplaneConfig c;
  LegConfig a{leg("access", "198.18.1.1/24", o.access_vlan, 20000), wire_[0].port, tap_[0].port,
              ""};
  LegConfig k{leg("core", "198.18.2.1/24", o.core_vlan, 30000), wire_[1].port, tap_[1].port, ""};
  k.iface.gateway = Ipv4Address{ip("198.18.2.254")};
  c.legs = {a, k};
  c.mbufs = 4095;
  c.pinhole_capacity = o.pinhole_capacity;
  c.workers = w;
  c.launch_workers = o.launch_workers;
  c.idle_spins = 16;
  c.idle_sleep_us = 50;
  c.media_idle_timeout = o.idle_timeout;
  c.one_way_timeout = o.one_way_timeout;
  c.kernel_neighbours = false;
  c.clock = o.clock;
  auto dp = DpdkDataplane::start(c);
  if (!dp) {
    error_ = dp.error().message;
    return;
  }
  dp_ = std::move(*dp);
}

void TwoLegHarness::quiesce() {
  if (quiesced_ || !dp_) return;
  dp_->stop_workers();
  for (auto* p : {&wire_[0], &wire_[1], &tap_[0], &tap_[1]}) {
    take(*p);
    for (auto* r : p->rx) {
      void* m;
      while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
  }
  quiesced_ = true;
}

TwoLegHarness::~TwoLegHarness() {
  quiesce();
  dp_.reset();
  for (auto* p : {&wire_[0], &wire_[1], &tap_[0], &tap_[1]}) {
    rte_eth_dev_stop(p->port);
    rte_eth_dev_close(p->port);
    for (auto* r : p->rx) rte_ring_free(r);
    for (auto* r : p->tx) rte_ring_free(r);
  }
}

Mac TwoLegHarness::port_mac(unsigned leg) const {
  Mac m;
  std::memcpy(m.data(), dp_->leg(leg).mac.addr_bytes, 6);
  return m;
}

Status TwoLegHarness::add_host_neighbours() {
  if (auto s = dp_->set_neighbour(kAccess, Ipv4Address{phone_ip()}, kPhoneMac); !s) return s;
  return dp_->set_neighbour(kCore, Ipv4Address{carrier_ip()}, kCarrierMac);
}

UdpFrame TwoLegHarness::rtp_frame_from_phone(uint16_t sbc_port, uint16_t seq,
                                             uint16_t src_port) const {
  UdpFrame f;
  f.dst_mac = port_mac(kAccess);
  f.src_mac = kPhoneMac;
  f.src_ip = phone_ip();
  f.dst_ip = access_ip();
  f.src_port = src_port;
  f.dst_port = sbc_port;
  f.payload = rtp_payload(seq);
  return f;
}

static rte_mbuf* to_mbuf(rte_mempool* pool, const Bytes& frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (!m) return nullptr;
  char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  if (!d) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memcpy(d, frame.data(), frame.size());
  return m;
}

void TwoLegHarness::inject(unsigned leg, const Bytes& frame, unsigned queue) {
  rte_mbuf* m = to_mbuf(dp_->mempool(), frame);
  if (m && rte_ring_enqueue(wire_[leg].rx[queue], m) != 0) rte_pktmbuf_free(m);
}

void TwoLegHarness::inject_from_kernel(unsigned leg, const Bytes& frame) {
  rte_mbuf* m = to_mbuf(dp_->mempool(), frame);
  if (m && rte_ring_enqueue(tap_[leg].rx[0], m) != 0) rte_pktmbuf_free(m);
}

void TwoLegHarness::poll(unsigned rounds) {
  for (unsigned r = 0; r < rounds; ++r)
    for (unsigned w = 0; w < dp_->worker_count(); ++w) dp_->worker(w).poll_once();
}

std::vector<Bytes> TwoLegHarness::take(RingPort& p) {
  std::vector<Bytes> out;
  for (auto* r : p.tx) {
    void* v;
    while (rte_ring_dequeue(r, &v) == 0) {
      rte_mbuf* m = static_cast<rte_mbuf*>(v);
      const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
      out.emplace_back(d, d + rte_pktmbuf_data_len(m));
      rte_pktmbuf_free(m);
    }
  }
  return out;
}

std::vector<Bytes> TwoLegHarness::take_wire(unsigned leg) {
  return take(wire_[leg]);
}
std::vector<Bytes> TwoLegHarness::take_punted(unsigned leg) {
  return take(tap_[leg]);
}

LegStats TwoLegHarness::leg_stats(unsigned leg) const {
  return dp_->stats().legs[leg];
}

uint64_t TwoLegHarness::drops(unsigned leg, DropReason r) const {
  return leg_stats(leg).drops[static_cast<unsigned>(r)];
}

unsigned TwoLegHarness::mbufs_in_use() const {
  return rte_mempool_in_use_count(dp_->mempool());
}

}  // namespace sbc::dataplane::test
