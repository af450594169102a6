#include "controlplane/media_budget.h"

#include <algorithm>

#include "policy/codec_bitrate.h"

namespace sbc::controlplane {

uint32_t stream_payload_bitrate(const sip::SdpStream& st, unsigned ptime_ms) {
  uint32_t bps = 0;
  bool media_codec = false;
  for (const auto& c : st.codecs) {
    const uint32_t v = policy::codec_payload_bitrate(c.name, c.clock_rate, c.params, c.fmtp);
    if (v == 0) continue;  // telephone-event, CN
    media_codec = true;
    bps = std::max(bps, v);
  }
  if (!media_codec) bps = policy::kUnknownCodecBitrate;
  uint64_t cap = UINT64_MAX;
  if (st.bandwidth_tias_bps) cap = st.bandwidth_tias_bps;
  if (st.bandwidth_as_kbps) {
    if (ptime_ms == 0) ptime_ms = 20;
    const uint64_t headers = uint64_t{40 * 8} * ((1000 + ptime_ms - 1) / ptime_ms);
    const uint64_t total = uint64_t{st.bandwidth_as_kbps} * 1000;
    cap = std::min(cap, total > headers ? total - headers : 0);
  }
  if (cap < bps) bps = static_cast<uint32_t>(std::max<uint64_t>(cap, kMinCappedBitrate));
  return bps;
}

void set_media_budget(dataplane::MediaStreamSpec& m, const sip::SdpStream& st) {
  if (st.media != "audio") {
    m.packet_rate = m.packet_burst = m.byte_rate = m.byte_burst = 0;
    return;
  }
  const unsigned ptime = st.ptime_ms == 0 ? 20 : std::min(st.ptime_ms, 20u);
  dataplane::set_audio_budget(m, ptime);
  dataplane::set_audio_bandwidth(m, stream_payload_bitrate(st, ptime), ptime);
}

}  // namespace sbc::controlplane
