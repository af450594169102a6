// The parse stage's per-frame logic, free of DPDK so the fuzz target and the
// unit tests run it on plain bytes. It only reads; it never trusts a length
// it has not checked against the frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "dataplane/drop_reason.h"
#include "dataplane/packet_meta.h"

namespace sbc::dataplane {

// Returns the drop reason, or nullopt with `meta` filled when the frame is
// well formed. `leg_vlan` is the leg's 802.1Q VLAN ID (0: untagged).
std::optional<DropReason> parse_frame(const uint8_t* frame, size_t len, uint16_t leg_vlan,
                                      PacketMeta& meta);

}  // namespace sbc::dataplane
