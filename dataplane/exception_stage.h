// The kernel's side of the exception path: what the kernel sends on a leg's
// TAP (ARP answers, ICMP echo replies, SIP) goes out through the leg's port,
// tagged with the leg's VLAN when it has one. Returns frames received.
#pragma once

#include "dataplane/stage_context.h"

namespace sbc::dataplane {

uint16_t exception_stage(StageContext& c, unsigned leg, uint16_t queue);

}  // namespace sbc::dataplane
