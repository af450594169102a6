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
// One instance serves every silent drop of sbcd: scanners, banned sources,
// banned REGISTERs (controlplane/registrar_service.h).
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
  // What a drop does to a transaction: nta's calls, replaced in unit tests.
  struct Transactions {
    void (*complete_silently)(nta_incoming_t*);  // the 408 nta never sends
    void (*destroy)(nta_incoming_t*);
  };
  static Transactions nta();
  static const MonotonicClock& steady_clock();

  SilentDrop(EventLoop& loop, std::chrono::milliseconds hold, size_t capacity = 256,
             const MonotonicClock& clock = steady_clock(), Transactions transactions = nta());
  ~SilentDrop();
  SilentDrop(const SilentDrop&) = delete;
  SilentDrop& operator=(const SilentDrop&) = delete;

  // Returns what the nta leg callback must return.
  int drop(nta_incoming_t* irq, const sip_t* sip);
  // A reload's timer_b: INVITEs held longer than the new hold go at the next
  // check.
  void set_hold(std::chrono::milliseconds hold);
  std::chrono::milliseconds hold() const { return hold_; }
  size_t held() const { return held_.size(); }
  // Destroys the INVITEs held for `hold` or longer; run by its timer (every
  // quarter of the hold), public for tests.
  void expire();

 private:
  void arm();

  struct Held {
    nta_incoming_t* irq;
    MonoTime since;
  };
  EventLoop& loop_;
  std::chrono::milliseconds hold_;
  size_t capacity_;
  const MonotonicClock& clock_;
  Transactions transactions_;
  std::deque<Held> held_;
  EventLoop::TimerId timer_ = -1;
};

}  // namespace sbc::controlplane
