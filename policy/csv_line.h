// The small CSV dialect of members and route files: one record per line,
// comma separated, fields optionally in double quotes with "" for a quote,
// CRLF accepted, '#' lines and blank lines skipped. Records never span lines
// (credentials and prefixes hold no newlines), which keeps errors on the
// line an operator can find.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sbc::policy {

// Splits one line; false when its quotes are unbalanced or text follows a
// closing quote.
bool split_csv_line(std::string_view line, std::vector<std::string>& fields);

// Calls `on_record(line_number, fields)` for every record line, and
// `on_error(line_number)` for malformed ones.
template <class OnRecord, class OnError>
void for_each_csv_record(std::string_view text, OnRecord&& on_record, OnError&& on_error) {
  std::vector<std::string> fields;
  size_t pos = 0;
  int line = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view l = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (l.empty() || l == "\r" || l[0] == '#') continue;
    if (!split_csv_line(l, fields)) {
      on_error(line);
      continue;
    }
    if (!on_record(line, fields)) return;
  }
}

}  // namespace sbc::policy
