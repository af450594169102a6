#include "policy/linter.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>

#include "policy/password_strength.h"

namespace sbc::policy {
namespace {

// Collects one kind of finding and caps how many are printed.
class Findings {
 public:
  Findings(Diagnostics& out, std::string kind) : out_(out), kind_(std::move(kind)) {}
  ~Findings() {
    if (count_ > kMaxFindingsPerKind) {
      Diagnostic d;
      d.severity = Diagnostic::Severity::warning;
      d.file = file_;
      d.message = "... and " + std::to_string(count_ - kMaxFindingsPerKind) + " more: " + kind_;
      out_.push_back(std::move(d));
    }
  }
  Findings(const Findings&) = delete;
  Findings& operator=(const Findings&) = delete;

  void add(const SourcePosition& at, std::string field, std::string message) {
    if (file_.empty()) file_ = at.file;
    if (++count_ > kMaxFindingsPerKind) return;
    out_.push_back({Diagnostic::Severity::warning, at.file, at.line, at.column, std::move(field),
                    std::move(message)});
  }

 private:
  Diagnostics& out_;
  std::string kind_;
  std::string file_;
  size_t count_ = 0;
};

std::string peer_field(const Peer& p, const std::string& sub = "") {
  return "peers." + p.name + (sub.empty() ? "" : "." + sub);
}

std::string route_label(const Route& r) {
  return r.prefix.empty() ? std::string("default") : r.prefix;
}

std::string route_field(const Route& r) {
  return "routes[prefix " + route_label(r) + "]";
}

bool source_matches(const Route& r, const Peer& source) {
  if (!r.from_peer.empty()) return r.from_peer == source.name;
  if (!r.from_group.empty()) return source.in_group(r.from_group);
  return true;
}

// Route used by a call from `source` for numbers that start with `number`.
const Route* route_for(const Policy& p, const Peer& source, const std::string& number) {
  const int32_t i = p.route_table.longest_match(
      p.routes, number, [&](const Route& r) { return source_matches(r, source); });
  return i < 0 ? nullptr : &p.routes[static_cast<size_t>(i)];
}

// The number as `to` sends it back to us: route and outbound manipulation on
// the way there, its inbound manipulation on the way back. Applied to a
// prefix this is exact as long as nothing strips more than the prefix holds.
std::optional<std::string> number_at(const Route& r, const Peer& to, const std::string& number) {
  if (r.manipulation.called.strip > number.size()) return std::nullopt;
  std::string n = r.manipulation.apply_called(number);
  if (to.outbound.called.strip > n.size()) return std::nullopt;
  n = to.outbound.apply_called(n);
  if (to.inbound.called.strip > n.size()) return std::nullopt;
  return to.inbound.apply_called(n);
}

void lint_duplicate_routes(const Policy& p, Diagnostics& out) {
  Findings f(out, "routes with the same prefix and source");
  std::map<std::tuple<std::string, std::string, std::string>, const Route*> seen;
  for (const auto& r : p.routes) {
    auto [it, fresh] = seen.emplace(std::make_tuple(r.prefix, r.from_peer, r.from_group), &r);
    if (!fresh)
      f.add(r.defined_at, route_field(r),
            "same prefix and source as the route at line " +
                std::to_string(it->second->defined_at.line) + ": only the first is ever used");
  }
}

void lint_unreachable(const Policy& p, Diagnostics& out) {
  Findings f(out, "routes to peers that can never be reached");
  for (const auto& r : p.routes)
    for (PeerId id : r.to) {
      const Peer& peer = p.peers[id];
      if (!peer.address.is_set() && !peer.can_register())
        f.add(
            r.defined_at, route_field(r),
            "peer '" + peer.name + "' has no address and cannot register: calls to it always fail");
    }
}

// Peers are assumed to route a call back to us when their own plan says so
// (the worst case an operator must rule out): a call that reaches a peer
// already on its path loops. Followed from every route's destinations, hop by
// hop, with each hop's manipulations, up to kMaxLoopHops peers; the router
// never sends a call back to the peer it came from, so two peers are the
// shortest loop. Each (peer, number) state is expanded once, so a large plan
// costs a few lookups per route (a state reached again by another path is
// not re-explored: a loop through it from there was reported, or there is
// none within the hop limit).
constexpr size_t kMaxLoopHops = 6;

class LoopFinder {
 public:
  LoopFinder(const Policy& p, Findings& f) : p_(p), f_(f) {
    explored_.reserve(p.routes.size() * 4);
  }

