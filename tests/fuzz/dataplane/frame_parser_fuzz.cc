// Fuzz target for the dataplane's frame parser (the first stage that sees
// untrusted bytes). The first input byte picks the leg's VLAN (0 or 100);
// the rest is the frame. Whatever the parser accepts must have lengths that
// fit the frame, which the relay stage relies on.
#include <cstdint>
#include <cstdlib>

#include "dataplane/frame_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint16_t vlan = data[0] & 1 ? 100 : 0;
  sbc::dataplane::PacketMeta meta;
  if (sbc::dataplane::parse_frame(data + 1, size - 1, vlan, meta)) return 0;
  if (meta.kind != sbc::dataplane::PacketKind::arp &&
      meta.l2_len + static_cast<size_t>(meta.ip_len) > size - 1)
    std::abort();
  if (meta.kind == sbc::dataplane::PacketKind::udp && meta.ip_len < meta.l3_len + 8u) std::abort();
  return 0;
}
