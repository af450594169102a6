// Answering nothing to a request with nta, which has no "drop" of its own:
//  - a non-INVITE is "answered" 408: nta completes the transaction (its
//    retransmissions are absorbed) but never sends a 408 to a non-INVITE
//    (RFC 4320, draft-sparks-sip-nit-actions);
//  - an INVITE is held with no final answer (Debian's nta sends 100 Trying
//    by itself when the callback keeps the transaction, and absorbs the
//    retransmissions) for `hold`, or until `capacity` newer ones push it
//    out. Then it is destroyed, and nta sends 500 for an INVITE transaction
//    destroyed unanswered. Neither can be suppressed without a transport
//    hook; the dataplane's deny list is what drops without a trace.
#pragma once

#include <sofia-sip/nta.h>

#include <chrono>
#include <cstddef>
#include <deque>

#include "controlplane/event_loop.h"
#include "controlplane/monotonic_clock.h"

namespace sbc::controlplane {

class SilentDrop {
 public:
  SilentDrop(EventLoop& loop, std::chrono::milliseconds hold, size_t capacity = 256);
  ~SilentDrop();
  SilentDrop(const SilentDrop&) = delete;
  SilentDrop& operator=(const SilentDrop&) = delete;

  // Returns what the nta leg callback must return.
  int drop(nta_incoming_t* irq, const sip_t* sip);
  size_t held() const { return held_.size(); }

 private:
  void expire();

  struct Held {
    nta_incoming_t* irq;
    MonoTime since;
  };
  EventLoop& loop_;
  std::chrono::milliseconds hold_;
  size_t capacity_;
  SteadyClock clock_;
  std::deque<Held> held_;
  EventLoop::TimerId timer_ = -1;
};

}  // namespace sbc::controlplane
