// The one interface through which the control plane touches packets
// (DESIGN.md "Interfaces between the parts"). Implemented by DpdkDataplane
// (dpdk_dataplane.h) and by FakeDataplane (fake_dataplane.h) for control-plane
// tests with no EAL. All calls come from the control thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dataplane/dataplane_event.h"
#include "dataplane/dataplane_stats.h"
#include "dataplane/deny_list.h"
#include "dataplane/filter_set.h"
#include "dataplane/media_session.h"

namespace sbc::dataplane {

class Dataplane {
 public:
  virtual ~Dataplane() = default;

  // Allocates a port pair per stream and side from the leg's media range and
  // installs the pinholes. All or nothing.
  virtual Result<MediaSession> open_media(const MediaSessionSpec& spec) = 0;
  // Re-INVITE, hold, a new SDP answer: existing streams keep their ports and
  // take the new remotes (a changed remote clears the latch); added streams get
  // ports; streams beyond the new count are closed. Legs of existing streams
  // cannot change.
  virtual Result<MediaSession> update_media(MediaSessionId id, const MediaSessionSpec& spec) = 0;
  virtual void close_media(MediaSessionId id) = 0;

  // Readable (an eventfd) while events wait; register it in the event loop.
  virtual int event_fd() const = 0;
  // Moves up to `max` waiting events to `out`; returns how many.
  virtual size_t drain_events(std::vector<DataplaneEvent>& out, size_t max) = 0;

  // Periodic control-thread work: neighbour table refresh, idle and one-way
  // detection, reclaiming pinholes after their grace period.
  virtual void housekeeping() = 0;

  // ---- protection (docs/protection.md) ----
  // Adds or replaces a deny list entry: every frame from `prefix` (or, with
  // a port, from that one address and source port) is dropped before any
  // other stage. ttl 0: until removed. Takes effect at the workers' next
  // burst; the list is rebuilt aside and published with RCU.
  virtual Status deny(Ipv4Prefix prefix, uint16_t port, std::chrono::milliseconds ttl,
                      std::string reason) = 0;
  // False when there was no such entry.
  virtual bool undeny(Ipv4Prefix prefix, uint16_t port) = 0;
  // Live entries, with the time each has left.
  virtual std::vector<DenyEntry> deny_entries() const = 0;
  // Builds the ACL and the trust classes' policers aside and swaps them in;
  // the old ones are freed after an RCU grace period. On error the filters
  // in force stay.
  virtual Status apply_filters(const FilterSet& filters) = 0;
  // Gives one source a trust class of its own (promotion of a phone that
  // authenticated), for `ttl` (0: until cleared); an empty class clears it.
  virtual Status set_source_trust(Ipv4Address source, std::string_view trust_class,
                                  std::chrono::milliseconds ttl) = 0;

  virtual DataplaneStats stats() const = 0;
  virtual std::optional<MediaStreamStats> stream_stats(MediaSessionId id,
                                                       uint16_t stream) const = 0;
};

}  // namespace sbc::dataplane
