#include "controlplane/silent_drop.h"

#include <sofia-sip/sip_status.h>

#include <algorithm>

namespace sbc::controlplane {

SilentDrop::Transactions SilentDrop::nta() {
  return {[](nta_incoming_t* irq) { nta_incoming_treply(irq, SIP_408_REQUEST_TIMEOUT, TAG_END()); },
          &nta_incoming_destroy};
}

const MonotonicClock& SilentDrop::steady_clock() {
  static const SteadyClock clock;
  return clock;
}

SilentDrop::SilentDrop(EventLoop& loop, std::chrono::milliseconds hold, size_t capacity,
                       const MonotonicClock& clock, Transactions transactions)
    : loop_(loop),
      hold_(hold),
      capacity_(std::max<size_t>(capacity, 1)),
      clock_(clock),
      transactions_(transactions) {
  arm();
}

SilentDrop::~SilentDrop() {
  if (timer_ >= 0) loop_.cancel(timer_);
  for (const auto& h : held_) transactions_.destroy(h.irq);
}

void SilentDrop::arm() {
  if (timer_ >= 0) loop_.cancel(timer_);
  timer_ = -1;
  auto t = loop_.every(std::max(hold_ / 4, std::chrono::milliseconds(10)), [this] { expire(); });
  if (t) timer_ = *t;
}

void SilentDrop::set_hold(std::chrono::milliseconds hold) {
  if (hold == hold_) return;
  hold_ = hold;
  arm();
}

int SilentDrop::drop(nta_incoming_t* irq, const sip_t* sip) {
  if (sip->sip_request->rq_method != sip_method_invite) {
    transactions_.complete_silently(irq);
    return 408;
  }
  if (held_.size() >= capacity_) {
    transactions_.destroy(held_.front().irq);
    held_.pop_front();
  }
  held_.push_back({irq, clock_.now()});
  return 0;  // keep the transaction, unanswered
}

void SilentDrop::expire() {
  MonoTime now = clock_.now();
  while (!held_.empty() && now - held_.front().since >= hold_) {
    transactions_.destroy(held_.front().irq);
    held_.pop_front();
  }
}

}  // namespace sbc::controlplane
