// A Dataplane with no DPDK: it allocates ports like the real one and records
// every call, and tests inject events through it. For control-plane unit
// tests (no EAL, no root).
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/media_session_book.h"
#include "dataplane/source_trust_list.h"

namespace sbc::dataplane {

class FakeDataplane : public Dataplane {
 public:
  struct Call {
    enum class Kind { open, update, close } kind;
    MediaSessionId id = 0;
    MediaSessionSpec spec;
  };

  // record_calls: keep the history calls() returns (tests). sbcd's
  // control-plane-only mode runs for days and turns it off.
  explicit FakeDataplane(std::vector<MediaLeg> legs, bool record_calls = true);
  ~FakeDataplane() override;
  FakeDataplane(const FakeDataplane&) = delete;  // owns an eventfd
  FakeDataplane& operator=(const FakeDataplane&) = delete;

  Result<MediaSession> open_media(const MediaSessionSpec& spec) override;
  Result<MediaSession> update_media(MediaSessionId id, const MediaSessionSpec& spec) override;
  void close_media(MediaSessionId id) override;
  int event_fd() const override { return event_fd_; }
  size_t drain_events(std::vector<DataplaneEvent>& out, size_t max) override;
  void housekeeping() override;
  Status deny(Ipv4Prefix prefix, uint16_t port, std::chrono::milliseconds ttl,
              std::string reason) override;
  bool undeny(Ipv4Prefix prefix, uint16_t port) override;
  std::vector<DenyEntry> deny_entries() const override;
  Status apply_filters(const FilterSet& filters) override;
  Status set_source_trust(Ipv4Address source, std::string_view trust_class,
                          std::chrono::milliseconds ttl) override;
  DataplaneStats stats() const override;
  std::optional<MediaStreamStats> stream_stats(MediaSessionId id, uint16_t stream) const override;

  // Test hooks.
  void inject_event(const DataplaneEvent& e);  // as a worker would; the eventfd turns readable
  const std::vector<Call>& calls() const { return calls_; }
  bool is_open(MediaSessionId id) const { return sessions_.count(id) != 0; }
  size_t open_sessions() const { return sessions_.size(); }
  int housekeeping_runs() const { return housekeeping_runs_; }
  // Moves the fake's clock (deny and trust expiry) forward.
  void advance(std::chrono::milliseconds d) { offset_ += d; }
  const std::optional<FilterSet>& filters() const { return filters_; }
  // The class name a source was given by set_source_trust, empty if none.
  std::string source_trust(Ipv4Address source) const;

 private:
  MediaSessionBook book_;
  std::map<MediaSessionId, std::vector<MediaSessionBook::Stream>> sessions_;
  std::vector<Call> calls_;
  bool record_calls_ = true;
  std::deque<DataplaneEvent> events_;
  int event_fd_ = -1;
  int housekeeping_runs_ = 0;
  uint64_t now() const;
  std::chrono::milliseconds offset_{0};
  DenyList deny_{1'000'000'000};
  SourceTrustList trust_{1'000'000'000};
  std::optional<FilterSet> filters_;
};

}  // namespace sbc::dataplane
