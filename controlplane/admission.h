// Channel and calls-per-second caps per peer (DESIGN.md "Peers"). Counts are
// keyed by peer name, not PeerId, so they survive a policy reload: a call that
// started under the old snapshot still holds its channel under the new one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "controlplane/monotonic_clock.h"
#include "policy/peer.h"

namespace sbc::controlplane {

class Admission {
 public:
  explicit Admission(const MonotonicClock& clock) : clock_(clock) {}

  uint32_t channels_in_use(const policy::Peer& p) const;
  bool channel_available(const policy::Peer& p) const;
  void take_channel(const policy::Peer& p);
  void release_channel(const std::string& peer_name);

  // Peeks: a token is left in the peer's bucket (no cap: always).
  bool cps_available(const policy::Peer& p) const;
  // Takes a token; false when none is left.
  bool take_cps(const policy::Peer& p);
  // A call that starts with this peer: one it sent us and admitted, or an
  // INVITE sent to it (each failover candidate), emergency calls and calls
  // past an emptied bucket included. What its calls per second are counted
  // from, apart from the bucket, which may refuse.
  void note_start(const policy::Peer& p) {
    if (on_start_) on_start_(p.name);
  }
  void on_call_start(std::function<void(const std::string& peer)> f) { on_start_ = std::move(f); }
  // Called on every take and release with the peer's channels now in use,
  // so a gauge follows each change without anyone walking the calls.
  void on_channels_changed(std::function<void(const std::string& peer, uint32_t in_use)> f) {
    on_channels_ = std::move(f);
  }

 private:
  struct Bucket {
    double tokens = 0;
    MonoTime refilled{};
    bool initialised = false;
  };
  double refill(const policy::Peer& p) const;  // tokens available now

  const MonotonicClock& clock_;
  std::unordered_map<std::string, uint32_t> channels_;
  mutable std::unordered_map<std::string, Bucket> buckets_;
  std::function<void(const std::string&)> on_start_;
  std::function<void(const std::string&, uint32_t)> on_channels_;
};

}  // namespace sbc::controlplane
