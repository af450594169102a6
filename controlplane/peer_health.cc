#include "controlplane/peer_health.h"

namespace sbc::controlplane {

const char* to_string(PeerHealthState::State s) {
  switch (s) {
    case PeerHealthState::State::unknown:
      return "unknown";
    case PeerHealthState::State::up:
      return "up";
    case PeerHealthState::State::down:
      return "down";
  }
  return "?";
}

bool probe_answered(int status) {
  if (status < 200) return false;  // no final answer (timeout, transport error)
  if (status == 408) return false;
  if (status >= 500 && status < 600 && status != 501) return false;
  return true;
}

bool PeerHealth::record(const policy::Peer& peer, int status,
                        std::optional<std::chrono::microseconds> rtt) {
  PeerHealthState& h = peers_[peer.name];
  ++h.probes;
  h.last_status = status;
  const auto before = h.state;
  if (probe_answered(status)) {
    h.last_rtt = rtt;
    h.consecutive_failed = 0;
    ++h.consecutive_ok;
    const uint32_t need = std::max<uint32_t>(1, peer.probe.recovery);
    // The first answer settles an unknown peer at once; a down one must
    // prove itself `recovery` times.
    if (h.state == PeerHealthState::State::unknown || h.consecutive_ok >= need)
      h.state = PeerHealthState::State::up;
  } else {
    ++h.failures;
    h.consecutive_ok = 0;
    ++h.consecutive_failed;
    if (h.consecutive_failed >= std::max<uint32_t>(1, peer.probe.failures))
      h.state = PeerHealthState::State::down;
  }
  if (h.state != before) h.last_change = clock_.now();
  return h.state != before;
}

bool PeerHealth::healthy(const policy::Peer& peer) const {
  auto it = peers_.find(peer.name);
  return it == peers_.end() || it->second.state != PeerHealthState::State::down;
}

const PeerHealthState* PeerHealth::find(const std::string& name) const {
  auto it = peers_.find(name);
  return it == peers_.end() ? nullptr : &it->second;
}

}  // namespace sbc::controlplane
