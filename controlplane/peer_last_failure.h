// The last failed call attempt per peer, for `sbcctl peers`: the final code,
// its reason phrase, which way the call went and when. A failure is what
// sbc_call_failures_total counts (a final 3xx-6xx): for the peer a call came
// from, what its caller heard; for a peer an INVITE went to, what it
// answered (a failover attempt included). Fed from call records on the event
// loop thread; one entry per peer name (bounded by the policy's peers).
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "controlplane/call.h"

namespace sbc::controlplane {

struct PeerFailure {
  int status = 0;
  std::string reason;     // the standard phrase for the status
  std::string direction;  // "inbound" (the peer called) or "outbound" (we called it)
  std::chrono::system_clock::time_point at;
};

class PeerLastFailures {
 public:
  // `now`: when the record was written (the call's end, wall clock).
  void call_ended(const CallRecord& r, std::chrono::system_clock::time_point now);
  const PeerFailure* find(const std::string& peer) const;

 private:
  void note(const std::string& peer, int status, const char* direction,
            std::chrono::system_clock::time_point at);
  std::map<std::string, PeerFailure> last_;
};

}  // namespace sbc::controlplane
