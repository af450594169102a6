// The `interfaces` section: the legs of the SBC.
#include <unistd.h>

#include <filesystem>
#include <set>

#include "policy/section_readers.h"

namespace sbc::policy {
namespace {

// A TLS listener's certificate directory as Sofia reads it (agent.pem, or
// tls.pem, holding the key and the chain; cafile.pem for verification):
// checked here so a wrong path is a policy error at load, not an sbcd that
// cannot listen or, worse, a listener Sofia cannot complete a handshake on.
void check_certificates(YamlReader& r, const YAML::Node& n, const std::string& field,
                        const SipListener& l) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(l.certificates, ec)) {
    r.error(n, field, "certificate directory '" + l.certificates + "' does not exist");
    return;
  }
  auto readable = [&](const char* name) {
    return ::access((fs::path(l.certificates) / name).c_str(), R_OK) == 0;
  };
  if (!readable("agent.pem") && !readable("tls.pem"))
    r.error(n, field,
            "no readable agent.pem (private key and certificate, PEM) in '" + l.certificates + "'");
  if (l.verify != TlsVerify::none && !readable("cafile.pem"))
    r.error(n, field,
            "verify: " + std::string(to_string(l.verify)) +
                " needs the trusted CAs in cafile.pem, not readable in '" + l.certificates + "'");
}

