// Templates and peers: reading settings, resolving template chains, turning
// merged settings into resolved Peers, and expanding members files.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "policy/codec_filter.h"
#include "policy/host_name.h"
#include "policy/member_source.h"
#include "policy/peer_settings.h"
#include "policy/section_readers.h"

namespace sbc::policy {
namespace {

// Keys of a peer entry; a template also has `members`. expect_map takes
// an initializer_list, which cannot be a constexpr variable, hence macros.
#define SBC_PEER_SETTING_KEYS                                                                   \
  "kind", "leg", "groups", "auth", "address", "port", "transport", "codecs", "channels", "cps", \
      "manipulation", "probe", "register", "media"

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '@' || c == '+';
  });
}

bool is_hex_ha1(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

// Reads the settings of one template or peer entry. Keys were checked by
// the caller; references to legs are checked here, where the node is.
void read_settings(YamlReader& r, const YAML::Node& n, const std::string& f, const Policy& p,
                   PeerSettings& s) {
  if (auto v = n["kind"]; v.IsDefined()) {
    if (auto k = r.string(v, f + ".kind")) {
      if (*k == "phone")
        s.kind = PeerKind::phone;
      else if (*k == "trunk")
        s.kind = PeerKind::trunk;
      else
        r.error(v, f + ".kind", "unknown kind '" + *k + "' (expected phone or trunk)");
    }
  }
  if (auto v = n["leg"]; v.IsDefined()) {
    if (auto leg = r.string(v, f + ".leg")) {
      if (!p.find_interface(*leg))
        r.error(v, f + ".leg", "unknown leg '" + *leg + "' (not in interfaces)");
      else
        s.leg = *leg;
    }
  }
  if (auto v = n["groups"]; v.IsDefined()) {
    if (auto g = r.string_list(v, f + ".groups")) {
      bool ok = true;
      for (const auto& name : *g)
        if (!valid_name(name)) {
          r.error(v, f + ".groups", "invalid group name '" + name + "'");
          ok = false;
        }
      if (ok) s.groups = *g;
    }
  }
  if (auto a = n["auth"]; a.IsDefined()) {
    const std::string af = f + ".auth";
    if (r.expect_map(a, af, {"mode", "username", "password", "ha1", "trusted"})) {
      if (auto v = a["mode"]; v.IsDefined()) {
        if (auto m = r.string(v, af + ".mode")) {
          if (*m == "digest")
            s.auth_mode = AuthMode::digest;
          else if (*m == "ip")
            s.auth_mode = AuthMode::ip;
          else
            r.error(v, af + ".mode", "unknown auth mode '" + *m + "' (expected digest or ip)");
        }
      }
      if (auto v = a["username"]; v.IsDefined()) {
        if (auto u = r.string(v, af + ".username")) {
          if (u->empty())
            r.error(v, af + ".username", "must not be empty");
          else
            s.username = *u;
        }
      }
      if (auto v = a["password"]; v.IsDefined()) {
        if (auto pw = r.string(v, af + ".password")) {
          if (pw->empty())
            r.error(v, af + ".password", "must not be empty");
          else
            s.password = *pw;
        }
      }
      if (auto v = a["ha1"]; v.IsDefined()) {
        if (auto h = r.string(v, af + ".ha1")) {
          if (!is_hex_ha1(*h))
            r.error(v, af + ".ha1", "expected 32 hex digits (MD5 of username:realm:password)");
          else {
            std::string lower = *h;
            for (char& c : lower)
              c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            s.ha1 = lower;
          }
        }
      }
      if (s.password && s.ha1) r.error(a, af, "set either password or ha1, not both");
      if (auto v = a["trusted"]; v.IsDefined()) {
        const std::string tf = af + ".trusted";
        if (v.IsScalar() || r.expect_sequence(v, tf)) {
          std::vector<Ipv4Prefix> list;
          bool ok = true;
          if (v.IsScalar()) {
            if (auto x = r.prefix(v, tf))
              list.push_back(*x);
            else
              ok = false;
          } else {
            for (size_t i = 0; i < v.size(); ++i) {
              if (auto x = r.prefix(v[i], indexed(tf, i)))
                list.push_back(*x);
              else
                ok = false;
            }
          }
          if (ok && list.empty()) r.error(v, tf, "must list at least one prefix");
          if (ok && !list.empty()) s.trusted = list;
        }
      }
    }
  }
  if (auto v = n["address"]; v.IsDefined()) {
    if (auto h = r.string(v, f + ".address")) {
      if (Ipv4Address::parse(*h) || valid_host_name(*h))
        s.host = *h;
      else
        r.error(v, f + ".address",
                "'" + *h +
                    "' is neither an IPv4 address nor a valid host name (labels of letters, "
                    "digits and hyphens, at most 63 each, separated by dots)");
    }
  }
  if (auto v = n["port"]; v.IsDefined()) {
    if (auto x = r.integer(v, f + ".port", 1, 65535)) s.port = static_cast<uint16_t>(*x);
  }
  if (auto v = n["transport"]; v.IsDefined()) {
    if (auto t = r.string(v, f + ".transport")) {
      if (auto parsed = parse_sip_transport(*t))
        s.transport = *parsed;
      else
        r.error(v, f + ".transport", "unknown transport '" + *t + "' (expected udp, tcp or tls)");
    }
  }
  if (auto v = n["codecs"]; v.IsDefined()) {
    if (auto list = r.string_list(v, f + ".codecs")) {
      std::vector<std::string> out;
      bool ok = true;
      for (size_t i = 0; i < list->size(); ++i) {
        const std::string c = normalize_codec_name((*list)[i]);
        const YAML::Node at = v.IsSequence() ? v[i] : v;
        if (c.empty() || std::find(out.begin(), out.end(), c) != out.end()) {
          r.error(at, indexed(f + ".codecs", i),
                  c.empty() ? "empty codec name" : "codec '" + c + "' listed twice");
          ok = false;
          continue;
        }
        if (!is_known_codec(c))
          r.warning(at, indexed(f + ".codecs", i),
                    "codec '" + c + "' is not one the SBC knows; it will only match by name");
        out.push_back(c);
      }
      if (ok) s.codecs = out;
    }
  }
  if (auto v = n["channels"]; v.IsDefined()) {
    const std::string cf = f + ".channels";
    ChannelCap cap;
    bool ok = true;
    if (v.IsScalar()) {
      if (auto x = r.integer(v, cf, 0, 1'000'000))
        cap.max = static_cast<uint32_t>(*x);
      else
        ok = false;
    } else if (r.expect_map(v, cf, {"max", "alert_at"})) {
      if (auto m = r.required(v, cf, "max"); m.IsDefined()) {
        if (auto x = r.integer(m, cf + ".max", 0, 1'000'000))
          cap.max = static_cast<uint32_t>(*x);
        else
          ok = false;
      } else {
        ok = false;
      }
      if (auto a = v["alert_at"]; a.IsDefined()) {
        if (auto x = r.integer(a, cf + ".alert_at", 1, 1'000'000)) {
          if (ok && cap.max > 0 && *x > cap.max) {
            r.error(a, cf + ".alert_at",
                    "alert_at is above the cap (max " + std::to_string(cap.max) + ")");
            ok = false;
          }
          cap.alert_at = static_cast<uint32_t>(*x);
        } else {
          ok = false;
        }
      }
    } else {
      ok = false;
    }
    if (ok) s.channels = cap;
  }
  if (auto v = n["cps"]; v.IsDefined()) {
    const std::string cf = f + ".cps";
    CpsCap cap;
    bool ok = true;
    if (v.IsScalar()) {
      if (auto x = r.number(v, cf, 0, 100'000))
        cap.rate = *x;
      else
        ok = false;
    } else if (r.expect_map(v, cf, {"rate", "burst", "alert_at"})) {
      if (auto m = r.required(v, cf, "rate"); m.IsDefined()) {
        if (auto x = r.number(m, cf + ".rate", 0, 100'000))
          cap.rate = *x;
        else
          ok = false;
      } else {
        ok = false;
      }
      if (auto b = v["burst"]; b.IsDefined()) {
        if (auto x = r.integer(b, cf + ".burst", 1, 1'000'000))
          cap.burst = static_cast<uint32_t>(*x);
        else
          ok = false;
      }
      if (auto a = v["alert_at"]; a.IsDefined()) {
        if (auto x = r.number(a, cf + ".alert_at", 0, 100'000)) {
          if (ok && cap.rate > 0 && *x > cap.rate) {
            r.error(a, cf + ".alert_at", "alert_at is above the rate");
            ok = false;
          }
          cap.alert_at = *x;
        } else {
          ok = false;
        }
      }
    } else {
      ok = false;
    }
    if (ok) {
      if (cap.burst == 0)
        cap.burst = std::max<uint32_t>(1, static_cast<uint32_t>(cap.rate + 0.999));
      s.cps = cap;
    }
  }
  if (auto m = n["manipulation"]; m.IsDefined()) {
    const std::string mf = f + ".manipulation";
    if (r.expect_map(m, mf, {"inbound", "outbound"})) {
      if (auto v = m["inbound"]; v.IsDefined())
        s.inbound = read_manipulation(r, v, mf + ".inbound");
      if (auto v = m["outbound"]; v.IsDefined())
        s.outbound = read_manipulation(r, v, mf + ".outbound");
    }
  }
  if (auto pr = n["probe"]; pr.IsDefined()) {
    const std::string pf = f + ".probe";
    if (r.expect_map(pr, pf, {"interval", "failures", "recovery"})) {
      if (auto v = pr["interval"]; v.IsDefined())
        s.probe_interval = r.duration(v, pf + ".interval", Duration(0), std::chrono::hours(1));
      if (auto v = pr["failures"]; v.IsDefined()) {
        if (auto x = r.integer(v, pf + ".failures", 1, 100))
          s.probe_failures = static_cast<uint32_t>(*x);
      }
      if (auto v = pr["recovery"]; v.IsDefined()) {
        if (auto x = r.integer(v, pf + ".recovery", 1, 100))
          s.probe_recovery = static_cast<uint32_t>(*x);
      }
    }
  }
  if (auto g = n["register"]; g.IsDefined()) {
    const std::string gf = f + ".register";
    if (r.expect_map(g, gf, {"registrar", "username", "password", "expiry"})) {
      OutboundRegistration reg;
      bool ok = true;
      auto str = [&](const char* key, std::string& out) {
        if (auto v = r.required(g, gf, key); v.IsDefined()) {
          if (auto x = r.string(v, gf + "." + key); x && !x->empty())
            out = *x;
          else {
            if (x) r.error(v, gf + "." + key, "must not be empty");
            ok = false;
          }
        } else {
          ok = false;
        }
      };
      str("registrar", reg.registrar);
      if (ok) {
        if (auto hp = parse_registrar(reg.registrar); hp)
          reg.where = *hp;
        else {
          r.error(g["registrar"], gf + ".registrar", hp.error().message);
          ok = false;
        }
      }
      str("username", reg.username);
      str("password", reg.password);
      if (auto v = g["expiry"]; v.IsDefined()) {
        if (auto d =
                r.duration(v, gf + ".expiry", std::chrono::seconds(60), std::chrono::hours(24)))
          reg.expiry = *d;
        else
          ok = false;
      }
      if (ok) s.registration = reg;
    }
  }
  if (auto md = n["media"]; md.IsDefined()) {
    const std::string mf = f + ".media";
    if (r.expect_map(md, mf, {"latching", "srtp", "telephone_event_pt"})) {
      if (auto v = md["latching"]; v.IsDefined()) {
        if (auto l = r.string(v, mf + ".latching")) {
          if (*l == "off")
            s.latching = LatchingMode::off;
          else if (*l == "strict")
            s.latching = LatchingMode::strict;
          else if (*l == "any")
            s.latching = LatchingMode::any;
          else
            r.error(v, mf + ".latching", "unknown latching mode '" + *l + "' (off, strict or any)");
        }
      }
      if (auto v = md["srtp"]; v.IsDefined()) {
        if (auto x = r.string(v, mf + ".srtp")) {
          if (*x == "passthrough")
            s.srtp = SrtpMode::passthrough;
          else if (*x == "required" || *x == "terminate")
            r.error(v, mf + ".srtp",
                    "SRTP '" + *x +
                        "' is not supported yet: SRTP is relayed untouched "
                        "(passthrough) until termination lands");
          else
            r.error(v, mf + ".srtp", "unknown srtp mode '" + *x + "' (passthrough)");
        }
      }
      // A dynamic payload type (RFC 3551 6): the static ones name codecs.
      if (auto v = md["telephone_event_pt"]; v.IsDefined())
        if (auto pt = r.integer(v, mf + ".telephone_event_pt", 96, 127))
          s.telephone_event_pt = static_cast<uint8_t>(*pt);
    }
  }
}

using ErrorSink = std::function<void(const std::string& field, const std::string& message)>;

// Turns merged settings into a resolved Peer, applying defaults, or reports
// what is missing.
std::optional<Peer> finalize(const std::string& name, const PeerSettings& s, const Policy& p,
                             const std::string& f, const ErrorSink& err) {
  Peer peer;
  peer.name = name;
  bool ok = true;
  if (!s.kind) {
    err(f + ".kind", "missing required field 'kind' (phone or trunk; may come from the template)");
    ok = false;
  } else {
    peer.kind = *s.kind;
  }
  if (!s.leg) {
    err(f + ".leg", "missing required field 'leg' (may come from the template)");
    ok = false;
  } else {
    peer.leg = *s.leg;
  }
  if (s.groups) peer.groups = *s.groups;
  peer.auth.mode =
      s.auth_mode.value_or(peer.kind == PeerKind::phone ? AuthMode::digest : AuthMode::ip);
  if (s.host) {
    if (auto ip = Ipv4Address::parse(*s.host))
      peer.address.ip = *ip;
    else
      peer.address.dns_name = *s.host;
  }
  peer.address.port = s.port;
  if (!peer.address.port && peer.address.ip) peer.address.port = 5060;
  peer.address.transport = s.transport.value_or(SipTransport::udp);
  if (peer.auth.mode == AuthMode::digest) {
    peer.auth.username = s.username.value_or(name);
    if (s.password)
      peer.auth.password = *s.password;
    else if (s.ha1)
      peer.auth.ha1 = *s.ha1;
    else {
      err(f + ".auth", "digest auth needs a password or an ha1");
      ok = false;
    }
    if (s.trusted) {
      err(f + ".auth.trusted", "trusted prefixes go with auth mode ip, not digest");
      ok = false;
    }
  } else {
    if (s.trusted)
      peer.auth.trusted = *s.trusted;
    else if (peer.address.ip)
      peer.auth.trusted = {Ipv4Prefix{*peer.address.ip, 32}};
    else if (!peer.address.dns_name.empty())
      peer.auth.trust_resolved = true;  // the name's addresses, as they resolve at run time
    else {
      err(f + ".auth.trusted", "ip auth needs trusted prefixes, or an address to trust");
      ok = false;
    }
    if (s.username || s.password || s.ha1) {
      err(f + ".auth", "username, password and ha1 go with auth mode digest, not ip");
      ok = false;
    }
  }
  if (s.codecs) peer.codecs = *s.codecs;
  if (s.channels) peer.channels = *s.channels;
  if (s.cps) peer.cps = *s.cps;
  if (s.inbound) peer.inbound = *s.inbound;
  if (s.outbound) peer.outbound = *s.outbound;
  // Trunks with an address are probed by default; phones are watched through
  // their registrations instead.
  const bool probed_by_default = peer.kind == PeerKind::trunk && peer.address.is_set();
  peer.probe.interval =
      s.probe_interval.value_or(probed_by_default ? p.timers.probe_interval : Duration(0));
  if (s.probe_failures) peer.probe.failures = *s.probe_failures;
  if (s.probe_recovery) peer.probe.recovery = *s.probe_recovery;
  if (s.registration) {
    if (peer.kind == PeerKind::phone) {
      err(f + ".register", "phones register to the SBC; 'register' is for trunks");
      ok = false;
    }
    peer.registration = *s.registration;
  }
  peer.media.latching = s.latching.value_or(p.media.default_latching);
  if (s.srtp) peer.media.srtp = *s.srtp;
  if (s.telephone_event_pt) peer.media.telephone_event_pt = *s.telephone_event_pt;
  if (!ok) return std::nullopt;
  return peer;
}

struct TemplateDef {
  std::string name;
  std::string parent;
  YAML::Node node;
  YAML::Node parent_node;
  PeerSettings own;
  std::optional<PeerSettings> resolved;  // own + chain
  std::optional<MembersSpec> members;
  YAML::Node members_node;
  bool in_progress = false;
  bool broken = false;
};

// Resolves a template's chain depth first; a cycle is reported once, at the
// template that closes it.
const PeerSettings* resolve(YamlReader& r, std::map<std::string, TemplateDef>& defs, TemplateDef& t,
                            const std::string& f) {
  if (t.resolved) return &*t.resolved;
  if (t.broken) return nullptr;
  if (t.in_progress) {
    r.error(t.parent_node, f, "template inheritance cycle through '" + t.name + "'");
    t.broken = true;
    return nullptr;
  }
  PeerSettings merged = t.own;
  if (!t.parent.empty()) {
    auto it = defs.find(t.parent);
    if (it == defs.end()) {
      t.broken = true;  // reported when the template was read
      return nullptr;
    }
    t.in_progress = true;
    const PeerSettings* base = resolve(r, defs, it->second, f);
    t.in_progress = false;
    if (!base) {
      t.broken = true;
      return nullptr;
    }
    merged.inherit(*base);
  }
  t.resolved = merged;
  return &*t.resolved;
}

std::optional<MembersSpec> read_members_spec(YamlReader& r, const YAML::Node& n,
                                             const std::string& f, const LoadOptions& options) {
  if (!r.expect_map(n, f, {"csv", "sqlite", "table"})) return std::nullopt;
  MembersSpec spec;
  const YAML::Node csv = n["csv"], db = n["sqlite"], table = n["table"];
  if (csv.IsDefined() == db.IsDefined()) {
    r.error(n, f, "name exactly one members file: csv: PATH or sqlite: PATH");
    return std::nullopt;
  }
  auto path = r.string(csv.IsDefined() ? csv : db, f + (csv.IsDefined() ? ".csv" : ".sqlite"));
  if (!path || path->empty()) return std::nullopt;
  spec.format = csv.IsDefined() ? MembersSpec::Format::csv : MembersSpec::Format::sqlite;
  if (db.IsDefined()) {
    if (!table.IsDefined()) {
      r.error(n, f + ".table", "missing required field 'table' (the SQLite table to read)");
      return std::nullopt;
    }
    auto t = r.string(table, f + ".table");
    if (!t) return std::nullopt;
    const bool ident = !t->empty() && !std::isdigit(static_cast<unsigned char>((*t)[0])) &&
                       std::all_of(t->begin(), t->end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                       });
    if (!ident) {
      r.error(table, f + ".table",
              "table name must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)");
      return std::nullopt;
    }
    spec.table = *t;
  } else if (table.IsDefined()) {
    r.error(table, f + ".table", "'table' goes with sqlite, not csv");
    return std::nullopt;
  }
  if (!options.allow_member_files) {
    r.error(n, f, "members files are disabled for this load");
    return std::nullopt;
  }
  std::filesystem::path p(*path);
  if (p.is_relative()) p = std::filesystem::path(options.base_dir) / p;
  spec.path = p.lexically_normal().string();
  return spec;
}

}  // namespace

void read_peers(YamlReader& r, const YAML::Node& templates, const YAML::Node& peers, Policy& p,
                const LoadOptions& options) {
  std::map<std::string, TemplateDef> defs;
  std::vector<std::string> order;
  if (templates.IsDefined() && !templates.IsNull() && r.expect_sequence(templates, "templates")) {
    for (size_t i = 0; i < templates.size(); ++i) {
      const YAML::Node n = templates[i];
      const std::string f = indexed("templates", i);
      if (!r.expect_map(n, f, {"name", "template", "members", SBC_PEER_SETTING_KEYS})) continue;
      TemplateDef t;
      t.node = n;
      if (auto v = r.required(n, f, "name"); v.IsDefined()) {
        auto s = r.string(v, f + ".name");
        if (!s) continue;
        if (!valid_name(*s)) {
          r.error(v, f + ".name", "invalid name '" + *s + "' (letters, digits, - _ . @ +)");
          continue;
        }
        if (defs.count(*s)) {
          r.error(v, f + ".name", "duplicate template name '" + *s + "'");
          continue;
        }
        t.name = *s;
      } else {
        continue;
      }
      if (auto v = n["template"]; v.IsDefined()) {
        if (auto s = r.string(v, f + ".template")) t.parent = *s;
        t.parent_node = v;
      }
      if (auto v = n["members"]; v.IsDefined()) {
        t.members = read_members_spec(r, v, f + ".members", options);
        t.members_node = v;
      }
      read_settings(r, n, f, p, t.own);
      order.push_back(t.name);
      defs.emplace(t.name, std::move(t));
    }
    for (auto& [name, t] : defs)
      if (!t.parent.empty() && !defs.count(t.parent))
        r.error(t.parent_node, "templates." + name + ".template",
                "unknown template '" + t.parent + "'");
    for (auto& [name, t] : defs) resolve(r, defs, t, "templates." + name + ".template");
  }
  p.template_names = order;

  std::unordered_map<std::string, SourcePosition> names;
  std::unordered_map<std::string, std::string> usernames;  // username -> peer
  auto add_peer = [&](Peer&& peer, const ErrorSink& err, const std::string& f) {
    if (auto [it, fresh] = names.emplace(peer.name, peer.defined_at); !fresh) {
      err(f + ".name", "duplicate peer name '" + peer.name + "' (first defined at " +
                           it->second.file + ":" + std::to_string(it->second.line) + ")");
      return;
    }
    if (peer.auth.mode == AuthMode::digest) {
      if (auto [it, fresh] = usernames.emplace(peer.auth.username, peer.name); !fresh) {
        err(f + ".auth.username", "username '" + peer.auth.username +
                                      "' is already used by peer '" + it->second +
                                      "': a request could not be told apart");
        return;
      }
    }
    peer.id = static_cast<PeerId>(p.peers.size());
    p.peers.push_back(std::move(peer));
  };

  if (peers.IsDefined() && !peers.IsNull() && r.expect_sequence(peers, "peers")) {
    for (size_t i = 0; i < peers.size(); ++i) {
      const YAML::Node n = peers[i];
      const std::string f = indexed("peers", i);
      if (!r.expect_map(n, f, {"name", "template", SBC_PEER_SETTING_KEYS})) continue;
      std::string name;
      if (auto v = r.required(n, f, "name"); v.IsDefined()) {
        auto s = r.string(v, f + ".name");
        if (!s) continue;
        if (!valid_name(*s)) {
          r.error(v, f + ".name", "invalid name '" + *s + "' (letters, digits, - _ . @ +)");
          continue;
        }
        name = *s;
      } else {
        continue;
      }
      PeerSettings own;
      const size_t errors_before = r.diagnostics().size();
      read_settings(r, n, f, p, own);
      // A field that was present but invalid is already reported; resolving
      // the peer would add "missing field" noise about the same line.
      const bool settings_ok =
          r.diagnostics().size() == errors_before ||
          !has_errors(Diagnostics(r.diagnostics().begin() + static_cast<long>(errors_before),
                                  r.diagnostics().end()));
      PeerSettings merged = own;
      std::string tname;
      if (auto v = n["template"]; v.IsDefined()) {
        auto s = r.string(v, f + ".template");
        if (!s) continue;
        auto it = defs.find(*s);
        if (it == defs.end()) {
          r.error(v, f + ".template", "unknown template '" + *s + "'");
          continue;
        }
        if (!it->second.resolved) continue;  // its own error was reported
        merged.inherit(*it->second.resolved);
        tname = *s;
      }
      ErrorSink err = [&](const std::string& field, const std::string& msg) {
        r.error(n, field, msg);
      };
      if (!settings_ok) continue;
      auto peer = finalize(name, merged, p, f, err);
      if (!peer) continue;
      peer->template_name = tname;
      peer->defined_at = r.position(n);
      peer->overrides_template = tname.empty() || !own.empty();
      add_peer(std::move(*peer), err, f);
    }
  }

  // Members files: one peer per row, the row's credentials over the template.
  for (const auto& tname : order) {
    TemplateDef& t = defs.at(tname);
    if (!t.members || !t.resolved) continue;
    std::vector<MemberRow> rows = read_members(*t.members, r.diagnostics());
    if (rows.empty() && !has_errors(r.diagnostics()))
      r.warning(t.members_node, "templates." + tname + ".members",
                "members file " + t.members->path + " holds no members");
    for (const auto& row : rows) {
      PeerSettings s;
      s.username = row.username.empty() ? row.name : row.username;
      if (!row.password.empty()) s.password = row.password;
      if (!row.ha1.empty()) s.ha1 = row.ha1;
      s.inherit(*t.resolved);
      ErrorSink err = [&](const std::string& field, const std::string& msg) {
        Diagnostic d{
            Diagnostic::Severity::error, row.at.file, row.at.line, row.at.column, field, msg};
        r.diagnostics().push_back(std::move(d));
      };
      const std::string f = "members[" + row.name + "]";
      if (!valid_name(row.name)) {
        err(f + ".name", "invalid name '" + row.name + "' (letters, digits, - _ . @ +)");
        continue;
      }
      auto peer = finalize(row.name, s, p, f, err);
      if (!peer) continue;
      peer->template_name = tname;
      peer->defined_at = row.at;
      peer->overrides_template = true;  // its own credentials
      add_peer(std::move(*peer), err, f);
    }
  }

  // Two ip peers trusting the same prefix on one leg could not be told apart.
  SourceTrustIndex trust;
  for (const auto& peer : p.peers) {
    if (peer.auth.mode != AuthMode::ip) continue;
    auto leg = p.interface_index(peer.leg);
    if (!leg) continue;
    for (const auto& prefix : peer.auth.trusted) {
      if (auto other = trust.add(*leg, prefix, peer.id)) {
        const Peer& o = p.peers[*other];
        r.diagnostics().push_back({Diagnostic::Severity::error, peer.defined_at.file,
                                   peer.defined_at.line, peer.defined_at.column,
                                   "peers." + peer.name + ".auth.trusted",
                                   "prefix " + prefix.to_string() + " on leg '" + peer.leg +
                                       "' is already trusted for peer '" + o.name + "'"});
      }
    }
  }
}

}  // namespace sbc::policy
