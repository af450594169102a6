#include "controlplane/protection_service.h"

#include <algorithm>
#include <charconv>

#include "controlplane/admin_server.h"
#include "controlplane/json_writer.h"
#include "controlplane/log.h"
#include "policy/duration.h"

namespace sbc::controlplane {
namespace {

std::string remaining_text(std::chrono::milliseconds ms) {
  if (ms.count() == 0) return "permanent";
  return policy::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(ms + std::chrono::milliseconds(999)));
}

}  // namespace

Result<DenyTarget> parse_deny_target(std::string_view text) {
  DenyTarget t;
  std::string_view addr = text;
  if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    std::string_view p = text.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port == 0 || port > 65535)
      return make_error("bad port in '" + std::string(text) + "'");
    t.port = static_cast<uint16_t>(port);
    addr = text.substr(0, colon);
  }
  auto prefix = Ipv4Prefix::parse(addr);
  if (!prefix) return make_error(prefix.error().message);
  t.prefix = *prefix;
  if (t.port && t.prefix.length != 32)
    return make_error("a port goes with a single address, not a prefix: '" + std::string(text) +
                      "'");
  return t;
}

std::string to_string(const DenyTarget& t) {
  std::string s = t.prefix.length == 32 ? t.prefix.address.to_string() : t.prefix.to_string();
  if (t.port) s += ":" + std::to_string(t.port);
  return s;
}

Status ProtectionService::apply_policy(const policy::Policy& p,
                                       const policy::ResolvedSources* resolved) {
  if (!dp_) return ok_status();
  auto f = dataplane::filters_from_policy(p, resolved);
  if (!f) return f.error();
  if (auto s = dp_->apply_filters(*f); !s) return s;
  registered_class_ = f->classes[f->registered_class].name;
  default_class_ = f->default_class;
  flood_ban_ = p.security.flood_ban;
  malformed_ban_ = p.security.malformed_ban;
  log::info("filters_applied", {{"acl_rules", std::to_string(f->rules.size())},
                                {"trust_classes", std::to_string(f->classes.size())}});
  return ok_status();
}

void ProtectionService::on_ban(const registrar::Ban& ban) {
  if (!dp_ || ban.kind == registrar::BanKind::kUsername) return;
  auto t = parse_deny_target(ban.key);
  if (!t) {
    log::warn("ban_not_enforced", {{"who", ban.key}, {"reason", t.error().message}});
    return;
  }
  auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(ban.until - ban.since);
  if (ttl.count() <= 0) return;
  if (auto s = dp_->deny(t->prefix, t->port, ttl, "failed_auth: " + ban.reason); !s) {
    log::warn("ban_not_enforced", {{"who", ban.key}, {"reason", s.error().message}});
    return;
  }
  ++bans_from_auth_;
}

void ProtectionService::on_source_abuse(const dataplane::DataplaneEvent& e) {
  if (!dp_ || e.type != dataplane::EventType::source_abuse) return;
  if (static_cast<int>(e.stream) != default_class_) return;
  report(floods_, flood_ban_, e.remote, "flood: policed", bans_from_abuse_);
}

void ProtectionService::on_malformed_request(Ipv4Address source) {
  if (!dp_) return;
  report(malformed_, malformed_ban_, source, "malformed SIP: answered 400", bans_from_malformed_);
}

void ProtectionService::report(std::map<uint32_t, std::vector<Clock::time_point>>& reports,
                               const policy::AbuseBanPolicy& rule, Ipv4Address source,
                               std::string_view what, uint64_t& bans) {
  if (reports.size() >= kMaxTracked) reports.clear();
  const auto now = Clock::now();
  auto& times = reports[source.value];
  std::erase_if(times, [&](auto t) { return now - t > rule.window; });
  times.push_back(now);
  if (times.size() < rule.threshold) return;
  reports.erase(source.value);
  const std::string reason = std::string(what) + " " + std::to_string(rule.threshold) +
                             " times within " + policy::to_string(rule.window);
  if (auto s = dp_->deny(Ipv4Prefix{source, 32}, 0, rule.ban, reason); !s) {
    log::warn("ban_not_enforced", {{"who", source.to_string()}, {"reason", s.error().message}});
    return;
  }
  ++bans;
  log::warn(
      "banned",
      {{"who", source.to_string()}, {"reason", reason}, {"for", policy::to_string(rule.ban)}});
}

void ProtectionService::on_authenticated(Ipv4Address source, std::chrono::seconds ttl) {
  if (!dp_ || registered_class_.empty()) return;
  // Promotion outlives the bindings by nothing: when they expire unrefreshed,
  // so does the source's class.
  if (ttl.count() <= 0)
    (void)dp_->set_source_trust(source, "", {});
  else
    (void)dp_->set_source_trust(source, registered_class_,
                                std::chrono::duration_cast<std::chrono::milliseconds>(ttl));
}

