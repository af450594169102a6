// What the dataplane tells the control plane, as plain structs carried on a
// ring and drained on the event loop (DESIGN.md "Interfaces between the parts").
#pragma once

#include <array>
#include <cstdint>

#include "common/ip_address.h"
#include "dataplane/media_session.h"

namespace sbc::dataplane {

enum class EventType : uint8_t {
  latched,     // a pinhole fixed its remote from the first accepted packet
  media_idle,  // no packet in either direction for the idle timeout
  one_way,     // one direction flows, `side` has sent nothing for the one-way timeout
  // The police stage dropped packets of source `remote` on `leg` (at most one
  // event per source per ~0.9 s, per worker); `stream` holds its trust class.
  // Not about a session: routed to ProtectionService, never to a call.
  source_abuse,
};

const char* to_string(EventType t);

struct DataplaneEvent {
  EventType type = EventType::latched;
  uint8_t side = 0;  // 0: side a, 1: side b (the side whose pinhole received, or is silent)
  bool rtcp = false;
  uint8_t leg = 0;  // index of the leg the pinhole is on
  uint16_t stream = 0;
  MediaSessionId session = 0;
  Ipv4Address remote;  // latched: the remote's address and port
  uint16_t remote_port = 0;
  std::array<uint8_t, 6> remote_mac{};  // latched: the frame's source MAC (next hop back)
};
static_assert(sizeof(DataplaneEvent) % 4 == 0, "rte_ring elements are multiples of 4 bytes");

}  // namespace sbc::dataplane
