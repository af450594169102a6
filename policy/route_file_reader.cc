// `route_files`: route plans in CSV, for plans of 100,000 prefixes that
// would take seconds to parse as YAML. Same checks as YAML routes; errors
// point at the CSV file, line and column name.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include "policy/csv_line.h"
#include "policy/section_readers.h"

namespace sbc::policy {
namespace {

inline constexpr size_t kMaxRouteFileBytes = 256u << 20;

enum Column {
  kPrefix,
  kTo,
  kFrom,
  kFromGroup,
  kEmergency,
  kStrip,
  kPrepend,
  kCallerStrip,
  kCallerPrepend,
  kCallerId,
  kColumns
};
constexpr const char* kColumnNames[kColumns] = {
    "prefix", "to",      "from",         "from_group",     "emergency",
    "strip",  "prepend", "caller_strip", "caller_prepend", "caller_id"};

class RouteFile {
 public:
  RouteFile(std::string file, Diagnostics& out, Policy& p)
      : file_(std::move(file)), out_(out), p_(p) {
    for (const auto& peer : p.peers) groups_.insert(peer.groups.begin(), peer.groups.end());
  }

  void parse(std::string_view text) {
    for_each_csv_record(
        text, [&](int line, const std::vector<std::string>& f) { return record(line, f); },
        [&](int line) { error(line, "routes", "malformed CSV line (unbalanced quotes)"); });
    if (!have_header_ && !failed_) error(0, "routes", "no header line (prefix,to,...)");
  }

 private:
  void error(int line, const std::string& field, const std::string& msg) {
    out_.push_back({Diagnostic::Severity::error, file_, line, line > 0 ? 1 : 0, field, msg});
  }

  bool header(int line, const std::vector<std::string>& f) {
    std::fill(std::begin(col_), std::end(col_), -1);
    for (size_t i = 0; i < f.size(); ++i) {
      auto it = std::find_if(std::begin(kColumnNames), std::end(kColumnNames),
                             [&](const char* n) { return f[i] == n; });
      if (it == std::end(kColumnNames)) {
        error(line, "routes." + f[i], "unknown column '" + f[i] + "'");
        failed_ = true;
        continue;
      }
      const auto c = static_cast<size_t>(it - std::begin(kColumnNames));
      if (col_[c] >= 0) {
        error(line, "routes." + f[i], "column '" + f[i] + "' appears twice");
        failed_ = true;
      }
      col_[c] = static_cast<int>(i);
    }
    for (Column c : {kPrefix, kTo})
      if (col_[c] < 0) {
        error(line, std::string("routes.") + kColumnNames[c],
              std::string("missing required column '") + kColumnNames[c] + "'");
        failed_ = true;
      }
    have_header_ = true;
    return !failed_;
  }

  const std::string& get(const std::vector<std::string>& f, Column c) {
    static const std::string kEmpty;
    return col_[c] >= 0 && static_cast<size_t>(col_[c]) < f.size() ? f[static_cast<size_t>(col_[c])]
                                                                   : kEmpty;
  }

  bool count(int line, const std::string& v, Column c, uint32_t& out) {
    if (v.empty()) return true;
    if (v.size() > 2 || !std::all_of(v.begin(), v.end(), ::isdigit) || std::stoi(v) > 32) {
      error(line, std::string("routes.") + kColumnNames[c], "expected 0-32, got '" + v + "'");
      return false;
    }
    out = static_cast<uint32_t>(std::stoi(v));
    return true;
  }

  bool digits(int line, const std::string& v, Column c) {
    if (std::all_of(v.begin(), v.end(), is_dial_char)) return true;
    error(line, std::string("routes.") + kColumnNames[c],
          "'" + v + "' holds characters other than 0-9 * # +");
    return false;
  }