  void from(PeerId first, const std::string& number) {
    path_.assign(1, Hop{first, number, nullptr});
    walk();
  }

 private:
  struct Hop {
    PeerId peer;
    std::string number;  // as the call arrives from `peer`
    const Route* taken;  // the route that sent it on from this peer
  };

  void walk() {
    Hop& here = path_.back();
    if (!explored_.emplace(here.peer, here.number).second) return;
    const Route* r = route_for(p_, p_.peers[here.peer], here.number);
    if (!r) return;
    here.taken = r;
    for (PeerId d : r->to) {
      if (d == path_.back().peer) continue;  // never back to the source
      auto n = number_at(*r, p_.peers[d], path_.back().number);
      if (!n) continue;
      auto on_path =
          std::find_if(path_.begin(), path_.end(), [&](const Hop& h) { return h.peer == d; });
      if (on_path != path_.end()) {
        report(static_cast<size_t>(on_path - path_.begin()), *r);
        continue;
      }
      if (path_.size() >= kMaxLoopHops) continue;
      path_.push_back(Hop{d, *n, nullptr});
      walk();
      path_.pop_back();
    }
  }

  // path_[first..] then back to path_[first]; `back` is the closing route.
  void report(size_t first, const Route& back) {
    std::set<PeerId> peers;
    for (size_t i = first; i < path_.size(); ++i) peers.insert(path_[i].peer);
    if (!reported_.emplace(peers, path_[first].number).second) return;
    const std::string& n = path_[first].number;
    std::string chain = "peer '" + p_.peers[path_[first].peer].name + "' sends them to '" +
                        p_.peers[path_[first + 1].peer].name + "'";
    for (size_t i = first + 1; i + 1 < path_.size(); ++i)
      chain +=
          ", '" + p_.peers[path_[i].peer].name + "' to '" + p_.peers[path_[i + 1].peer].name + "'";
    const Route& opening = *path_[first].taken;
    f_.add(opening.defined_at, route_field(opening),
           "numbers starting " + (n.empty() ? std::string("(any)") : n) + " can loop: " + chain +
               ", whose route (line " + std::to_string(back.defined_at.line) +
               ") sends them back to '" + p_.peers[path_[first].peer].name + "'");
  }

