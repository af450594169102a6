// The loader's readers, one per top-level section of a policy file. Each
// reads its section into the Policy and records every problem it finds in
// the reader's diagnostics; none stops at the first error. They run in the
// order of the declarations below, so later sections can check references to
// earlier ones (a peer's leg, a route's peers).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "policy/policy.h"
#include "policy/yaml_reader.h"

namespace sbc::policy {

struct LoadOptions {
  // Where a template's members file (CSV or SQLite) is looked up when its
  // path is relative: the policy file's directory.
  std::string base_dir = ".";
  // Off for fuzzing and for policies from untrusted text: members and route
  // files are then refused instead of opened, and a TLS listener's
  // certificate directory is not looked at.
  bool allow_member_files = true;
};

// options: a TLS listener's certificate directory is resolved against
// base_dir and checked unless allow_member_files is off (untrusted text).
void read_interfaces(YamlReader& r, const YAML::Node& list, Policy& p, const LoadOptions& options);
void read_timers(YamlReader& r, const YAML::Node& map, Policy& p);
void read_media(YamlReader& r, const YAML::Node& map, Policy& p);
void read_security(YamlReader& r, const YAML::Node& map, Policy& p);
// Templates and peers together: peers need the resolved templates, and a
// template's members become peers.
void read_peers(YamlReader& r, const YAML::Node& templates, const YAML::Node& peers, Policy& p,
                const LoadOptions& options);
void read_routes(YamlReader& r, const YAML::Node& list, Policy& p);
// Route plans too large for YAML (100,000 YAML routes take seconds to parse
// with yaml-cpp, perf/README.md "Policy") come from CSV files named in
// `route_files`; read after `routes`.
void read_route_files(YamlReader& r, const YAML::Node& list, Policy& p, const LoadOptions& options);
// Route CSV text as read_route_files parses it, adding to p.routes (exposed
// for tests and fuzzing; p's peer indexes must be built).
void parse_route_csv(std::string_view text, const std::string& file, Policy& p, Diagnostics& out);
// Why a route prefix is invalid, or nullopt ("default" is valid).
std::optional<std::string> prefix_error(const std::string& prefix);
// A `manipulation` map (strip, prepend, caller_strip, caller_prepend, caller_id).
std::optional<Manipulation> read_manipulation(YamlReader& r, const YAML::Node& n,
                                              const std::string& field);

inline std::string indexed(const std::string& field, size_t i) {
  return field + "[" + std::to_string(i) + "]";
}

}  // namespace sbc::policy
