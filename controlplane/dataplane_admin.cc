#include "controlplane/dataplane_admin.h"

#include <cstdio>

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

}  // namespace sbc::controlplane
