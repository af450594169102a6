#include "dataplane/neighbour_aging.h"

namespace sbc::dataplane {

NeighbourAging::Plan NeighbourAging::refresh(Clock::time_point now,
                                             const std::map<Key, Mac>& published,
                                             const std::map<Key, Mac>& kernel,
                                             const std::vector<bool>& kernel_legs) {
  Plan p;
  for (const auto& [k, mac] : kernel) {
    auto it = published.find(k);
    if (it == published.end()) {
      p.set.emplace_back(k, mac);
    } else if (it->second != mac) {
      p.set.emplace_back(k, mac);
      ++p.changed;
    }
    unconfirmed_.erase(k);
  }
  for (const auto& [k, mac] : published) {
    const uint32_t leg = static_cast<uint32_t>(k >> 32);
    if (leg >= kernel_legs.size() || !kernel_legs[leg] || kernel.count(k)) continue;
    auto [it, fresh] = unconfirmed_.try_emplace(k, Unconfirmed{now, now});
    if (fresh) {
      p.prompt.push_back(k);
    } else if (now - it->second.since >= settings_.unconfirmed_timeout) {
      p.remove.push_back(k);
      unconfirmed_.erase(it);
    } else if (now - it->second.last_prompt >= settings_.prompt_interval) {
      it->second.last_prompt = now;
      p.prompt.push_back(k);
    }
  }
  // Entries removed from the dataplane by other means are forgotten.
  for (auto it = unconfirmed_.begin(); it != unconfirmed_.end();)
    it = published.count(it->first) ? std::next(it) : unconfirmed_.erase(it);
  return p;
}

}  // namespace sbc::dataplane
