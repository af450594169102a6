#include "dataplane/media_session_book.h"

#include "dataplane/dataplane_event.h"

namespace sbc::dataplane {

const char* to_string(LatchMode m) {
  switch (m) {
    case LatchMode::strict:
      return "strict";
    case LatchMode::ip:
      return "ip";
    case LatchMode::any:
      return "any";
  }
  return "?";
}

const char* to_string(EventType t) {
  switch (t) {
    case EventType::latched:
      return "latched";
    case EventType::media_idle:
      return "media_idle";
    case EventType::one_way:
      return "one_way";
    case EventType::source_abuse:
      return "source_abuse";
  }
  return "?";
}

MediaSessionBook::MediaSessionBook(std::vector<MediaLeg> legs) : legs_(std::move(legs)) {
  for (const auto& l : legs_) ports_.emplace_back(l.first_port, l.last_port);
}

int MediaSessionBook::leg_index(const std::string& name) const {
  for (size_t i = 0; i < legs_.size(); ++i)
    if (legs_[i].name == name) return static_cast<int>(i);
  return -1;
}

Result<std::vector<MediaSessionBook::Stream>> MediaSessionBook::allocate(
    const std::vector<MediaStreamSpec>& specs) {
  std::vector<Stream> out;
  auto undo = [&] {
    for (const auto& s : out) release(s);
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    Stream s;
    s.spec = specs[i];
    s.a_leg = leg_index(specs[i].a.leg);
    s.b_leg = leg_index(specs[i].b.leg);
    if (s.a_leg < 0 || s.b_leg < 0) {
      undo();
      return make_error("stream " + std::to_string(i) + ": unknown leg '" +
                        (s.a_leg < 0 ? specs[i].a.leg : specs[i].b.leg) + "'");
    }
    auto a = ports_[s.a_leg].allocate();
    if (!a) {
      undo();
      return make_error("leg " + legs_[s.a_leg].name + ": " + a.error().message);
    }
    auto b = ports_[s.b_leg].allocate();
    if (!b) {
      ports_[s.a_leg].release(*a);
      undo();
      return make_error("leg " + legs_[s.b_leg].name + ": " + b.error().message);
    }
    s.ports = {legs_[s.a_leg].address, *a, legs_[s.b_leg].address, *b, specs[i].rtcp_mux};
    out.push_back(s);
  }
  return out;
}

void MediaSessionBook::release(const Stream& s) {
  ports_[s.a_leg].release(s.ports.a_port);
  ports_[s.b_leg].release(s.ports.b_port);
}

MediaSession describe(MediaSessionId id, const std::vector<MediaSessionBook::Stream>& streams) {
  MediaSession m;
  m.id = id;
  for (const auto& s : streams) m.streams.push_back(s.ports);
  return m;
}

}  // namespace sbc::dataplane
