// Channel and calls-per-second caps per peer (DESIGN.md "Peers"). Counts are
// keyed by peer name, not PeerId, so they survive a policy reload: a call that
// started under the old snapshot still holds its channel under the new one.
#pragma once

#include <cstdint>
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
};

}  // namespace sbc::controlplane