std::optional<SipListener> read_listener(YamlReader& r, const YAML::Node& n,
                                         const std::string& field, const LoadOptions& options) {
  if (!r.expect_map(n, field, {"transport", "port", "certificates", "verify"})) return std::nullopt;
  SipListener l;
  bool ok = true;
  if (auto t = r.required(n, field, "transport"); t.IsDefined()) {
    auto s = r.string(t, field + ".transport");
    auto parsed = s ? parse_sip_transport(*s) : std::nullopt;
    if (parsed)
      l.transport = *parsed;
    else if (s) {
      r.error(t, field + ".transport", "unknown transport '" + *s + "' (expected udp, tcp or tls)");
      ok = false;
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto p = n["port"]; p.IsDefined()) {
    if (auto v = r.integer(p, field + ".port", 1, 65535))
      l.port = static_cast<uint16_t>(*v);
    else
      ok = false;
  }
  if (auto v = n["verify"]; v.IsDefined()) {
    auto s = r.string(v, field + ".verify");
    if (s && *s == "none") {
      l.verify = TlsVerify::none;
    } else if (s && *s == "servers") {
      l.verify = TlsVerify::servers;
    } else if (s && *s == "all") {
      l.verify = TlsVerify::all;
    } else {
      if (s) r.error(v, field + ".verify", "unknown '" + *s + "' (expected none, servers or all)");
      ok = false;
    }
  }
  auto certs = n["certificates"];
  if (certs.IsDefined()) {
    if (auto s = r.string(certs, field + ".certificates")) {
      std::filesystem::path dir(*s);
      if (dir.is_relative()) dir = std::filesystem::path(options.base_dir) / dir;
      l.certificates = dir.lexically_normal().string();
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  if (l.transport != SipTransport::tls) {
    if (certs.IsDefined() || n["verify"].IsDefined()) {
      r.error(n, field, "certificates and verify apply to transport tls only");
      return std::nullopt;
    }
  } else if (!certs.IsDefined()) {
    r.error(n, field, "transport tls needs 'certificates': the directory holding agent.pem");
    return std::nullopt;
  } else if (options.allow_member_files) {
    check_certificates(r, certs, field + ".certificates", l);
  }
  return l;
}

std::optional<PortRange> read_port_range(YamlReader& r, const YAML::Node& n,
                                         const std::string& field) {
  // Written as "20000-29999".
  auto s = r.string(n, field);
  if (!s) return std::nullopt;
  auto dash = s->find('-');
  if (dash == std::string::npos) {
    r.error(n, field, "expected a range FIRST-LAST, got '" + *s + "'");
    return std::nullopt;
  }
  YAML::Node first_node(s->substr(0, dash)), last_node(s->substr(dash + 1));
  // Integer checks reuse the reader but point at the range's own position.
  Diagnostics scratch;
  YamlReader sub("", scratch);
  auto first = sub.integer(first_node, field, 1024, 65535);
  auto last = sub.integer(last_node, field, 1024, 65535);
  if (!first || !last || *first > *last) {
    r.error(n, field, "invalid media port range '" + *s + "' (ports 1024-65535, first <= last)");
    return std::nullopt;
  }
  // RTP takes even ports and RTCP the odd one above (RFC 3550): the range
  // must hold at least one pair.
  if (*last - *first < 1) {
    r.error(n, field, "media port range '" + *s + "' holds no RTP/RTCP pair");
    return std::nullopt;
  }
  return PortRange{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
}

}  // namespace

void read_interfaces(YamlReader& r, const YAML::Node& list, Policy& p, const LoadOptions& options) {
  const std::string field = "interfaces";
  if (!r.expect_sequence(list, field)) return;
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string f = indexed(field, i);
    if (!r.expect_map(n, f, {"name", "port", "address", "gateway", "vlan", "sip", "media_ports"}))
      continue;
    Interface leg;
    if (auto v = r.required(n, f, "name"); v.IsDefined()) {
      if (auto s = r.string(v, f + ".name")) {
        leg.name = *s;
        if (leg.name.empty())
          r.error(v, f + ".name", "must not be empty");
        else if (!names.insert(leg.name).second)
          r.error(v, f + ".name", "duplicate interface name '" + leg.name + "'");
      }
    }
    if (auto v = n["port"]; v.IsDefined()) {
      if (auto s = r.string(v, f + ".port")) leg.port = *s;
    }
    if (auto v = r.required(n, f, "address"); v.IsDefined()) {
      if (auto s = r.string(v, f + ".address")) {
        auto prefix = Ipv4Prefix::parse(*s, /*allow_host_bits=*/true);
        if (!prefix)
          r.error(v, f + ".address", prefix.error().message);
        else if (prefix->length == 0 || prefix->length == 32 ||
                 (prefix->address.value & ~prefix->mask()) == 0)
          r.error(v, f + ".address",
                  "expected the SBC's host address with its prefix length, e.g. 198.18.1.1/24");
        else
          leg.address = *prefix;
      }
    }
    if (auto v = n["gateway"]; v.IsDefined()) {
      if (auto s = r.string(v, f + ".gateway")) {
        auto gw = Ipv4Address::parse(*s);
        if (!gw)
          r.error(v, f + ".gateway", gw.error().message);
        else if (leg.address.length && !leg.address.contains(*gw))
          r.error(v, f + ".gateway",
                  "gateway " + gw->to_string() + " is not on " + leg.address.to_string());
        else
          leg.gateway = *gw;
      }
    }
    if (auto v = n["vlan"]; v.IsDefined()) {
      if (auto x = r.integer(v, f + ".vlan", 0, 4094)) leg.vlan = static_cast<uint16_t>(*x);
    }
    if (auto v = n["sip"]; v.IsDefined()) {
      if (r.expect_sequence(v, f + ".sip")) {
        for (size_t j = 0; j < v.size(); ++j)
          if (auto l = read_listener(r, v[j], indexed(f + ".sip", j), options))
            leg.sip.push_back(*l);
      }
    } else {
      leg.sip.push_back({SipTransport::udp, 5060});
    }
    if (auto v = r.required(n, f, "media_ports"); v.IsDefined()) {
      if (auto range = read_port_range(r, v, f + ".media_ports")) {
        for (const auto& other : p.interfaces) {
          if (other.media_ports.overlaps(*range))
            r.error(v, f + ".media_ports",
                    "overlaps the media port range of interface '" + other.name + "'");
        }
        leg.media_ports = *range;
      }
    }
    p.interfaces.push_back(std::move(leg));
  }
  if (list.size() == 0) r.error(list, field, "at least one interface is required");
}

}  // namespace sbc::policy
