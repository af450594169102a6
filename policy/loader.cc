#include "policy/loader.h"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "policy/linter.h"
#include "policy/section_readers.h"
#include "policy/yaml_guard.h"
#include "policy/yaml_reader.h"

namespace sbc::policy {
namespace {

LoadResult fail(const std::string& file, const std::string& msg) {
  LoadResult r;
  r.diagnostics.push_back({Diagnostic::Severity::error, file, 0, 0, "", msg});
  return r;
}

// Errors in file order read like the file; findings without a line (about
// the whole policy) go last.
void sort_by_position(Diagnostics& d) {
  std::stable_sort(d.begin(), d.end(), [](const Diagnostic& a, const Diagnostic& b) {
    const int la = a.line == 0 ? INT_MAX : a.line, lb = b.line == 0 ? INT_MAX : b.line;
    return std::tie(a.file, la, a.column) < std::tie(b.file, lb, b.column);
  });
}

LoadResult load_one(std::string_view text, const std::string& source_name,
                    const LoadOptions& options);

}  // namespace

LoadResult load_policy_text(std::string_view text, const std::string& source_name,
                            const LoadOptions& options) {
  LoadResult r = load_one(text, source_name, options);
  sort_by_position(r.diagnostics);
  return r;
}

namespace {

LoadResult load_one(std::string_view text, const std::string& source_name,
                    const LoadOptions& options) {
  if (text.size() > kMaxPolicyBytes)
    return fail(source_name, "file is " + std::to_string(text.size()) +
                                 " bytes; a policy may be at most " +
                                 std::to_string(kMaxPolicyBytes) + " bytes");
  if (text.find('\0') != std::string_view::npos)
    return fail(source_name, "file holds NUL bytes: not a YAML text file");

  LoadResult result;
  if (!check_yaml_text(text, source_name, result.diagnostics)) return result;
  YAML::Node root;
  try {
    // Load, not LoadAll: LoadAll never returns on some inputs; the guard
    // has already refused a second document.
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // The guard parsed the same text, so this is not expected; it stays a
    // clean error if yaml-cpp disagrees with itself.
    Diagnostic d{Diagnostic::Severity::error, source_name, 0, 0, "", "YAML syntax: " + e.msg};
    if (!e.mark.is_null()) {
      d.line = e.mark.line + 1;
      d.column = e.mark.column + 1;
    }
    result.diagnostics.push_back(std::move(d));
    return result;
  }
  if (!root.IsDefined() || root.IsNull()) return fail(source_name, "the policy is empty");

  YamlReader r(source_name, result.diagnostics);
  auto policy = std::make_shared<Policy>();
  policy->source_file = source_name;
  if (!r.expect_map(root, "",
                    {"interfaces", "timers", "media", "security", "templates", "peers", "routes",
                     "route_files"}))
    return result;
  // Order matters: each section checks its references against the ones
  // before it (peers name legs, routes name peers).
  if (auto v = r.required(root, "", "interfaces"); v.IsDefined()) read_interfaces(r, v, *policy, options);
  read_timers(r, root["timers"], *policy);
  read_media(r, root["media"], *policy);
  read_security(r, root["security"], *policy);
  read_peers(r, root["templates"], root["peers"], *policy, options);
  policy->build_indexes();
  read_routes(r, root["routes"], *policy);
  read_route_files(r, root["route_files"], *policy, options);
  policy->build_indexes();

  if (has_errors(result.diagnostics)) return result;
  lint_policy(*policy, result.diagnostics);
  result.policy = std::move(policy);
  return result;
}

}  // namespace

LoadResult load_policy_text(std::string_view text, const std::string& source_name) {
  LoadOptions options;
  options.base_dir = std::filesystem::path(source_name).parent_path().string();
  if (options.base_dir.empty()) options.base_dir = ".";
  return load_policy_text(text, source_name, options);
}

LoadResult load_policy_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    return fail(path, "not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path, "cannot open file");
  // Read at most one byte past the limit so a huge file is refused without
  // reading all of it.
  std::string text(kMaxPolicyBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxPolicyBytes)
    return fail(path, "file is larger than " + std::to_string(kMaxPolicyBytes) + " bytes; refused");
  return load_policy_text(text, path);
}

}  // namespace sbc::policy
