// The `security` section: ACL, trust classes, failed-auth bans, scanners.
#include <set>

#include "policy/section_readers.h"

namespace sbc::policy {
namespace {

std::optional<PortRange> read_ports(YamlReader& r, const YAML::Node& n, const std::string& f) {
  auto s = r.string(n, f);
  if (!s) return std::nullopt;
  const auto dash = s->find('-');
  YAML::Node first(dash == std::string::npos ? *s : s->substr(0, dash));
  YAML::Node last(dash == std::string::npos ? *s : s->substr(dash + 1));
  Diagnostics scratch;
  YamlReader sub("", scratch);
  auto a = sub.integer(first, f, 0, 65535), b = sub.integer(last, f, 0, 65535);
  if (!a || !b || *a > *b) {
    r.error(n, f, "invalid port range '" + *s + "' (PORT or FIRST-LAST, 0-65535)");
    return std::nullopt;
  }
  return PortRange{static_cast<uint16_t>(*a), static_cast<uint16_t>(*b)};
}

void read_trust_classes(YamlReader& r, const YAML::Node& list, SecurityPolicy& s) {
  const std::string field = "security.trust_classes";
  if (!r.expect_sequence(list, field)) return;
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string f = indexed(field, i);
    if (!r.expect_map(n, f, {"name", "rate", "burst"})) continue;
    TrustClass c;
    bool ok = true;
    if (auto v = r.required(n, f, "name"); v.IsDefined()) {
      if (auto x = r.string(v, f + ".name"); x && !x->empty()) {
        c.name = *x;
        if (!seen.insert(c.name).second) {
          r.error(v, f + ".name", "duplicate trust class '" + c.name + "'");
          ok = false;
        }
      } else {
        if (x) r.error(v, f + ".name", "must not be empty");
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto v = r.required(n, f, "rate"); v.IsDefined()) {
      if (auto x = r.integer(v, f + ".rate", 1, 10'000'000))
        c.rate = static_cast<uint32_t>(*x);
      else
        ok = false;
    } else {
      ok = false;
    }
    c.burst = c.rate * 2;
    if (auto v = n["burst"]; v.IsDefined()) {
      if (auto x = r.integer(v, f + ".burst", 1, 100'000'000))
        c.burst = static_cast<uint32_t>(*x);
      else
        ok = false;
    }
    if (!ok) continue;
    // An operator's class replaces the built-in one of the same name.
    bool replaced = false;
    for (auto& existing : s.trust_classes)
      if (existing.name == c.name) {
        existing = c;
        replaced = true;
      }
    if (!replaced) s.trust_classes.push_back(c);
  }
}

void read_acl(YamlReader& r, const YAML::Node& list, const Policy& p, SecurityPolicy& s,
              std::vector<std::pair<YAML::Node, std::string>>& class_refs) {
  const std::string field = "security.acl";
  if (!r.expect_sequence(list, field)) return;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string f = indexed(field, i);
    if (!r.expect_map(n, f, {"action", "source", "leg", "protocol", "ports", "trust"})) continue;
    AclEntry e;
    e.defined_at = r.position(n);
    e.source = Ipv4Prefix{Ipv4Address{0}, 0};
    bool ok = true;
    if (auto v = r.required(n, f, "action"); v.IsDefined()) {
      auto a = r.string(v, f + ".action");
      if (a == "allow")
        e.action = AclAction::allow;
      else if (a == "deny")
        e.action = AclAction::deny;
      else {
        if (a) r.error(v, f + ".action", "unknown action '" + *a + "' (allow or deny)");
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto v = n["source"]; v.IsDefined()) {
      if (auto x = r.prefix(v, f + ".source"))
        e.source = *x;
      else
        ok = false;
    }
    if (auto v = n["leg"]; v.IsDefined()) {
      if (auto x = r.string(v, f + ".leg")) {
        if (!p.find_interface(*x)) {
          r.error(v, f + ".leg", "unknown leg '" + *x + "' (not in interfaces)");
          ok = false;
        }
        e.leg = *x;
      } else {
        ok = false;
      }
    }
    if (auto v = n["protocol"]; v.IsDefined()) {
      auto x = r.string(v, f + ".protocol");
      if (x == "any")
        e.protocol = AclProtocol::any;
      else if (x == "udp")
        e.protocol = AclProtocol::udp;
      else if (x == "tcp")
        e.protocol = AclProtocol::tcp;
      else {
        if (x) r.error(v, f + ".protocol", "unknown protocol '" + *x + "' (any, udp or tcp)");
        ok = false;
      }
    }
    if (auto v = n["ports"]; v.IsDefined()) {
      if (auto x = read_ports(r, v, f + ".ports"))
        e.ports = *x;
      else
        ok = false;
    }
    if (auto v = n["trust"]; v.IsDefined()) {
      if (auto x = r.string(v, f + ".trust")) {
        if (e.action == AclAction::deny) {
          r.error(v, f + ".trust", "a deny entry has no trust class");
          ok = false;
        }
        e.trust_class = *x;
        class_refs.emplace_back(v, f + ".trust");
      } else {
        ok = false;
      }
    }
    if (ok) s.acl.push_back(std::move(e));
  }
}

// threshold/window/ban of a ban rule (failed_auth, flood_ban, malformed_ban).
void read_ban_rule(YamlReader& r, const YAML::Node& n, const std::string& f, uint32_t& threshold,
                   Duration& window, Duration& ban) {
  if (auto v = n["threshold"]; v.IsDefined())
    if (auto x = r.integer(v, f + ".threshold", 1, 1000)) threshold = static_cast<uint32_t>(*x);
  if (auto v = n["window"]; v.IsDefined())
    if (auto x = r.duration(v, f + ".window", std::chrono::seconds(1), std::chrono::hours(24)))
      window = *x;
  if (auto v = n["ban"]; v.IsDefined())
    if (auto x = r.duration(v, f + ".ban", std::chrono::seconds(1), std::chrono::hours(24 * 7)))
      ban = *x;
}

}  // namespace

void read_security(YamlReader& r, const YAML::Node& map, Policy& p) {
  SecurityPolicy& s = p.security;
  s.trust_classes = default_trust_classes();
  s.scanner_user_agents = default_scanner_user_agents();
  if (!map.IsDefined() || map.IsNull()) return;
  const std::string field = "security";
  if (!r.expect_map(map, field,
                    {"acl", "trust_classes", "default_trust_class", "failed_auth", "flood_ban",
                     "malformed_ban", "untrusted_cap", "scanner_user_agents"}))
    return;
  if (auto v = map["trust_classes"]; v.IsDefined()) read_trust_classes(r, v, s);
  std::vector<std::pair<YAML::Node, std::string>> class_refs;
  if (auto v = map["acl"]; v.IsDefined()) read_acl(r, v, p, s, class_refs);
  if (auto v = map["default_trust_class"]; v.IsDefined()) {
    if (auto x = r.string(v, field + ".default_trust_class")) {
      s.default_trust_class = *x;
      class_refs.emplace_back(v, field + ".default_trust_class");
    }
  }
  for (const auto& [node, f] : class_refs)
    if (!s.find_trust_class(node.Scalar()))
      r.error(node, f, "unknown trust class '" + node.Scalar() + "'");
  if (auto fa = map["failed_auth"]; fa.IsDefined()) {
    const std::string f = field + ".failed_auth";
    if (r.expect_map(fa, f, {"threshold", "window", "ban", "max_ban"})) {
      auto& a = s.failed_auth;
      read_ban_rule(r, fa, f, a.threshold, a.window, a.ban);
      if (auto v = fa["max_ban"]; v.IsDefined())
        if (auto x =
                r.duration(v, f + ".max_ban", std::chrono::seconds(1), std::chrono::hours(24 * 7)))
          a.max_ban = *x;
      if (a.max_ban < a.ban)
        r.error(fa, f + ".max_ban",
                "max_ban (" + to_string(a.max_ban) + ") is below ban (" + to_string(a.ban) + ")");
    }
  }
  for (auto [name, rule] :
       {std::pair{"flood_ban", &s.flood_ban}, std::pair{"malformed_ban", &s.malformed_ban}}) {
    const std::string f = field + "." + name;
    if (auto n = map[name]; n.IsDefined() && r.expect_map(n, f, {"threshold", "window", "ban"}))
      read_ban_rule(r, n, f, rule->threshold, rule->window, rule->ban);
  }
  if (auto n = map["untrusted_cap"]; n.IsDefined()) {
    const std::string f = field + ".untrusted_cap";
    if (r.expect_map(n, f, {"rate", "burst"})) {
      if (auto v = r.required(n, f, "rate"); v.IsDefined())
        if (auto x = r.integer(v, f + ".rate", 1, 10'000'000))
          s.untrusted_cap.rate = static_cast<uint32_t>(*x);
      s.untrusted_cap.burst = s.untrusted_cap.rate * 2;
      if (auto v = n["burst"]; v.IsDefined())
        if (auto x = r.integer(v, f + ".burst", 1, 100'000'000))
          s.untrusted_cap.burst = static_cast<uint32_t>(*x);
    }
  }
  if (auto v = map["scanner_user_agents"]; v.IsDefined()) {
    if (auto list = r.string_list(v, field + ".scanner_user_agents")) {
      for (const auto& ua : *list)
        if (ua.empty())
          r.error(v, field + ".scanner_user_agents", "empty pattern matches everyone");
      s.scanner_user_agents = *list;
    }
  }
}

}  // namespace sbc::policy
