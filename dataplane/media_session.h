// A call's media as the control plane describes it to the dataplane
// (DESIGN.md "Media session model"): streams, each anchored by one SBC port
// per side, with what is known of each side's remote.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/ip_address.h"

namespace sbc::dataplane {

using MediaSessionId = uint32_t;

// How a pinhole fixes its remote from the first packet it accepts.
enum class LatchMode : uint8_t {
  strict,  // source must equal the SDP address and port; nothing is learned
  ip,      // source IP must equal the SDP address; the port is learned (port NAT)
  any,     // first source wins (endpoints known to be behind NAT)
};

const char* to_string(LatchMode m);

struct MediaSide {
  std::string leg;
  Ipv4Address remote_ip;     // from the SDP; 0.0.0.0 when not known yet
  uint16_t remote_port = 0;  // from the SDP; 0 when not known yet
  LatchMode latch = LatchMode::ip;
};

// One m= line anchored on both sides. Without rtcp-mux each side has an RTCP
// pinhole on the RTP port + 1, relayed to the remote's RTP port + 1.
struct MediaStreamSpec {
  MediaSide a;
  MediaSide b;
  bool rtcp_mux = false;
};

struct MediaSessionSpec {
  std::vector<MediaStreamSpec> streams;
};

// What the control plane writes into the SDP it sends each side.
struct MediaStreamPorts {
  Ipv4Address a_address;  // SBC address on side a's leg
  uint16_t a_port = 0;    // even; RTCP on a_port + 1 unless rtcp_mux
  Ipv4Address b_address;
  uint16_t b_port = 0;
  bool rtcp_mux = false;
};

struct MediaSession {
  MediaSessionId id = 0;
  std::vector<MediaStreamPorts> streams;
};

}  // namespace sbc::dataplane
