#include "dataplane/parse_stage.h"

#include "dataplane/frame_parser.h"

namespace sbc::dataplane {

void parse_stage(StageContext& c, unsigned leg, Burst& b) {
  uint16_t kept = 0;
  for (uint16_t i = 0; i < b.n; ++i) {
    rte_mbuf* m = b.pkts[i];
    // Frames up to 1518 bytes fit one segment of the pool's 1792-byte data
    // room; a chained mbuf is parsed on its first segment and, being longer
    // than that segment, fails the length checks as malformed.
    auto bad = parse_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m),
                           c.legs[leg].vlan, b.meta[kept]);
    if (bad) {
      drop(c, leg, m, *bad);
      continue;
    }
    b.pkts[kept++] = m;
  }
  b.n = kept;
}

}  // namespace sbc::dataplane
