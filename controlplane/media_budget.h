// The dataplane budgets of one anchored stream, from its SDP (docs/
// protection.md "Media policing"): a packet rate from the ptime and a
// bandwidth from the largest codec offered, narrowed by b=TIAS / b=AS.
#pragma once

#include <cstdint>

#include "dataplane/media_session.h"
#include "sip/sdp_session.h"

namespace sbc::controlplane {

// A b= line never narrows the budget below this payload rate: less than the
// smallest common voice codec (G.729) cannot describe what the stream will
// carry, and a budget under the codec would cut every call.
inline constexpr uint32_t kMinCappedBitrate = 8'000;

// The most the stream's payload may carry, bits/s: the largest of its codecs
// (either side may send any codec left in the answer, and the offer is the
// larger set), or kUnknownCodecBitrate with none, then capped by b=TIAS
// (payload) and b=AS (with 40 bytes of headers per packet at `ptime_ms`).
uint32_t stream_payload_bitrate(const sip::SdpStream& st, unsigned ptime_ms);

// Sets both budgets of an audio stream; other media (video, T.38) are not
// policed. The packet rate never assumes fewer than 50 packets/s (ptime 20),
// because the answerer may packetise faster than the offer asked.
void set_media_budget(dataplane::MediaStreamSpec& m, const sip::SdpStream& st);

}  // namespace sbc::controlplane
