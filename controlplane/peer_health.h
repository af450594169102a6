// Whether a probed peer (a trunk, usually) answers: the state machine over
// OPTIONS probe results (DESIGN.md "Peers": health probing). Down after N
// consecutive failures, up again after M consecutive successes, both from
// the peer's policy. Keyed by peer name so the state survives a reload.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "controlplane/monotonic_clock.h"
#include "policy/peer.h"

namespace sbc::controlplane {

struct PeerHealthState {
  enum class State { unknown, up, down };
  State state = State::unknown;
  uint32_t consecutive_ok = 0;
  uint32_t consecutive_failed = 0;
  std::optional<std::chrono::microseconds> last_rtt;
  int last_status = 0;  // last probe's final status; 0: timeout or no answer
  MonoTime last_change{};
  uint64_t probes = 0, failures = 0;
};

const char* to_string(PeerHealthState::State s);

// A probe result counts as an answer when the peer replied at all with
// anything but 408 or a 5xx other than 501: a peer that does not implement
// OPTIONS (405/501) is still alive; 503 means it will not take calls.
bool probe_answered(int status);

class PeerHealth {
 public:
  explicit PeerHealth(const MonotonicClock& clock) : clock_(clock) {}

  // Returns true when the peer's up/down state changed.
  bool record(const policy::Peer& peer, int status, std::optional<std::chrono::microseconds> rtt);

  // Peers that are not probed, or not probed yet, count as healthy: routing
  // must not refuse calls to a trunk before its first probe came back.
  bool healthy(const policy::Peer& peer) const;
  const PeerHealthState* find(const std::string& name) const;

 private:
  const MonotonicClock& clock_;
  std::unordered_map<std::string, PeerHealthState> peers_;
};

}  // namespace sbc::controlplane
