// classify: is the frame media for a pinhole, or for the SBC itself?
// Exits: `media` (UDP hitting a pinhole), `punt` (ARP for the leg address;
// ICMP, IP fragments, UDP to a SIP listener, TCP to or from a SIP port, all
// addressed to the leg address), drop:not_for_us, drop:no_flow.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

void classify_stage(StageContext& c, unsigned leg, Burst& in, Burst& media, Burst& punt);

}  // namespace sbc::dataplane
