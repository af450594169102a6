// Helpers shared by the policy tests: a minimal valid policy to build on,
// and loading with the source tree's paths.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "policy/loader.h"

namespace sbc::policy::testing {

// Two legs, as in the lab: access 198.18.1.1/24, core 198.18.2.1/24.
inline const char* kLegs = R"(interfaces:
  - name: access
    address: 198.18.1.1/24
    media_ports: 20000-29999
  - name: core
    address: 198.18.2.1/24
    media_ports: 30000-39999
)";

inline LoadResult load(const std::string& body, const std::string& name = "test.yaml") {
  LoadOptions options;
  options.allow_member_files = false;
  return load_policy_text(std::string(kLegs) + body, name, options);
}

// All diagnostics as text, for failure messages and substring checks.
inline std::string dump(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d) out += x.to_string() + "\n";
  return out;
}

inline int count_errors(const Diagnostics& d) {
  int n = 0;
  for (const auto& x : d) n += x.severity == Diagnostic::Severity::error;
  return n;
}

inline int count_warnings(const Diagnostics& d) {
  int n = 0;
  for (const auto& x : d) n += x.severity == Diagnostic::Severity::warning;
  return n;
}

// The first diagnostic whose message contains `text`, or null.
inline const Diagnostic* find(const Diagnostics& d, const std::string& text) {
  for (const auto& x : d)
    if (x.message.find(text) != std::string::npos) return &x;
  return nullptr;
}

// Loads and asserts success (no errors; warnings allowed).
inline PolicyPtr load_ok(const std::string& body) {
  auto r = load(body);
  EXPECT_NE(r.policy, nullptr) << dump(r.diagnostics);
  return r.policy;
}

}  // namespace sbc::policy::testing
