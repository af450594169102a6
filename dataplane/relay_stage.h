// relay: media that hit a pinhole. Checks the source against the latched (or
// expected) remote and latches it on first sight, counts the stream, and
// rewrites L2/L3/L4 toward the peer pinhole's remote on its leg, polices the
// pinhole's packet and byte budgets, and renumbers telephone-event when the
// legs number it differently.
// Exits: the egress leg's TX buffer, drop:wrong_source, drop:media_policed,
// drop:media_bandwidth, drop:no_destination, drop:no_neighbour,
// drop:ttl_expired, drop:no_headroom.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

void relay_stage(StageContext& c, unsigned leg, Burst& b);

}  // namespace sbc::dataplane
