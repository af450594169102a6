// When a published next-hop MAC stops being true. The kernel behind the
// exception TAPs is the authority on neighbours: it answers ARP, hears
// gratuitous ARP and re-probes stale entries, but media never passes through
// it, so its entries can change or vanish while the dataplane still relays to
// the old MAC. Each housekeeping run compares what the dataplane publishes
// with the kernel's complete entries: a changed MAC is republished, an entry
// the kernel no longer holds (or never held: MACs learned from latched
// frames) makes the kernel re-resolve it, and one left unconfirmed past the
// timeout is removed, so the relay counts no_neighbour rather than sending to
// a host that is gone. Pure logic: the dataplane applies the plan.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

namespace sbc::dataplane {

class NeighbourAging {
 public:
  using Key = uint64_t;  // leg << 32 | IPv4 address in network order (NeighbourTable's)
  using Mac = uint64_t;  // the six bytes in the low bits, as NeighbourTable stores them
  using Clock = std::chrono::steady_clock;

  struct Settings {
    // Unconfirmed this long (the kernel asked to resolve it meanwhile): removed.
    std::chrono::milliseconds unconfirmed_timeout{30000};
    // How often an unconfirmed entry makes the kernel resolve it again.
    std::chrono::milliseconds prompt_interval{5000};
  };

  struct Plan {
    std::vector<std::pair<Key, Mac>> set;  // new or changed MACs
    std::vector<Key> remove;               // unconfirmed past the timeout
    std::vector<Key> prompt;               // ask the kernel to resolve these
    unsigned changed = 0;                  // of `set`, entries whose MAC changed
  };

  explicit NeighbourAging(Settings s) : settings_(s) {}

  // published: the dataplane's entries now; kernel: the kernel's complete
  // entries on legs with a TAP; kernel_legs[leg]: whether a leg has a TAP
  // (entries elsewhere are never aged: nothing could confirm them).
  Plan refresh(Clock::time_point now, const std::map<Key, Mac>& published,
               const std::map<Key, Mac>& kernel, const std::vector<bool>& kernel_legs);

  size_t tracked() const { return unconfirmed_.size(); }

 private:
  struct Unconfirmed {
    Clock::time_point since;
    Clock::time_point last_prompt;
  };
  Settings settings_;
  std::unordered_map<Key, Unconfirmed> unconfirmed_;
};

}  // namespace sbc::dataplane
