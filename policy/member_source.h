// Members of a template loaded from a file instead of YAML: at tens of
// thousands of phones an operator keeps credentials in a CSV export or an
// SQLite database, and the policy names the file.
#pragma once

#include <string>
#include <vector>

#include "policy/diagnostic.h"
#include "policy/source_position.h"

namespace sbc::policy {

struct MemberRow {
  std::string name;
  std::string username;  // defaults to name
  std::string password;  // one of password or ha1
  std::string ha1;
  SourcePosition at;  // CSV: file and line; SQLite: file and row number in `line`
};

struct MembersSpec {
  enum class Format { csv, sqlite };
  Format format = Format::csv;
  std::string path;   // as resolved against the policy's directory
  std::string table;  // sqlite only
};

inline constexpr size_t kMaxMembersFileBytes = 256u << 20;
inline constexpr size_t kMaxMemberRows = 1'000'000;

// Reads every row; rows with errors are reported (file, line, column name)
// and left out.
std::vector<MemberRow> read_members(const MembersSpec& spec, Diagnostics& out);

// CSV text as read_members parses it (exposed for tests and fuzzing).
std::vector<MemberRow> parse_members_csv(const std::string& text, const std::string& file,
                                         Diagnostics& out);

}  // namespace sbc::policy
