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
  // The RTP payload type this side's SDP gave telephone-event (RFC 4733
  // DTMF); 0: none. When both sides have one and they differ, the relay
  // renumbers the events it carries between them (docs/b2bua.md "DTMF").
  uint8_t telephone_event_pt = 0;
};

// One m= line anchored on both sides. Without rtcp-mux each side has an RTCP
// pinhole on the RTP port + 1, relayed to the remote's RTP port + 1.
struct MediaStreamSpec {
  MediaSide a;
  MediaSide b;
  bool rtcp_mux = false;
  // Media policing (docs/protection.md): what each side may send into its
  // RTP pinhole, in packets per second and a burst, derived by the control
  // plane from the negotiated codec and ptime with headroom (RTCP included
  // when multiplexed). 0: not policed. RTCP pinholes are not policed.
  uint32_t packet_rate = 0;
  uint32_t packet_burst = 0;
  // And in bytes per second at the IP layer (what the stream counters
  // count) with a burst in bytes, checked after the packet rate. 0: not
  // policed.
  uint32_t byte_rate = 0;
  uint32_t byte_burst = 0;
};

// A packet-rate budget for one direction of an audio stream: one packet per
// ptime, doubled for headroom (clock drift, RTCP under rtcp-mux, DTMF
// events), plus a burst of a quarter second of packets (jitter buffers
// flushing after a network stall). ptime 0: 20 ms.
inline void set_audio_budget(MediaStreamSpec& s, unsigned ptime_ms) {
  if (ptime_ms == 0) ptime_ms = 20;
  s.packet_rate = 2 * ((1000 + ptime_ms - 1) / ptime_ms);
  s.packet_burst = s.packet_rate / 4 + 8;
}

// The bandwidth budget that goes with it, from the codec's payload bitrate
// (bits/s, controlplane/media_budget.h) and the same packet rate: each
// packet carries 40 bytes of IPv4, UDP and RTP headers; doubled for the
// same headroom; a burst of a quarter second plus 8 packets of twice the
// nominal size, so the packet budget's burst also fits in bytes.
inline void set_audio_bandwidth(MediaStreamSpec& s, uint32_t payload_bps, unsigned ptime_ms) {
  if (ptime_ms == 0) ptime_ms = 20;
  constexpr uint64_t kHeaderBytes = 20 + 8 + 12;
  const uint64_t pps = (1000 + ptime_ms - 1) / ptime_ms;
  const uint64_t wire = (uint64_t{payload_bps} + 7) / 8 + kHeaderBytes * pps;
  const uint64_t rate = 2 * wire;
  const uint64_t burst = rate / 4 + 8 * 2 * ((wire + pps - 1) / pps);
  s.byte_rate = static_cast<uint32_t>(rate > UINT32_MAX ? UINT32_MAX : rate);
  s.byte_burst = static_cast<uint32_t>(burst > UINT32_MAX ? UINT32_MAX : burst);
}

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