  const Policy& p_;
  Findings& f_;
  std::vector<Hop> path_;
  struct StateHash {
    size_t operator()(const std::pair<PeerId, std::string>& s) const {
      return std::hash<std::string>()(s.second) * 31 + s.first;
    }
  };
  std::unordered_set<std::pair<PeerId, std::string>, StateHash> explored_;
  std::set<std::pair<std::set<PeerId>, std::string>> reported_;
};

void lint_loops(const Policy& p, Diagnostics& out) {
  Findings f(out, "routes that can loop between peers");
  LoopFinder finder(p, f);
  for (const auto& r : p.routes)
    for (PeerId b : r.to)
      if (auto nb = number_at(r, p.peers[b], r.prefix)) finder.from(b, *nb);
}

// Holes in a number range: below a first digit that has routes but no route
// of its own, the digits 0-9 that start no route (routes for 61 and 63 but
// none for 6 leave 60, 62 and 64-69 unrouted). First digits with no routes
// at all are not reported: a plan that serves only 6xxx and 8xxx means it.
void lint_gaps(const Policy& p, Diagnostics& out) {
  Findings f(out, "number ranges with no route");
  if (p.routes.empty()) {
    f.add({p.source_file, 0, 0}, "routes", "the policy has no routes: every call is refused");
    return;
  }
  std::set<std::string> prefixes;
  for (const auto& r : p.routes) prefixes.insert(r.prefix);
  if (prefixes.count("")) return;  // a default route covers everything
  auto starts_with = [&](const std::string& x) {
    auto it = prefixes.lower_bound(x);
    return it != prefixes.end() && it->compare(0, x.size(), x) == 0;
  };
  // Breadth-first over uncovered prefixes that lead to routes.
  std::vector<std::string> frontier;
  for (char d = '0'; d <= '9'; ++d) {
    const std::string first(1, d);
    if (starts_with(first) && !prefixes.count(first)) frontier.push_back(first);
  }
  size_t visited = 0;
  while (!frontier.empty() && visited < 100000) {
    std::vector<std::string> next;
    for (const auto& x : frontier) {
      ++visited;
      std::string missing;
      for (char d = '0'; d <= '9'; ++d) {
        const std::string child = x + d;
        if (!starts_with(child))
          missing += d;
        else if (!prefixes.count(child))
          next.push_back(child);  // routes below it, but not covered itself
      }
      if (missing.empty()) continue;
      // "0-5,7,9" reads better than "0123457 9".
      std::string ranges;
      for (size_t i = 0; i < missing.size();) {
        size_t j = i;
        while (j + 1 < missing.size() && missing[j + 1] == missing[j] + 1) ++j;
        if (!ranges.empty()) ranges += ",";
        ranges += x + missing[i];
        if (j > i) ranges += std::string("-") + x + missing[j];
        i = j + 1;
      }
      f.add({p.source_file, 0, 0}, "routes",
            "no route for numbers starting " + ranges + " (add a route or a default route)");
    }
    frontier = std::move(next);
  }
}

void lint_peers(const Policy& p, Diagnostics& out) {
  Findings weak(out, "weak passwords");
  Findings wide(out, "trunks trusted by prefixes wider than /24");
  Findings alert(out, "caps with no alert");
  Findings same(out, "peers that override nothing of their template");
  Findings bare(out, "host names without a domain");
  for (const auto& peer : p.peers) {
    // The resolver asks for names as written (no search domains): a bare
    // label is a typo or a name only some local resolver knows.
    auto bare_name = [](const std::string& host) {
      return host.find('.') == std::string::npos || host == host.substr(0, host.find('.')) + ".";
    };
    if (!peer.address.dns_name.empty() && bare_name(peer.address.dns_name))
      bare.add(peer.defined_at, peer_field(peer, "address"),
               "'" + peer.address.dns_name +
                   "' has no domain: it is looked up as written, without search domains");
    if (peer.registration && peer.registration->where.is_name &&
        bare_name(peer.registration->where.host))
      bare.add(peer.defined_at, peer_field(peer, "register.registrar"),
               "'" + peer.registration->where.host +
                   "' has no domain: it is looked up as written, without search domains");
    if (peer.auth.mode == AuthMode::digest && !peer.auth.password.empty())
      if (auto why = password_weakness(peer.auth.username, peer.auth.password))
        weak.add(peer.defined_at, peer_field(peer, "auth.password"), *why);
    if (peer.registration)
      if (auto why = password_weakness(peer.registration->username, peer.registration->password))
        weak.add(peer.defined_at, peer_field(peer, "register.password"), *why);
    if (peer.auth.mode == AuthMode::ip)
      for (const auto& prefix : peer.auth.trusted)
        if (prefix.length < 24)
          wide.add(peer.defined_at, peer_field(peer, "auth.trusted"),
                   "trusts " + prefix.to_string() + ": every host in it can call as '" + peer.name +
                       "' without a password");
    if (peer.channels.max > 0 && !peer.channels.alert_at)
      alert.add(peer.defined_at, peer_field(peer, "channels"),
                "a cap of " + std::to_string(peer.channels.max) +
                    " channels with no alert_at: reaching it will go unnoticed");
    if (peer.cps.rate > 0 && !peer.cps.alert_at)
      alert.add(peer.defined_at, peer_field(peer, "cps"),
                "a calls-per-second cap with no alert_at: reaching it will go unnoticed");
    if (!peer.template_name.empty() && !peer.overrides_template)
      same.add(peer.defined_at, peer_field(peer),
               "sets nothing beyond its template '" + peer.template_name +
                   "': it duplicates the template (missing credentials or address?)");
  }
}

}  // namespace

void lint_policy(const Policy& policy, Diagnostics& out) {
  lint_duplicate_routes(policy, out);
  lint_unreachable(policy, out);
  lint_loops(policy, out);
  lint_gaps(policy, out);
  lint_peers(policy, out);
}

}  // namespace sbc::policy
