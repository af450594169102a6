#include "controlplane/call_rate_window.h"

#include <algorithm>

namespace sbc::controlplane {
namespace {

size_t slot(int64_t second) {
  constexpr int64_t w = CallRateWindow::kWindowSeconds;
  return static_cast<size_t>(((second % w) + w) % w);
}

}  // namespace

int64_t CallRateWindow::second_now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

void CallRateWindow::advance(Ring& r, int64_t now) {
  if (now <= r.newest) return;
  // A peer quiet for a whole window or more: every bucket is stale.
  const int64_t skipped = std::min<int64_t>(now - r.newest, kWindowSeconds);
  for (int64_t s = now - skipped + 1; s <= now; ++s) r.counts[slot(s)] = 0;
  r.newest = now;
}

void CallRateWindow::record(const std::string& peer) {
  const int64_t now = second_now();
  auto [it, fresh] = rings_.try_emplace(peer);
  if (fresh) it->second.newest = now;
  advance(it->second, now);
  ++it->second.counts[slot(now)];
}

uint64_t CallRateWindow::calls_in_window(const std::string& peer) const {
  auto it = rings_.find(peer);
  if (it == rings_.end()) return 0;
  // Read without moving the ring: only the buckets of seconds still inside
  // the window count.
  const Ring& r = it->second;
  const int64_t now = second_now();
  uint64_t n = 0;
  for (int64_t s = std::max(r.newest - kWindowSeconds + 1, now - kWindowSeconds + 1); s <= r.newest;
       ++s)
    n += r.counts[slot(s)];
  return n;
}

}  // namespace sbc::controlplane
