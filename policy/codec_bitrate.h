// The most an audio codec's RTP payload carries, in bits per second, for
// sizing a media pinhole's bandwidth budget (docs/protection.md "Media
// policing"). Nominal maxima from each codec's specification; a codec's
// fmtp narrows it where the format has a parameter for it (opus
// maxaveragebitrate, G.722.1 bitrate).
#pragma once

#include <cstdint>
#include <string_view>

namespace sbc::policy {

// A codec not in the table gets this: opus's ceiling, the largest of the
// narrow- and wideband voice codecs, so an unknown codec is never starved;
// the budget still bounds what a pinhole can be made to carry.
inline constexpr uint32_t kUnknownCodecBitrate = 512'000;

// name: the rtpmap encoding name in any case; clock_rate: the rtpmap clock;
// params: the rtpmap channels ("" = 1); fmtp: the a=fmtp value for this
// payload type. telephone-event and CN return 0 (a few bytes a packet: the
// budget's headroom covers them).
uint32_t codec_payload_bitrate(std::string_view name, uint32_t clock_rate, std::string_view params,
                               std::string_view fmtp);

}  // namespace sbc::policy
