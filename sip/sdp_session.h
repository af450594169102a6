// An SDP body as the B2BUA sees it: parsed with Sofia's SDP parser, read as
// plain structs, rewritten for media anchoring and topology hiding, printed.
// The rewrite never lets an address of one side reach the other: origin,
// connection lines, RTCP attributes and ICE candidates are all replaced or
// removed (ICE is stripped because the SBC anchors media itself).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

struct sdp_parser_s;
struct sdp_session_s;
struct su_home_s;

namespace sbc::sip {

enum class MediaDirection { inactive, sendonly, recvonly, sendrecv };
const char* to_string(MediaDirection d);

struct SdpCodec {
  uint8_t payload_type = 0;
  std::string name;  // "PCMU", "telephone-event"
  uint32_t clock_rate = 0;
  std::string params;  // channels, if given
  std::string fmtp;
  friend bool operator==(const SdpCodec&, const SdpCodec&) = default;
};

struct SdpStream {
  std::string media;                   // "audio", "video", "image", ...
  std::string proto;                   // "RTP/AVP", "RTP/SAVP", "udptl", ...
  std::optional<Ipv4Address> address;  // media-level c= or else session-level c=
  uint16_t port = 0;                   // 0: rejected stream
  uint16_t rtcp_port = 0;              // a=rtcp, else port + 1 (RFC 3605); port with rtcp-mux
  bool rtcp_mux = false;
  MediaDirection direction = MediaDirection::sendrecv;
  std::vector<SdpCodec> codecs;  // in the offerer's preference order
  bool has_crypto = false;       // a=crypto present (SRTP relayed untouched for now)
  unsigned ptime_ms = 0;         // a=ptime (media or session level); 0: absent
  // Bandwidth lines (media level, or else session level); 0: absent.
  uint32_t bandwidth_as_kbps = 0;   // b=AS, kbit/s with IP/UDP/RTP headers
  uint32_t bandwidth_tias_bps = 0;  // b=TIAS (RFC 3890), bit/s of payload
};

class SdpSession {
 public:
  // Bodies larger than this are refused (a B2BUA has no use for them and a
  // flood of huge bodies must not cost parse time).
  static constexpr size_t kMaxBytes = 32 * 1024;

  static Result<SdpSession> parse(std::string_view text);
  SdpSession(SdpSession&& o) noexcept;
  SdpSession& operator=(SdpSession&& o) noexcept;
  ~SdpSession();

  const std::vector<SdpStream>& streams() const { return streams_; }

  // Replaces o= (username, session id and version, address) with the SBC's.
  void set_origin(std::string_view username, uint64_t session_id, uint64_t version,
                  Ipv4Address address);
  // Points stream i at the SBC's anchor (address, RTP and RTCP ports); also
  // sets the session-level c= so no address of the other side survives.
  Status set_endpoint(size_t i, Ipv4Address address, uint16_t rtp_port, uint16_t rtcp_port);
  void set_direction(size_t i, MediaDirection d);
  // Keeps only these payload types, in this order. An empty list is an
  // error: the caller rejects the stream or answers 488.
  Status keep_codecs(size_t i, const std::vector<uint8_t>& payload_types);
  // Exchanges two payload type numbers in stream i (m= format list, rtpmap
  // and fmtp lines): what was `p` is numbered `q` and what was `q` is `p`.
  // Used to renumber telephone-event toward a peer that insists on one
  // number; exchanging (rather than moving) keeps a payload that already had
  // that number distinct, and applying it twice restores the original.
  Status swap_payload_types(size_t i, uint8_t p, uint8_t q);
  // Port 0: the stream is declined (RFC 3264 section 6).
  void reject(size_t i);
  // Removes ICE attributes (candidates carry addresses; the SBC anchors media).
  void strip_ice();

  Result<std::string> print() const;

  // The b=AS / b=TIAS lines of one level (session or one m= section).
  struct Bandwidth {
    uint32_t as_kbps = 0;
    uint32_t tias_bps = 0;
  };

 private:
  SdpSession() = default;
  void refresh();  // streams_ from the Sofia structures
  su_home_s* home_ = nullptr;
  sdp_session_s* sdp_ = nullptr;
  std::vector<SdpStream> streams_;
  std::vector<Bandwidth> bandwidth_{1};  // [0] session level, [1 + i] stream i
};

}  // namespace sbc::sip
