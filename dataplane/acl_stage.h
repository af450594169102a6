// acl: rte_acl on (protocol, source, leg, destination port), first match
// wins: a deny rule drops (drop:acl), an allow rule or no rule gives the
// source its static trust class (PacketMeta::trust_class) for the police
// stage. Exits: classify, drop:acl. With no filters applied every frame
// passes in class 0.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

void acl_stage(StageContext& c, unsigned leg, Burst& b);

}  // namespace sbc::dataplane
