// Policy-wide media settings (DESIGN.md "Media session model").
#pragma once

#include "policy/duration.h"
#include "policy/peer.h"

namespace sbc::policy {

struct MediaSettings {
  // No media in this long ends the call on both sides.
  Duration idle_timeout{std::chrono::seconds(60)};
  // Peers that do not set `media.latching` get this.
  LatchingMode default_latching = LatchingMode::strict;
};

}  // namespace sbc::policy
