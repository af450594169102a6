// police: only on the branch that punts to the control plane (media never
// meets these buckets). The source's class is its per-source override
// (trust_overrides.h, written by the control thread) or else its ACL class;
// its bucket (source_policer.h) must conform at the class's rate, and a
// source in the default (untrusted) class must also fit the worker's global
// untrusted cap. Exits: punt, drop:police, drop:police_cap. With no filters
// applied nothing is policed.
#pragma once

#include "dataplane/burst.h"
#include "dataplane/stage_context.h"

namespace sbc::dataplane {

void police_stage(StageContext& c, unsigned leg, Burst& b);

}  // namespace sbc::dataplane
