#include "controlplane/dataplane_admin.h"

#include <cstdio>

#include "controlplane/json_writer.h"

namespace sbc::controlplane {
namespace {

const char* kUsage =
    "usage: media open A_LEG A_IP:PORT B_LEG B_IP:PORT [--latch strict|ip|any] [--mux]\n"
    "       media update ID A_IP:PORT B_IP:PORT\n"
    "       media close ID | media stats ID | media list\n";

bool parse_endpoint(const std::string& text, dataplane::MediaSide& side) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  auto ip = Ipv4Address::parse(text.substr(0, colon));
  if (!ip) return false;
  char* end = nullptr;
  unsigned long port = std::strtoul(text.c_str() + colon + 1, &end, 10);
  if (*end || port > 65535) return false;
  side.remote_ip = *ip;
  side.remote_port = static_cast<uint16_t>(port);
  return true;
}

bool parse_id(const std::string& text, dataplane::MediaSessionId& id) {
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, 10);
  if (text.empty() || *end) return false;
  id = static_cast<dataplane::MediaSessionId>(v);
  return true;
}

std::string describe(const dataplane::MediaSession& m) {
  std::string out = "session " + std::to_string(m.id) + "\n";
  for (size_t i = 0; i < m.streams.size(); ++i) {
    const auto& s = m.streams[i];
    out += "stream " + std::to_string(i) + " a=" + s.a_address.to_string() + ":" +
           std::to_string(s.a_port) + " b=" + s.b_address.to_string() + ":" +
           std::to_string(s.b_port) + (s.rtcp_mux ? " rtcp-mux" : "") + "\n";
  }
  return out;
}

std::string pinhole_line(const char* name, const dataplane::PinholeStats& p) {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "%-7s packets=%llu bytes=%llu rtp_seq_gaps=%llu latched=%s last_seen=%.1fs\n", name,
                static_cast<unsigned long long>(p.packets),
                static_cast<unsigned long long>(p.bytes),
                static_cast<unsigned long long>(p.rtp_seq_gaps), p.latched ? "yes" : "no",
                p.seconds_since_last);
  return buf;
}

}  // namespace

admin::Reply DataplaneAdmin::media(const std::vector<std::string>& a) {
  if (a.empty()) return {false, kUsage};
  dataplane::MediaSessionId id = 0;
  if (a[0] == "open" && a.size() >= 5) {
    dataplane::MediaStreamSpec s;
    s.a.leg = a[1];
    s.b.leg = a[3];
    if (!parse_endpoint(a[2], s.a) || !parse_endpoint(a[4], s.b))
      return {false, "media open: endpoints are IP:PORT\n"};
    for (size_t i = 5; i < a.size(); ++i) {
      if (a[i] == "--mux") {
        s.rtcp_mux = true;
      } else if (a[i] == "--latch" && i + 1 < a.size()) {
        const std::string& m = a[++i];
        dataplane::LatchMode mode;
        if (m == "strict")
          mode = dataplane::LatchMode::strict;
        else if (m == "ip")
          mode = dataplane::LatchMode::ip;
        else if (m == "any")
          mode = dataplane::LatchMode::any;
        else
          return {false, "media open: --latch is strict, ip or any\n"};
        s.a.latch = s.b.latch = mode;
      } else {
        return {false, "media open: unknown argument '" + a[i] + "'\n"};
      }
    }
    dataplane::MediaSessionSpec spec;
    spec.streams.push_back(s);
    auto m = dp_.open_media(spec);
    if (!m) return {false, "media open: " + m.error().message + "\n"};
    open_[m->id] = spec;
    return {true, describe(*m)};
  }
  if (a[0] == "update" && a.size() == 4 && parse_id(a[1], id)) {
    auto it = open_.find(id);
    if (it == open_.end()) return {false, "media update: no session " + a[1] + "\n"};
    dataplane::MediaSessionSpec spec = it->second;
    if (!parse_endpoint(a[2], spec.streams[0].a) || !parse_endpoint(a[3], spec.streams[0].b))
      return {false, "media update: endpoints are IP:PORT\n"};
    auto m = dp_.update_media(id, spec);
    if (!m) return {false, "media update: " + m.error().message + "\n"};
    it->second = spec;
    return {true, describe(*m)};
  }
  if (a[0] == "close" && a.size() == 2 && parse_id(a[1], id)) {
    if (!open_.erase(id)) return {false, "media close: no session " + a[1] + "\n"};
    dp_.close_media(id);
    return {true, "closed " + a[1] + "\n"};
  }
  if (a[0] == "stats" && a.size() == 2 && parse_id(a[1], id)) {
    auto it = open_.find(id);
    if (it == open_.end()) return {false, "media stats: no session " + a[1] + "\n"};
    std::string out;
    for (uint16_t s = 0; s < it->second.streams.size(); ++s) {
      auto st = dp_.stream_stats(id, s);
      if (!st) continue;
      out += "stream " + std::to_string(s) + "\n";
      out += pinhole_line("a_rtp", st->a_rtp) + pinhole_line("b_rtp", st->b_rtp);
      if (!it->second.streams[s].rtcp_mux)
        out += pinhole_line("a_rtcp", st->a_rtcp) + pinhole_line("b_rtcp", st->b_rtcp);
    }
    return {true, out};
  }
  if (a[0] == "list" && a.size() == 1) {
    std::string out;
    for (const auto& [sid, spec] : open_) {
      const auto& s = spec.streams[0];
      out += std::to_string(sid) + " " + s.a.leg + " " + s.a.remote_ip.to_string() + ":" +
             std::to_string(s.a.remote_port) + " " + s.b.leg + " " + s.b.remote_ip.to_string() +
             ":" + std::to_string(s.b.remote_port) + "\n";
    }
    return {true, out};
  }
  return {false, kUsage};
}

