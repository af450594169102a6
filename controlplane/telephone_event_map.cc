#include "controlplane/telephone_event_map.h"

#include "policy/codec_filter.h"

namespace sbc::controlplane {
namespace {

// The stream's first telephone-event entry (with opus there may be a second,
// at 48 kHz: one number per stream is mapped, the first offered).
const sip::SdpCodec* first_event(const sip::SdpStream& st) {
  for (const auto& c : st.codecs)
    if (policy::normalize_codec_name(c.name) == "telephone-event") return &c;
  return nullptr;
}

bool is_srtp(const sip::SdpStream& st) {
  return st.has_crypto || st.proto.find("SAVP") != std::string::npos;
}

}  // namespace

std::vector<EventRenumbering> event_renumbering(const sip::SdpSession& offer,
                                                const policy::Peer* answerer) {
  std::vector<EventRenumbering> out(offer.streams().size());
  const uint8_t want = answerer ? answerer->media.telephone_event_pt : 0;
  if (want == 0) return out;
  for (size_t i = 0; i < offer.streams().size(); ++i) {
    const auto& st = offer.streams()[i];
    if (st.port == 0 || is_srtp(st)) continue;
    const sip::SdpCodec* ev = first_event(st);
    if (!ev || ev->payload_type == want) continue;
    out[i] = {ev->payload_type, want};
  }
  return out;
}

Status renumber_events(sip::SdpSession& sdp, const std::vector<EventRenumbering>& r) {
  for (size_t i = 0; i < r.size() && i < sdp.streams().size(); ++i) {
    if (r[i].offerer == r[i].answerer) continue;
    if (auto s = sdp.swap_payload_types(i, r[i].offerer, r[i].answerer); !s) return s;
  }
  return ok_status();
}

void set_event_numbers(dataplane::MediaSessionSpec& spec, const std::vector<EventRenumbering>& r,
                       bool offerer_is_a) {
  for (size_t i = 0; i < spec.streams.size(); ++i) {
    const EventRenumbering e = i < r.size() ? r[i] : EventRenumbering{};
    auto& s = spec.streams[i];
    (offerer_is_a ? s.a : s.b).telephone_event_pt = e.offerer;
    (offerer_is_a ? s.b : s.a).telephone_event_pt = e.answerer;
  }
}

}  // namespace sbc::controlplane
