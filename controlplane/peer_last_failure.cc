#include "controlplane/peer_last_failure.h"

#include <sofia-sip/sip_status.h>

#include "controlplane/call_metrics.h"

namespace sbc::controlplane {

void PeerLastFailures::note(const std::string& peer, int status, const char* direction,
                            std::chrono::system_clock::time_point at) {
  // Only final failures, as sbc_call_failures_total counts them: an attempt
  // with no final response (cancelled before one) is not a peer's failure.
  if (peer.empty() || status < 300 || status > 699) return;
  // 487 answers a CANCEL of ours (the caller hung up, or a silent candidate
  // was given up): not something the peer did wrong.
  if (status == 487) return;
  const char* phrase = sip_status_phrase(status);
  last_[peer] = {status, phrase ? phrase : "", direction, at};
}

void PeerLastFailures::call_ended(const CallRecord& r, std::chrono::system_clock::time_point now) {
  if (!r.answered) note(r.source_peer, r.final_status, "inbound", now);
  for (const auto& a : r.attempts) {
    auto [peer, status] = CallMetrics::split_attempt(a);
    note(peer, status, "outbound", now);
  }
}

const PeerFailure* PeerLastFailures::find(const std::string& peer) const {
  auto it = last_.find(peer);
  return it == last_.end() ? nullptr : &it->second;
}

}  // namespace sbc::controlplane
