// Which codecs of an SDP offer the SBC passes on, and in what order, given
// what the calling and the called peer allow (DESIGN.md "Peers").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::policy {

struct OfferedCodec {
  std::string name;  // encoding name as in a=rtpmap, any case ("PCMU", "telephone-event")
  uint32_t clock_rate = 8000;
  int payload_type = 0;
  friend bool operator==(const OfferedCodec&, const OfferedCodec&) = default;
};

// Keeps the offered codecs both peers allow (an empty list allows any), in
// the callee's preference order, then the caller's, then the offer's.
// telephone-event (RFC 4733 DTMF) and comfort noise are not media codecs:
// they always survive and go last, in offer order. If no media codec
// survives, the result is empty (the caller answers 488), even when DTMF
// entries were offered.
std::vector<OfferedCodec> filter_codecs(const std::vector<OfferedCodec>& offer,
                                        const std::vector<std::string>& caller_allowed,
                                        const std::vector<std::string>& callee_allowed);

// The lower-case name used in policies ("PCMU" -> "pcmu").
std::string normalize_codec_name(std::string_view name);
bool is_signalling_codec(std::string_view normalized_name);  // telephone-event, cn
bool is_known_codec(std::string_view normalized_name);

}  // namespace sbc::policy