admin::Reply ProtectionService::bans_command(const std::vector<std::string>& args) const {
  bool json = false;
  for (const auto& a : args) {
    if (a == "--json")
      json = true;
    else
      return {false, "usage: bans [--json]\n"};
  }
  struct Row {
    std::string target, reason, layer;
    std::chrono::milliseconds remaining{0};
  };
  std::vector<Row> rows;
  if (dp_) {
    for (const auto& e : dp_->deny_entries())
      rows.push_back({to_string(DenyTarget{e.prefix, e.port}), e.reason, "dataplane", e.remaining});
  }
  if (failures_) {
    // What only the SIP layer enforces: usernames, and everything when there
    // is no dataplane.
    for (const auto& b : failures_->bans()) {
      if (dp_ && b.kind != registrar::BanKind::kUsername) continue;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          b.until -
          std::chrono::time_point_cast<registrar::Seconds>(std::chrono::system_clock::now()));
      rows.push_back({std::string(registrar::ban_kind_name(b.kind)) + " " + b.key, b.reason, "sip",
                      std::max(left, std::chrono::milliseconds(1))});
    }
  }
  if (json) {
    JsonWriter w;
    w.begin_array();
    for (const auto& r : rows) {
      w.begin_object().key("target").value(r.target).key("layer").value(r.layer);
      w.key("remaining_seconds");
      if (r.remaining.count() == 0)
        w.null();
      else
        w.value(static_cast<double>(r.remaining.count()) / 1000.0);
      w.key("reason").value(r.reason).end_object();
    }
    w.end_array();
    return {true, w.str() + "\n"};
  }
  if (rows.empty()) return {true, "no bans\n"};
  std::string out;
  for (const auto& r : rows)
    out += r.target + "  " + r.layer + "  " + remaining_text(r.remaining) + "  " + r.reason + "\n";
  return {true, out};
}

admin::Reply ProtectionService::ban_command(const std::vector<std::string>& args) {
  static const char* kUsage = "usage: ban PREFIX|ADDRESS[:PORT] [--for DURATION] [--reason TEXT]\n";
  if (args.empty()) return {false, kUsage};
  auto t = parse_deny_target(args[0]);
  if (!t) return {false, t.error().message + "\n" + kUsage};
  std::chrono::milliseconds ttl{0};
  std::string reason = "operator";
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--for" && i + 1 < args.size()) {
      auto d = policy::parse_duration(args[++i]);
      if (!d) return {false, d.error().message + "\n" + kUsage};
      if (d->count() <= 0) return {false, "the duration must be positive\n"};
      ttl = *d;
    } else if (args[i] == "--reason" && i + 1 < args.size()) {
      reason = "operator: " + args[++i];
    } else {
      return {false, kUsage};
    }
  }
  if (dp_) {
    if (auto s = dp_->deny(t->prefix, t->port, ttl, reason); !s)
      return {false, s.error().message + "\n"};
  } else if (t->prefix.length != 32) {
    return {false,
            "without the dataplane only single addresses can be banned (at the SIP layer)\n"};
  }
  if (failures_ && t->prefix.length == 32 && !dp_) {
    // The SIP layer's own list keeps its bans for a fixed time: a permanent
    // operator ban there lasts a year.
    registrar::Seconds d = ttl.count() ? std::chrono::ceil<registrar::Seconds>(ttl)
                                       : registrar::Seconds(365L * 24 * 3600);
    failures_->ban(t->port ? registrar::BanKind::kAddressPort : registrar::BanKind::kAddress,
                   to_string(*t), reason, d);
  }
  log::warn("banned", {{"who", to_string(*t)},
                       {"reason", reason},
                       {"for", ttl.count() ? policy::to_string(ttl) : "permanent"}});
  return {true, "banned " + to_string(*t) + " " +
                    (ttl.count() ? "for " + policy::to_string(ttl) : "until unbanned") + "\n"};
}

admin::Reply ProtectionService::unban_command(const std::vector<std::string>& args) {
  if (args.size() != 1) return {false, "usage: unban PREFIX|ADDRESS[:PORT]\n"};
  auto t = parse_deny_target(args[0]);
  if (!t) return {false, t.error().message + "\n"};
  bool found = false;
  if (dp_) found |= dp_->undeny(t->prefix, t->port);
  // The registrar's own ban on the same source goes too, or the SIP layer
  // would keep refusing what the dataplane now lets through.
  if (failures_ && t->prefix.length == 32)
    found |= failures_->unban(
        t->port ? registrar::BanKind::kAddressPort : registrar::BanKind::kAddress, to_string(*t));
  if (!found) return {false, "no ban on " + to_string(*t) + "\n"};
  log::info("unbanned", {{"who", to_string(*t)}});
  return {true, "unbanned " + to_string(*t) + "\n"};
}

void ProtectionService::register_admin_commands(AdminServer& admin) {
  admin.on("bans",
           "deny list entries and SIP-layer bans: target, layer, time left, reason [--json]",
           [this](const std::vector<std::string>& a) { return bans_command(a); });
  admin.on("ban",
           "ban PREFIX|ADDRESS[:PORT] [--for DURATION] [--reason TEXT]: drop in the dataplane",
           [this](const std::vector<std::string>& a) { return ban_command(a); });
  admin.on("unban", "unban PREFIX|ADDRESS[:PORT]",
           [this](const std::vector<std::string>& a) { return unban_command(a); });
}

}  // namespace sbc::controlplane
