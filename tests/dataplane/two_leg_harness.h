// A dataplane with two legs, `access` (198.18.1.1/24) and `core`
// (198.18.2.1/24, gateway 198.18.2.254), on net_ring ports, with net_ring
// ports standing in for the exception TAPs, so a test puts frames on a
// leg's wire, polls, and reads what came out of each port and each TAP.
#pragma once

#include <rte_ring.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dpdk_dataplane.h"
#include "tests/dataplane/packet_builder.h"

namespace sbc::dataplane::test {

inline constexpr unsigned kAccess = 0;
inline constexpr unsigned kCore = 1;

class TwoLegHarness {
 public:
  struct Options {
    unsigned workers = 1;
    bool launch_workers = false;  // false: poll() drives the workers on this thread
    uint16_t rx_queues = 1;       // RX rings per port (multi-queue without RSS)
    uint16_t access_vlan = 0;
    uint16_t core_vlan = 0;
    std::chrono::milliseconds idle_timeout{30000};
    std::chrono::milliseconds one_way_timeout{10000};
    uint32_t pinhole_capacity = 1024;
    uint64_t (*clock)() = nullptr;  // TSC time for the workers; null: rte_rdtsc
  };

  explicit TwoLegHarness(const Options& o);
  TwoLegHarness() : TwoLegHarness(Options{}) {}
  ~TwoLegHarness();

  bool ok() const { return dp_ != nullptr; }
  const std::string& error() const { return error_; }
  DpdkDataplane& dp() { return *dp_; }

  Mac port_mac(unsigned leg) const;
  // Publishes the phone's and the carrier's MACs (test_hosts.h) as next hops,
  // as the kernel would after their signalling.
  Status add_host_neighbours();
  // An RTP frame from the phone (phone_ip():src_port) to the SBC's access
  // address at sbc_port: to adjust, or built.
  UdpFrame rtp_frame_from_phone(uint16_t sbc_port, uint16_t seq, uint16_t src_port = 4000) const;
  Bytes rtp_from_phone(uint16_t sbc_port, uint16_t seq, uint16_t src_port = 4000) const {
    return rtp_frame_from_phone(sbc_port, seq, src_port).build();
  }
  void inject(unsigned leg, const Bytes& frame, unsigned queue = 0);
  void inject_from_kernel(unsigned leg, const Bytes& frame);
  void poll(unsigned rounds = 1);
  std::vector<Bytes> take_wire(unsigned leg);
  std::vector<Bytes> take_punted(unsigned leg);
  uint64_t drops(unsigned leg, DropReason r) const;
  LegStats leg_stats(unsigned leg) const;
  unsigned mbufs_in_use() const;
  // Stops launched workers, frees everything left in the rings.
  void quiesce();

 private:
  struct RingPort {
    uint16_t port = 0;
    std::vector<rte_ring*> rx, tx;
  };
  RingPort make_port(const std::string& name, unsigned rxq, unsigned txq);
  std::vector<Bytes> take(RingPort& p);

  Options o_;
  std::string error_;
  RingPort wire_[2], tap_[2];
  std::unique_ptr<DpdkDataplane> dp_;
  bool quiesced_ = false;
};

}  // namespace sbc::dataplane::test
