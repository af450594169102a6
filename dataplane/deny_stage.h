// deny: the deny list (prefixes with expiry), first after parse so a banned
// source costs as little as possible. NOT BUILT YET: the protection issue
// fills it in; until then every packet passes (exit: acl) and drop:denied
// stays at 0. The stage keeps its place so the pipeline order is fixed now.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

inline void deny_stage(StageContext&, unsigned, Burst&) {}

}  // namespace sbc::dataplane