namespace {

void write_legs(JsonWriter& w, const dataplane::DataplaneStats& s) {
  w.key("legs").begin_array();
  for (const auto& l : s.legs) {
    w.begin_object();
    w.key("name").value(l.name);
    w.key("link_up").value(l.link_up);
    w.key("packets_in").value(l.rx_packets);
    w.key("packets_out").value(l.tx_packets);
    w.key("bytes_in").value(l.rx_bytes);
    w.key("bytes_out").value(l.tx_bytes);
    w.key("relayed").value(l.relayed_packets);
    w.key("punted").value(l.punted_packets);
    w.key("from_kernel").value(l.exception_packets);
    uint64_t total = 0;
    w.key("drops").begin_object();
    for (unsigned r = 0; r < dataplane::kDropReasonCount; ++r) {
      w.key(dataplane::kDropReasonNames[r]).value(l.drops[r]);
      total += l.drops[r];
    }
    w.end_object();
    w.key("dropped").value(total);
    w.end_object();
  }
  w.end_array();
}

// Per trust class: the sources given that class one by one (promoted
// phones), and the punted and policed packets of the class over all legs.
struct ClassRow {
  const std::string* name;
  uint64_t sources = 0, punted = 0, policed = 0;
};

std::vector<ClassRow> class_rows(const dataplane::DataplaneStats& s) {
  std::vector<ClassRow> rows;
  for (size_t k = 0; k < s.trust_classes.size() && k < dataplane::kMaxTrustClasses; ++k) {
    ClassRow r{&s.trust_classes[k], s.class_sources[k]};
    for (const auto& l : s.legs) {
      r.punted += l.class_punted[k];
      r.policed += l.class_policed[k];
    }
    rows.push_back(r);
  }
  return rows;
}

// "nic": the NIC holds them; "software": refused (reason) or not offered yet.
const char* offload_path(const dataplane::OffloadState& o) {
  return o.offloaded ? "nic" : "software";
}

std::string offload_reason(const dataplane::OffloadState& o) {
  if (o.offloaded) return "";
  return o.tried ? o.reason : "not tried yet (no rule of this kind so far)";
}

}  // namespace

