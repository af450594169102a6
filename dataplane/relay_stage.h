// relay: media that hit a pinhole. Checks the source against the latched (or
// expected) remote and latches it on first sight, counts the stream, and
// rewrites L2/L3/L4 toward the peer pinhole's remote on its leg.
// Exits: the egress leg's TX buffer, drop:wrong_source, drop:no_destination,
// drop:no_neighbour, drop:ttl_expired, drop:no_headroom.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

void relay_stage(StageContext& c, unsigned leg, Burst& b);

}  // namespace sbc::dataplane
