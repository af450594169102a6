#include "controlplane/silent_drop.h"

#include <sofia-sip/sip_status.h>

#include <algorithm>

namespace sbc::controlplane {

SilentDrop::SilentDrop(EventLoop& loop, std::chrono::milliseconds hold, size_t capacity)
    : loop_(loop), hold_(hold), capacity_(std::max<size_t>(capacity, 1)) {
  auto t = loop_.every(std::max(hold_ / 4, std::chrono::milliseconds(10)), [this] { expire(); });
  if (t) timer_ = *t;
}

SilentDrop::~SilentDrop() {
  if (timer_ >= 0) loop_.cancel(timer_);
  for (const auto& h : held_) nta_incoming_destroy(h.irq);
}

int SilentDrop::drop(nta_incoming_t* irq, const sip_t* sip) {
  if (sip->sip_request->rq_method != sip_method_invite) {
    nta_incoming_treply(irq, SIP_408_REQUEST_TIMEOUT, TAG_END());
    return 408;
  }
  if (held_.size() >= capacity_) {
    nta_incoming_destroy(held_.front().irq);
    held_.pop_front();
  }
  held_.push_back({irq, clock_.now()});
  return 0;  // keep the transaction, unanswered
}

void SilentDrop::expire() {
  MonoTime now = clock_.now();
  while (!held_.empty() && now - held_.front().since >= hold_) {
    nta_incoming_destroy(held_.front().irq);
    held_.pop_front();
  }
}

}  // namespace sbc::controlplane