admin::Reply stats_command(const dataplane::DataplaneStats* stats,
                           const std::vector<std::string>& args) {
  bool json = false;
  for (const auto& a : args) {
    if (a == "--json")
      json = true;
    else
      return {false, "stats: unknown argument '" + a + "' (usage: stats [--json])\n"};
  }
  if (json) {
    JsonWriter w;
    w.begin_object();
    w.key("dataplane").value(stats ? "dpdk" : "off");
    if (stats) {
      w.key("pinholes").value(stats->pinholes);
      w.key("events_lost").value(stats->events_lost);
      w.key("pinholes_installed").value(stats->pinholes_installed);
      w.key("pinholes_removed").value(stats->pinholes_removed);
      w.key("deny_entries").value(stats->deny_entries);
      w.key("trust_classes").begin_array();
      for (const auto& c : class_rows(*stats)) {
        w.begin_object();
        w.key("class").value(*c.name);
        w.key("sources").value(c.sources);
        w.key("punted").value(c.punted);
        w.key("policed").value(c.policed);
        w.end_object();
      }
      w.end_array();
      w.key("offload").begin_array();
      for (const auto& o : stats->offload) {
        w.begin_object();
        w.key("leg").value(o.leg);
        w.key("rule_kind").value(o.rule_kind);
        w.key("path").value(offload_path(o));
        w.key("tried").value(o.tried);
        w.key("rules").value(o.rules);
        w.key("cap_hits").value(o.cap_hits);
        w.key("reason").value(offload_reason(o));
        w.end_object();
      }
      w.end_array();
      write_legs(w, *stats);
    } else {
      w.key("legs").begin_array().end_array();
    }
    w.end_object();
    return {true, w.str() + "\n"};
  }
  if (!stats) return {true, "no dataplane: sbcd runs in control-plane-only mode (no packets)\n"};
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-10s %-5s %14s %14s %14s %14s %14s %14s\n", "LEG", "LINK",
                "IN", "OUT", "RELAYED", "PUNTED", "FROM_KERNEL", "DROPPED");
  out += line;
  std::string drops;
  for (const auto& l : stats->legs) {
    uint64_t total = 0;
    for (unsigned r = 0; r < dataplane::kDropReasonCount; ++r) {
      total += l.drops[r];
      if (!l.drops[r]) continue;
      std::snprintf(line, sizeof line, "%-10s %-22s %14llu  %s\n", l.name.c_str(),
                    dataplane::kDropReasonNames[r], static_cast<unsigned long long>(l.drops[r]),
                    dataplane::kDropReasonHelp[r]);
      drops += line;
    }
    std::snprintf(line, sizeof line, "%-10s %-5s %14llu %14llu %14llu %14llu %14llu %14llu\n",
                  l.name.c_str(), l.link_up ? "up" : "down",
                  static_cast<unsigned long long>(l.rx_packets),
                  static_cast<unsigned long long>(l.tx_packets),
                  static_cast<unsigned long long>(l.relayed_packets),
                  static_cast<unsigned long long>(l.punted_packets),
                  static_cast<unsigned long long>(l.exception_packets),
                  static_cast<unsigned long long>(total));
    out += line;
  }
  out += "\n";
  if (drops.empty()) {
    out += "no drops\n";
  } else {
    std::snprintf(line, sizeof line, "%-10s %-22s %14s  %s\n", "LEG", "DROP REASON", "PACKETS",
                  "MEANING");
    out += line + drops;
  }
  out += "\n";
  std::snprintf(line, sizeof line, "pinholes %llu (installed %llu, removed %llu since start)\n",
                static_cast<unsigned long long>(stats->pinholes),
                static_cast<unsigned long long>(stats->pinholes_installed),
                static_cast<unsigned long long>(stats->pinholes_removed));
  out += line;
  if (stats->trust_classes.empty()) {
    out += "no filters applied (no trust classes)\n";
  } else {
    std::snprintf(line, sizeof line, "%-14s %10s %14s %14s\n", "TRUST CLASS", "SOURCES", "PUNTED",
                  "POLICED");
    out += line;
    for (const auto& c : class_rows(*stats)) {
      std::snprintf(line, sizeof line, "%-14s %10llu %14llu %14llu\n", c.name->c_str(),
                    static_cast<unsigned long long>(c.sources),
                    static_cast<unsigned long long>(c.punted),
                    static_cast<unsigned long long>(c.policed));
      out += line;
    }
    std::snprintf(line, sizeof line, "%-14s %10llu  (deny list entries: sbcctl bans)\n", "denied",
                  static_cast<unsigned long long>(stats->deny_entries));
    out += line;
  }
  if (!stats->offload.empty()) {
    out += "\n";
    std::snprintf(line, sizeof line, "%-10s %-8s %-9s %7s %9s  %s\n", "OFFLOAD", "KIND", "PATH",
                  "RULES", "CAP_HITS", "REASON");
    out += line;
    for (const auto& o : stats->offload) {
      std::snprintf(line, sizeof line, "%-10s %-8s %-9s %7llu %9llu  ", o.leg.c_str(),
                    o.rule_kind.c_str(), offload_path(o), static_cast<unsigned long long>(o.rules),
                    static_cast<unsigned long long>(o.cap_hits));
      out += line + offload_reason(o) + "\n";
    }
  }
  return {true, out};
}

std::string dataplane_json(const std::vector<PortView>& ports, const dataplane::DataplaneStats& s,
                           size_t neighbours) {
  JsonWriter w;
  w.begin_object();
  w.key("workers").value(s.workers);
  w.key("pinholes").value(s.pinholes);
  w.key("pinhole_capacity").value(s.pinhole_capacity);
  w.key("neighbours").value(static_cast<uint64_t>(neighbours));
  w.key("neighbour_changes").value(s.neighbour_changes);
  w.key("neighbours_expired").value(s.neighbours_expired);
  w.key("ports").begin_array();
  for (const auto& p : ports) {
    w.begin_object();
    w.key("leg").value(p.leg);
    w.key("driver").value(p.driver);
    w.key("rx_queues").value(p.rx_queues);
    w.key("rss").value(p.rss);
    w.key("tap").value(p.tap);
    if (!p.fallback.empty()) w.key("note").value(p.fallback);
    if (!p.warning.empty()) w.key("warning").value(p.warning);
    w.end_object();
  }
  w.end_array();
  write_legs(w, s);
  w.end_object();
  return w.str() + "\n";
}

}  // namespace sbc::controlplane
