#include "controlplane/admission.h"

#include <algorithm>
#include <cmath>

namespace sbc::controlplane {

uint32_t Admission::channels_in_use(const policy::Peer& p) const {
  auto it = channels_.find(p.name);
  return it == channels_.end() ? 0 : it->second;
}

bool Admission::channel_available(const policy::Peer& p) const {
  return p.channels.max == 0 || channels_in_use(p) < p.channels.max;
}

void Admission::take_channel(const policy::Peer& p) {
  const uint32_t n = ++channels_[p.name];
  if (on_channels_) on_channels_(p.name, n);
}

void Admission::release_channel(const std::string& peer_name) {
  auto it = channels_.find(peer_name);
  if (it == channels_.end()) return;
  const uint32_t n = --it->second;
  if (n == 0) channels_.erase(it);
  if (on_channels_) on_channels_(peer_name, n);
}

double Admission::refill(const policy::Peer& p) const {
  const double burst = std::max<double>(1.0, p.cps.burst ? p.cps.burst : std::ceil(p.cps.rate));
  Bucket& b = buckets_[p.name];
  MonoTime now = clock_.now();
  if (!b.initialised) {
    b = {burst, now, true};
    return b.tokens;
  }
  double elapsed = std::chrono::duration<double>(now - b.refilled).count();
  b.tokens = std::min(burst, b.tokens + elapsed * p.cps.rate);
  b.refilled = now;
  return b.tokens;
}

bool Admission::cps_available(const policy::Peer& p) const {
  return p.cps.rate <= 0 || refill(p) >= 1.0;
}

bool Admission::take_cps(const policy::Peer& p) {
  if (p.cps.rate > 0) {
    if (refill(p) < 1.0) return false;
    buckets_[p.name].tokens -= 1.0;
  }
  return true;
}

}  // namespace sbc::controlplane
