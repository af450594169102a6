// parse: L2/L3/L4 sanity of every frame received on a leg's port. Exits:
// the burst (well formed, PacketMeta filled) or drop with the parser's reason.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

void parse_stage(StageContext& c, unsigned leg, Burst& b);

}  // namespace sbc::dataplane
