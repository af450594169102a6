// acl: rte_acl on the 5-tuple and leg, giving a drop or a trust class.
// NOT BUILT YET (protection issue): pass-through, exit classify; drop:acl
// stays at 0 until it lands.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

inline void acl_stage(StageContext&, unsigned, Burst&) {}

}  // namespace sbc::dataplane
