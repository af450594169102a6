#include "controlplane/admin_peers.h"

#include <cstdio>

#include "controlplane/json_writer.h"

namespace sbc::controlplane {
namespace {

// REGISTRATION and LAST FAILURE last: the columns of varying width.
constexpr const char* kRowFormat = "%-18s %-6s %-8s %-22s %-10s %-10s %-12s %-9s %-11s %-24s %s\n";

double cps_now(const PeerView& p) {
  return static_cast<double>(p.calls_in_window) / (p.window_seconds > 0 ? p.window_seconds : 1);
}

std::string cps_text(const PeerView& p) {
  char buf[48];
  if (p.cps_max > 0)
    std::snprintf(buf, sizeof buf, "%.1f/%g", cps_now(p), p.cps_max);
  else
    std::snprintf(buf, sizeof buf, "%.1f/-", cps_now(p));
  return buf;
}

std::string failure_text(const PeerView& p, std::chrono::system_clock::time_point now) {
  if (!p.last_failure) return "-";
  const PeerFailure& f = *p.last_failure;
  return std::to_string(f.status) + (f.reason.empty() ? "" : " " + f.reason) + ", " + f.direction +
         ", " + ago_text(now - f.at) + " ago";
}

}  // namespace

std::string ago_text(std::chrono::system_clock::duration d) {
  const auto s = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(d).count());
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

admin::Reply peers_reply(const std::vector<PeerView>& peers, bool json,
                         std::chrono::system_clock::time_point now) {
  std::string text;
  char line[640];
  std::snprintf(line, sizeof line, kRowFormat, "PEER", "KIND", "LEG", "ADDRESS", "DNS", "HEALTH",
                "RTT", "CHANNELS", "CPS", "REGISTRATION", "LAST FAILURE");
  text += line;
  JsonWriter w;
  w.begin_array();
  for (const auto& p : peers) {
    std::string rtt =
        p.probe_rtt ? std::to_string(p.probe_rtt->count() / 1000.0).substr(0, 6) + "ms" : "-";
    std::string channels = std::to_string(p.channels_in_use) + "/" +
                           (p.channels_max ? std::to_string(p.channels_max) : std::string("-"));
    std::snprintf(line, sizeof line, kRowFormat, p.name.c_str(), p.kind.c_str(), p.leg.c_str(),
                  p.address.empty() ? "-" : p.address.c_str(), p.dns_state.c_str(),
                  p.health.c_str(), rtt.c_str(), channels.c_str(), cps_text(p).c_str(),
                  p.registration.c_str(), failure_text(p, now).c_str());
    text += line;

    w.begin_object();
    w.key("name").value(p.name);
    w.key("kind").value(p.kind);
    w.key("leg").value(p.leg);
    w.key("address").value(p.address);
    for (const auto& d : p.dns) {
      w.key(d.key).begin_object();
      w.key("name").value(d.name);
      w.key("state").value(d.state);
      w.key("addresses").begin_array();
      for (const auto& a : d.addresses) w.value(a);
      w.end_array();
      if (d.status) {
        w.key("srv").value(d.status->srv);
        w.key("error").value(d.status->error);
        w.key("ttl_seconds").value(d.status->ttl_seconds);
        w.key("next_lookup_in_seconds").value(d.status->next_lookup_in_seconds);
        w.key("lookups_ok").value(d.status->lookups_ok);
        w.key("lookups_failed").value(d.status->lookups_failed);
      }
      w.end_object();
    }
    w.key("health").value(p.health);
    if (p.probe_rtt)
      w.key("probe_rtt_seconds").value(std::chrono::duration<double>(*p.probe_rtt).count());
    if (p.probe_failures) w.key("probe_failures").value(*p.probe_failures);
    w.key("registration").value(p.registration);
    if (p.outbound) {
      w.key("outbound_registration").begin_object();
      w.key("state").value(to_string(p.outbound->state));
      w.key("last_status").value(static_cast<uint64_t>(p.outbound->last_status));
      w.key("failures").value(static_cast<uint64_t>(p.outbound->failures));
      w.key("granted_seconds").value(static_cast<uint64_t>(p.outbound->granted.count()));
      w.key("aor").value(p.outbound->aor);
      w.end_object();
    }
    w.key("channels_max").value(static_cast<uint64_t>(p.channels_max));
    w.key("channels_in_use").value(p.channels_in_use);
    w.key("cps").begin_object();
    w.key("now").value(cps_now(p));
    w.key("calls_in_window").value(p.calls_in_window);
    w.key("window_seconds").value(p.window_seconds);
    w.key("max");
    if (p.cps_max > 0)
      w.value(p.cps_max);
    else
      w.null();
    w.end_object();
    w.key("last_failure");
    if (p.last_failure) {
      const PeerFailure& f = *p.last_failure;
      w.begin_object();
      w.key("status").value(f.status);
      w.key("reason").value(f.reason);
      w.key("direction").value(f.direction);
      w.key("at_unix_seconds")
          .value(std::chrono::duration<double>(f.at.time_since_epoch()).count());
      w.key("seconds_ago").value(std::chrono::duration<double>(now - f.at).count());
      w.end_object();
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  return {true, json ? w.str() + "\n" : text};
}

}  // namespace sbc::controlplane
