// The one interface through which the control plane touches packets
// (DESIGN.md "Interfaces between the parts"). Implemented by DpdkDataplane
// (dpdk_dataplane.h) and by FakeDataplane (fake_dataplane.h) for control-plane
// tests with no EAL. All calls come from the control thread.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "common/result.h"
#include "dataplane/dataplane_event.h"
#include "dataplane/dataplane_stats.h"
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

  virtual DataplaneStats stats() const = 0;
  virtual std::optional<MediaStreamStats> stream_stats(MediaSessionId id,
                                                       uint16_t stream) const = 0;
};

}  // namespace sbc::dataplane
