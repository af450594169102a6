#include "policy/member_source.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>

#include "policy/csv_line.h"

namespace sbc::policy {
namespace {

void report(Diagnostics& out, const std::string& file, int line, const std::string& field,
            const std::string& msg) {
  out.push_back({Diagnostic::Severity::error, file, line, line > 0 ? 1 : 0, field, msg});
}

struct Columns {
  int name = -1, username = -1, password = -1, ha1 = -1;
};

// Maps header names to columns; unknown columns are errors like unknown keys.
bool map_columns(const std::vector<std::string>& header, Columns& c, const std::string& file,
                 int line, Diagnostics& out) {
  bool ok = true;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& h = header[i];
    int* slot = h == "name"       ? &c.name
                : h == "username" ? &c.username
                : h == "password" ? &c.password
                : h == "ha1"      ? &c.ha1
                                  : nullptr;
    if (!slot) {
      report(out, file, line, "members." + h,
             "unknown column '" + h + "' (expected name, username, password, ha1)");
      ok = false;
    } else if (*slot >= 0) {
      report(out, file, line, "members." + h, "column '" + h + "' appears twice");
      ok = false;
    } else {
      *slot = static_cast<int>(i);
    }
  }
  if (c.name < 0) {
    report(out, file, line, "members.name", "missing required column 'name'");
    ok = false;
  }
  if (c.password < 0 && c.ha1 < 0) {
    report(out, file, line, "members.password", "needs a 'password' or an 'ha1' column");
    ok = false;
  }
  return ok;
}

bool fill_row(const std::vector<std::string>& f, const Columns& c, MemberRow& row,
              Diagnostics& out) {
  auto get = [&](int i) {
    return i >= 0 && static_cast<size_t>(i) < f.size() ? f[static_cast<size_t>(i)] : std::string();
  };
  row.name = get(c.name);
  row.username = get(c.username);
  row.password = get(c.password);
  row.ha1 = get(c.ha1);
  if (row.name.empty()) {
    report(out, row.at.file, row.at.line, "members.name", "empty name");
    return false;
  }
  if (!row.ha1.empty()) {
    // The same rule as `auth.ha1` in YAML: 32 hex digits, stored lower case.
    const bool hex =
        row.ha1.size() == 32 && std::all_of(row.ha1.begin(), row.ha1.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c));
        });
    if (!hex) {
      report(out, row.at.file, row.at.line, "members." + row.name + ".ha1",
             "expected 32 hex digits (MD5 of username:realm:password)");
      return false;
    }
    for (char& c : row.ha1) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (row.password.empty() == row.ha1.empty()) {
    report(out, row.at.file, row.at.line, "members." + row.name,
           "set exactly one of password or ha1");
    return false;
  }
  return true;
}

}  // namespace

std::vector<MemberRow> parse_members_csv(const std::string& text, const std::string& file,
                                         Diagnostics& out) {
  std::vector<MemberRow> rows;
  Columns cols;
  bool have_header = false, refused = false;
  for_each_csv_record(
      text,
      [&](int line, const std::vector<std::string>& fields) {
        if (!have_header) {
          if (!map_columns(fields, cols, file, line, out)) return refused = true, false;
          have_header = true;
          return true;
        }
        if (rows.size() >= kMaxMemberRows) {
          report(out, file, line, "members",
                 "more than " + std::to_string(kMaxMemberRows) + " members; refused");
          return refused = true, false;
        }
        MemberRow row;
        row.at = {file, line, 1};
        if (fill_row(fields, cols, row, out)) rows.push_back(std::move(row));
        return true;
      },
      [&](int line) {
        report(out, file, line, "members", "malformed CSV line (unbalanced quotes)");
      });
  if (refused) return {};
  if (!have_header) report(out, file, 0, "members", "no header line (name,username,password)");
  return rows;
}

std::vector<MemberRow> read_members(const MembersSpec& spec, Diagnostics& out) {
  // Only regular files: a path to /dev/zero or a FIFO must not hang the load.
  struct stat st {};
  if (stat(spec.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    report(out, spec.path, 0, "members",
           "cannot open members file (missing or not a regular file)");
    return {};
  }
  if (static_cast<size_t>(st.st_size) > kMaxMembersFileBytes) {
    report(out, spec.path, 0, "members",
           "members file is larger than " + std::to_string(kMaxMembersFileBytes) + " bytes");
    return {};
  }
  if (spec.format == MembersSpec::Format::csv) {
    std::ifstream in(spec.path, std::ios::binary);
    std::string text(static_cast<size_t>(st.st_size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    return parse_members_csv(text, spec.path, out);
  }

  sqlite3* raw = nullptr;
  // Read-only and no URI tricks: the policy must not be able to change a
  // database by loading it.
  if (sqlite3_open_v2(spec.path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    report(out, spec.path, 0, "members",
           std::string("cannot open SQLite database: ") +
               (raw ? sqlite3_errmsg(raw) : "out of memory"));
    sqlite3_close(raw);
    return {};
  }
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, sqlite3_close);
  // The table name was checked to be a plain identifier.
  const std::string sql = "SELECT * FROM \"" + spec.table + "\"";
  sqlite3_stmt* stmt_raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt_raw, nullptr) != SQLITE_OK) {
    report(out, spec.path, 0, "members.table",
           "cannot read table '" + spec.table + "': " + sqlite3_errmsg(db.get()));
    return {};
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(stmt_raw, sqlite3_finalize);
  std::vector<std::string> header;
  for (int i = 0; i < sqlite3_column_count(stmt.get()); ++i)
    header.emplace_back(sqlite3_column_name(stmt.get(), i));
  Columns cols;
  if (!map_columns(header, cols, spec.path, 0, out)) return {};
  std::vector<MemberRow> rows;
  std::vector<std::string> fields(header.size());
  int n = 0;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    if (rows.size() >= kMaxMemberRows) {
      report(out, spec.path, 0, "members",
             "more than " + std::to_string(kMaxMemberRows) + " members; refused");
      return {};
    }
    ++n;
    for (size_t i = 0; i < header.size(); ++i) {
      const unsigned char* t = sqlite3_column_text(stmt.get(), static_cast<int>(i));
      fields[i] = t ? reinterpret_cast<const char*>(t) : "";
    }
    MemberRow row;
    row.at = {spec.path, n, 0};  // the row number stands in for a line
    if (fill_row(fields, cols, row, out)) rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    report(out, spec.path, 0, "members",
           std::string("reading table failed: ") + sqlite3_errmsg(db.get()));
    return {};
  }
  return rows;
}

}  // namespace sbc::policy