  bool record(int line, const std::vector<std::string>& f) {
    if (!have_header_) return header(line, f);
    Route route;
    route.defined_at = {file_, line, 1};
    bool ok = true;
    const std::string& prefix = get(f, kPrefix);
    if (auto why = prefix_error(prefix)) {
      error(line, "routes.prefix", *why);
      ok = false;
    } else {
      route.prefix = prefix == "default" ? "" : prefix;
    }
    const std::string& from = get(f, kFrom);
    const std::string& group = get(f, kFromGroup);
    if (!from.empty() && !group.empty()) {
      error(line, "routes.from", "set from or from_group, not both");
      ok = false;
    } else if (!from.empty() && !p_.find_peer(from)) {
      error(line, "routes.from", "unknown peer '" + from + "'");
      ok = false;
    } else if (!group.empty() && !groups_.count(group)) {
      error(line, "routes.from_group", "no peer is in group '" + group + "'");
      ok = false;
    }
    route.from_peer = from;
    route.from_group = group;
    // Destinations in failover order, separated by ';' (',' separates columns).
    const std::string& to = get(f, kTo);
    size_t start = 0;
    while (start <= to.size()) {
      size_t end = to.find(';', start);
      if (end == std::string::npos) end = to.size();
      const std::string name = to.substr(start, end - start);
      start = end + 1;
      if (name.empty()) continue;
      const Peer* peer = p_.find_peer(name);
      if (!peer) {
        error(line, "routes.to", "unknown peer '" + name + "'");
        ok = false;
      } else if (std::find(route.to.begin(), route.to.end(), peer->id) != route.to.end()) {
        error(line, "routes.to", "peer '" + name + "' listed twice");
        ok = false;
      } else {
        route.to.push_back(peer->id);
      }
    }
    if (route.to.empty() && ok) {
      error(line, "routes.to", "a route needs at least one destination");
      ok = false;
    }
    const std::string& em = get(f, kEmergency);
    if (em == "true")
      route.emergency = true;
    else if (!em.empty() && em != "false") {
      error(line, "routes.emergency", "expected true or false, got '" + em + "'");
      ok = false;
    }
    ok = count(line, get(f, kStrip), kStrip, route.manipulation.called.strip) && ok;
    ok = count(line, get(f, kCallerStrip), kCallerStrip, route.manipulation.caller.strip) && ok;
    for (Column c : {kPrepend, kCallerPrepend, kCallerId}) ok = digits(line, get(f, c), c) && ok;
    route.manipulation.called.prepend = get(f, kPrepend);
    route.manipulation.caller.prepend = get(f, kCallerPrepend);
    if (!get(f, kCallerId).empty()) route.manipulation.caller_id = get(f, kCallerId);
    if (ok) p_.routes.push_back(std::move(route));
    return true;
  }

  std::string file_;
  Diagnostics& out_;
  Policy& p_;
  std::unordered_set<std::string> groups_;
  int col_[kColumns];
  bool have_header_ = false;
  bool failed_ = false;
};

}  // namespace

void parse_route_csv(std::string_view text, const std::string& file, Policy& p, Diagnostics& out) {
  RouteFile(file, out, p).parse(text);
}

void read_route_files(YamlReader& r, const YAML::Node& list, Policy& p,
                      const LoadOptions& options) {
  if (!list.IsDefined() || list.IsNull()) return;
  if (!r.expect_sequence(list, "route_files")) return;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string f = indexed("route_files", i);
    if (!r.expect_map(n, f, {"csv"})) continue;
    const YAML::Node v = r.required(n, f, "csv");
    if (!v.IsDefined()) continue;
    auto path = r.string(v, f + ".csv");
    if (!path || path->empty()) continue;
    if (!options.allow_member_files) {
      r.error(v, f + ".csv", "route files are disabled for this load");
      continue;
    }
    std::filesystem::path fp(*path);
    if (fp.is_relative()) fp = std::filesystem::path(options.base_dir) / fp;
    const std::string file = fp.lexically_normal().string();
    struct stat st {};
    if (stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      r.error(v, f + ".csv", "cannot open route file " + file + " (missing or not a regular file)");
      continue;
    }
    if (static_cast<size_t>(st.st_size) > kMaxRouteFileBytes) {
      r.error(v, f + ".csv",
              "route file " + file + " is larger than " + std::to_string(kMaxRouteFileBytes) +
                  " bytes");
      continue;
    }
    std::ifstream in(file, std::ios::binary);
    std::string text(static_cast<size_t>(st.st_size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    parse_route_csv(text, file, p, r.diagnostics());
  }
}

}  // namespace sbc::policy
