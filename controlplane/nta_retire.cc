#include "controlplane/nta_retire.h"

namespace sbc::controlplane {

int ignore_outgoing_response(nta_outgoing_magic_t*, nta_outgoing_t*, const sip_t*) {
  return 0;
}

void retire_later(EventLoop& loop, nta_outgoing_t* orq, nta_leg_t* leg) {
  if (orq) nta_outgoing_bind(orq, &ignore_outgoing_response, nullptr);
  if (!orq && !leg) return;
  (void)loop.after(std::chrono::milliseconds(0), [orq, leg] {
    if (orq) nta_outgoing_destroy(orq);
    if (leg) nta_leg_destroy(leg);
  });
}

}  // namespace sbc::controlplane
