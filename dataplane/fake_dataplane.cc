#include "dataplane/fake_dataplane.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

namespace sbc::dataplane {

FakeDataplane::FakeDataplane(std::vector<MediaLeg> legs, bool record_calls)
    : book_(std::move(legs)),
      record_calls_(record_calls),
      event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

FakeDataplane::~FakeDataplane() {
  if (event_fd_ >= 0) close(event_fd_);
}

Result<MediaSession> FakeDataplane::open_media(const MediaSessionSpec& spec) {
  auto streams = book_.allocate(spec.streams);
  if (!streams) return streams.error();
  MediaSessionId id = book_.next_id();
  sessions_[id] = *streams;
  if (record_calls_) calls_.push_back({Call::Kind::open, id, spec});
  return describe(id, *streams);
}

Result<MediaSession> FakeDataplane::update_media(MediaSessionId id, const MediaSessionSpec& spec) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return make_error("no media session " + std::to_string(id));
  auto& cur = it->second;
  for (size_t i = 0; i < cur.size() && i < spec.streams.size(); ++i)
    if (spec.streams[i].a.leg != cur[i].spec.a.leg || spec.streams[i].b.leg != cur[i].spec.b.leg)
      return make_error("stream " + std::to_string(i) + ": legs cannot change");
  std::vector<MediaStreamSpec> added(
      spec.streams.begin() + static_cast<long>(std::min(cur.size(), spec.streams.size())),
      spec.streams.end());
  auto fresh = book_.allocate(added);
  if (!fresh) return fresh.error();
  while (cur.size() > spec.streams.size()) {
    book_.release(cur.back());
    cur.pop_back();
  }
  for (size_t i = 0; i < cur.size(); ++i) cur[i].spec = spec.streams[i];
  for (auto& s : *fresh) cur.push_back(s);
  if (record_calls_) calls_.push_back({Call::Kind::update, id, spec});
  return describe(id, cur);
}

void FakeDataplane::close_media(MediaSessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  for (const auto& s : it->second) book_.release(s);
  sessions_.erase(it);
  if (record_calls_) calls_.push_back({Call::Kind::close, id, {}});
}

size_t FakeDataplane::drain_events(std::vector<DataplaneEvent>& out, size_t max) {
  uint64_t v;
  (void)!read(event_fd_, &v, sizeof v);
  size_t n = 0;
  while (n < max && !events_.empty()) {
    out.push_back(events_.front());
    events_.pop_front();
    ++n;
  }
  if (!events_.empty()) {
    uint64_t one = 1;
    (void)!write(event_fd_, &one, sizeof one);
  }
  return n;
}

void FakeDataplane::inject_event(const DataplaneEvent& e) {
  events_.push_back(e);
  uint64_t one = 1;
  (void)!write(event_fd_, &one, sizeof one);
}

DataplaneStats FakeDataplane::stats() const {
  DataplaneStats s;
  for (const auto& l : book_.legs()) {
    LegStats ls;
    ls.name = l.name;
    s.legs.push_back(ls);
  }
  for (const auto& [id, streams] : sessions_)
    for (const auto& st : streams) s.pinholes += st.spec.rtcp_mux ? 2 : 4;
  if (filters_)
    for (const auto& c : filters_->classes) s.trust_classes.push_back(c.name);
  s.deny_entries = deny_.list(now()).size();
  s.trust_overrides = trust_.size();
  s.class_sources = trust_.per_class();
  return s;
}

uint64_t FakeDataplane::now() const {
  auto t = std::chrono::steady_clock::now().time_since_epoch() + offset_;
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t).count());
}

void FakeDataplane::housekeeping() {
  ++housekeeping_runs_;
  deny_.expire(now());
  trust_.expire(now());
}

Status FakeDataplane::deny(Ipv4Prefix prefix, uint16_t port, std::chrono::milliseconds ttl,
                           std::string reason) {
  return deny_.add(prefix, port, now(), ttl, std::move(reason));
}

bool FakeDataplane::undeny(Ipv4Prefix prefix, uint16_t port) {
  return deny_.remove(prefix, port);
}

std::vector<DenyEntry> FakeDataplane::deny_entries() const {
  return deny_.list(now());
}

Status FakeDataplane::apply_filters(const FilterSet& filters) {
  if (filters.classes.empty() || filters.classes.size() > kMaxTrustClasses)
    return make_error("filters: 1 to " + std::to_string(kMaxTrustClasses) + " trust classes");
  filters_ = filters;
  return ok_status();
}

Status FakeDataplane::set_source_trust(Ipv4Address source, std::string_view trust_class,
                                       std::chrono::milliseconds ttl) {
  if (trust_class.empty()) {
    trust_.clear(source);
    return ok_status();
  }
  if (!filters_) return make_error("no filters applied");
  int c = filters_->find_class(trust_class);
  if (c < 0) return make_error("unknown trust class '" + std::string(trust_class) + "'");
  trust_.set(source, static_cast<uint8_t>(c), now(), ttl);
  return ok_status();
}

std::string FakeDataplane::source_trust(Ipv4Address source) const {
  int c = trust_.find(source);
  return c < 0 || !filters_ ? std::string() : filters_->classes[static_cast<size_t>(c)].name;
}

std::optional<MediaStreamStats> FakeDataplane::stream_stats(MediaSessionId id,
                                                            uint16_t stream) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || stream >= it->second.size()) return std::nullopt;
  return MediaStreamStats{};
}

}  // namespace sbc::dataplane
