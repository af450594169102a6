#include "sip/session_timer_headers.h"

#include <strings.h>

#include <limits>

namespace sbc::sip {
namespace {

bool lists_timer(const msg_list_t* l) {
  for (; l; l = l->k_next)
    for (const msg_param_t* t = l->k_items; t && *t; ++t)
      if (strcasecmp(*t, "timer") == 0) return true;
  return false;
}

uint32_t clamp_seconds(unsigned long v) {
  return v > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                  : static_cast<uint32_t>(v);
}

}  // namespace

SessionTimerHeaders session_timer_headers(const sip_t* sip) {
  SessionTimerHeaders h;
  if (!sip) return h;
  if (const sip_session_expires_t* x = sip->sip_session_expires) {
    h.expires = clamp_seconds(x->x_delta);
    if (x->x_refresher && strcasecmp(x->x_refresher, "uac") == 0)
      h.refresher = Refresher::uac;
    else if (x->x_refresher && strcasecmp(x->x_refresher, "uas") == 0)
      h.refresher = Refresher::uas;
  }
  if (sip->sip_min_se) h.min_se = clamp_seconds(sip->sip_min_se->min_delta);
  h.supported = lists_timer(sip->sip_supported);
  h.required = lists_timer(sip->sip_require);
  return h;
}

std::string session_expires_value(uint32_t seconds, Refresher refresher) {
  std::string v = std::to_string(seconds);
  if (refresher == Refresher::uac) v += ";refresher=uac";
  if (refresher == Refresher::uas) v += ";refresher=uas";
  return v;
}

}  // namespace sbc::sip
