// Admin commands over the Dataplane interface (works with the fake too):
//   media open A_LEG A_IP:PORT B_LEG B_IP:PORT [--latch strict|ip|any] [--mux]
//   media update ID A_IP:PORT B_IP:PORT
//   media close ID
//   media list | media stats ID
// `media open` is the test hook that opens a media session until the B2BUA
// does it from SDP; operators can use it to anchor a stream by hand.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controlplane/admin_protocol.h"
#include "dataplane/dataplane.h"
#include "dataplane/dataplane_stats.h"

namespace sbc::controlplane {

class DataplaneAdmin {
 public:
  explicit DataplaneAdmin(dataplane::Dataplane& dp) : dp_(dp) {}
  admin::Reply media(const std::vector<std::string>& args);

 private:
  dataplane::Dataplane& dp_;
  std::map<dataplane::MediaSessionId, dataplane::MediaSessionSpec> open_;
};

// `sbcctl stats [--json]`: per leg, packets in (received), out (transmitted),
// relayed, punted to the kernel and sent by it, and drops by reason; every
// reason is listed in JSON (zeros included, so scripts see a stable shape),
// only the non-zero ones in the table. Then pinholes (now, installed and
// removed since start) and, per trust class, its population (sources given
// the class one by one) with its punted and policed packets, and the deny
// list's size. stats == nullptr: sbcd runs without a dataplane
// (control-plane-only mode), which the reply says.
admin::Reply stats_command(const dataplane::DataplaneStats* stats,
                           const std::vector<std::string>& args);

// What `sbcctl dataplane --json` prints for one port beside its counters.
struct PortView {
  std::string leg, driver, tap, fallback;
  unsigned rx_queues = 1;
  bool rss = false;
  std::string warning;  // a configuration to fix (kernel ports overlapping media)
};
// `sbcctl dataplane --json`: ports, workers, pinholes and the counters of
// stats_command, in one object.
std::string dataplane_json(const std::vector<PortView>& ports, const dataplane::DataplaneStats& s,
                           size_t neighbours);

}  // namespace sbc::controlplane
