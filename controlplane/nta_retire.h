// Retiring nta objects whose owner is done with them. A client transaction
// cannot be destroyed inside its own callback, and until it is destroyed nta
// may still report on it: a transport error (an ICMP port unreachable) is
// reported to every transaction toward that address, finished ones included.
// So it is rebound to a callback that ignores everything, then destroyed on
// a later loop turn. (Sending a REGISTER or OPTIONS whose answer nobody
// waits for uses ignore_outgoing_response as its callback.)
#pragma once

#include <sofia-sip/nta.h>

#include "controlplane/event_loop.h"

namespace sbc::controlplane {

int ignore_outgoing_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, const sip_t* sip);

// Either may be null.
void retire_later(EventLoop& loop, nta_outgoing_t* orq, nta_leg_t* leg = nullptr);

}  // namespace sbc::controlplane
