// The `timers` and `media` sections: scalars with production defaults.
#include "policy/section_readers.h"

namespace sbc::policy {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct TimerField {
  const char* key;
  Duration Timers::*member;
  Duration min, max;
};

// Bounds keep a typo from making the SBC unusable (a T1 of 5 h) while
// letting tests shorten everything.
const TimerField kTimerFields[] = {
    {"t1", &Timers::t1, milliseconds(10), seconds(10)},
    {"t2", &Timers::t2, milliseconds(10), seconds(60)},
    {"t4", &Timers::t4, milliseconds(10), seconds(60)},
    {"timer_b", &Timers::timer_b, milliseconds(100), minutes(10)},
    {"timer_c", &Timers::timer_c, seconds(1), hours(1)},
    {"timer_f", &Timers::timer_f, milliseconds(100), minutes(10)},
    {"failover", &Timers::failover, milliseconds(100), minutes(5)},
    {"session_expires", &Timers::session_expires, seconds(1), hours(24)},
    {"min_se", &Timers::min_se, seconds(1), hours(24)},
    {"registration_min", &Timers::registration_min, seconds(1), hours(24)},
    {"registration_max", &Timers::registration_max, seconds(1), hours(24 * 7)},
    {"registration_default", &Timers::registration_default, seconds(1), hours(24 * 7)},
    {"probe_interval", &Timers::probe_interval, milliseconds(100), hours(1)},
    {"probe_timeout", &Timers::probe_timeout, milliseconds(100), minutes(5)},
    {"nat_keepalive", &Timers::nat_keepalive, seconds(1), hours(1)},
    {"dns_ttl_min", &Timers::dns_ttl_min, seconds(1), hours(1)},
    {"dns_ttl_max", &Timers::dns_ttl_max, seconds(1), hours(24 * 7)},
    {"dns_retry", &Timers::dns_retry, milliseconds(100), hours(1)},
    {"dns_timeout", &Timers::dns_timeout, milliseconds(100), minutes(1)},
};

}  // namespace

void read_timers(YamlReader& r, const YAML::Node& map, Policy& p) {
  if (!map.IsDefined() || map.IsNull()) return;
  if (!r.expect_map(map, "timers",
                    {"t1", "t2", "t4", "timer_b", "timer_c", "timer_f", "failover",
                     "session_expires", "min_se", "registration_min", "registration_max",
                     "registration_default", "probe_interval", "probe_timeout", "nat_keepalive",
                     "dns_ttl_min", "dns_ttl_max", "dns_retry", "dns_timeout"}))
    return;
  Timers& t = p.timers;
  for (const auto& tf : kTimerFields)
    if (auto v = map[tf.key]; v.IsDefined())
      if (auto d = r.duration(v, std::string("timers.") + tf.key, tf.min, tf.max))
        t.*tf.member = *d;
  if (t.t2 < t.t1) r.error(map, "timers.t2", "T2 must not be below T1 (RFC 3261 17.1.2.2)");
  if (t.session_expires < t.min_se)
    r.error(map, "timers.session_expires", "session_expires is below min_se (RFC 4028)");
  if (t.registration_min > t.registration_max)
    r.error(map, "timers.registration_min", "registration_min is above registration_max");
  if (t.registration_default < t.registration_min || t.registration_default > t.registration_max)
    r.error(map, "timers.registration_default",
            "registration_default is outside [registration_min, registration_max]");
  if (t.dns_ttl_min > t.dns_ttl_max)
    r.error(map, "timers.dns_ttl_min", "dns_ttl_min is above dns_ttl_max");
}

void read_media(YamlReader& r, const YAML::Node& map, Policy& p) {
  if (!map.IsDefined() || map.IsNull()) return;
  if (!r.expect_map(map, "media", {"idle_timeout", "latching"})) return;
  if (auto v = map["idle_timeout"]; v.IsDefined())
    if (auto d = r.duration(v, "media.idle_timeout", seconds(1), hours(24)))
      p.media.idle_timeout = *d;
  if (auto v = map["latching"]; v.IsDefined()) {
    auto l = r.string(v, "media.latching");
    if (l == "off")
      p.media.default_latching = LatchingMode::off;
    else if (l == "strict")
      p.media.default_latching = LatchingMode::strict;
    else if (l == "any")
      p.media.default_latching = LatchingMode::any;
    else if (l)
      r.error(v, "media.latching", "unknown latching mode '" + *l + "' (off, strict or any)");
  }
}

}  // namespace sbc::policy
