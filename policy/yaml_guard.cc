#include "policy/yaml_guard.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sbc::policy {
namespace {

Diagnostic at(const std::string& file, int line, int column, std::string message) {
  return {Diagnostic::Severity::error, file, line, column, "", std::move(message)};
}

// First invalid UTF-8 sequence as (line, column), or line 0 when valid.
// Overlong forms, surrogates and code points above U+10FFFF are invalid.
std::pair<int, int> first_bad_utf8(std::string_view s) {
  int line = 1, col = 1;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return {line, col};
    }
    if (i + len > s.size()) return {line, col};
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return {line, col};
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {line, col};
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    i += len;
  }
  return {0, 0};
}

// One linear pass over the text before any recursive parser runs:
//  - a cheap upper bound on nesting: flow brackets outside quotes and
//    comments, block indentation, and compact nested sequence entries
//    ("- - - x"). It overestimates (indentation of 40 columns need not mean
//    40 levels), so its limits are generous; with aliases present the exact
//    limit is enforced on parser events below;
//  - a ',' starting a line outside flow collections: invalid YAML (no plain
//    scalar starts with ','), and yaml-cpp 0.7 loops forever on it at
//    document level (found by fuzz_policy_loader);
//  - whether the text may hold an alias.
// Block scalars (| and >) are skipped: their lines are text, not structure.
bool prescan_text(std::string_view s, const std::string& file, Diagnostics& out, bool& has_alias) {
  constexpr int kMaxFlow = kMaxYamlDepth;
  constexpr size_t kMaxIndent = 256;
  constexpr int kMaxCompact = kMaxYamlDepth;
  int flow = 0, line = 1;
  // Quoted scalars may span lines, so the quote state does too. Should it be
  // fooled (a quote the scan misreads), the bound is still yaml-cpp's own
  // recursion guard (2,000 levels, a clean exception).
  char quote = 0;
  int block_scalar_indent = -1;  // >= 0 while inside a block scalar
  bool seen_content = false, ended = false;
  size_t pos = 0;
  for (; pos <= s.size(); ++line) {
    size_t end = s.find('\n', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view l = s.substr(pos, end - pos);
    pos = end + 1;
    size_t indent = 0;
    while (indent < l.size() && l[indent] == ' ') ++indent;
    if (block_scalar_indent >= 0) {
      const bool blank = indent == l.size() || l[indent] == '\r';
      if (blank || static_cast<int>(indent) > block_scalar_indent) continue;
      block_scalar_indent = -1;
    }
    // Document markers at column 0: a second document is refused here,
    // because asking yaml-cpp for all documents (LoadAll) loops forever on
    // some inputs (a stray ',' at document level yields endless empty
    // documents), and the loader only reads the first one.
    const bool marker = l.size() >= 3 && (l.substr(0, 3) == "---" || l.substr(0, 3) == "...") &&
                        (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    if (!quote && marker) {
      if (l[0] == '.') {
        ended = true;
      } else if (seen_content || ended) {
        out.push_back(at(file, line, 1, "the file holds more than one YAML document"));
        return false;
      } else {
        seen_content = true;  // "--- value" or "---" then content: one document
      }
      continue;
    }
    if (!quote && indent < l.size() && l[indent] != '#' && l[indent] != '\r' && l[0] != '%') {
      if (ended) {
        out.push_back(at(file, line, 1, "content after the end of the document ('...')"));
        return false;
      }
      seen_content = true;
    }
    if (!quote && flow == 0 && indent < l.size() && l[indent] == ',') {
      out.push_back(at(file, line, static_cast<int>(indent) + 1, "a value may not start with ','"));
      return false;
    }
    if (indent > kMaxIndent && indent < l.size() && l[indent] != '#') {
      out.push_back(at(file, line, static_cast<int>(indent) + 1,
                       "indented more than " + std::to_string(kMaxIndent) +
                           " columns: nesting too deep for a policy"));
      return false;
    }
    int compact = 0;
    size_t k = indent;
    while (k + 1 < l.size() && (l[k] == '-' || l[k] == '?') &&
           (l[k + 1] == ' ' || l[k + 1] == '\t')) {
      ++compact;
      k += 2;
      while (k < l.size() && l[k] == ' ') ++k;
    }
    if (compact > kMaxCompact) {
      out.push_back(at(file, line, static_cast<int>(k) + 1, "nested sequences too deep"));
      return false;
    }
    size_t content_end = l.size();  // before a trailing comment
    for (size_t i = 0; i < l.size(); ++i) {
      const char c = l[i];
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '#' && (i == 0 || l[i - 1] == ' ' || l[i - 1] == '\t')) {
        content_end = i;
        break;
      }
      if ((c == '"' || c == '\'') &&
          (i == 0 || std::string_view(" \t[{,:").find(l[i - 1]) != std::string_view::npos)) {
        quote = c;
      } else if (c == '[' || c == '{') {
        if (++flow > kMaxFlow) {
          out.push_back(at(file, line, static_cast<int>(i) + 1,
                           "more than " + std::to_string(kMaxFlow) + " nested [ or {"));
          return false;
        }
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      } else if (c == '*' && i + 1 < l.size() && l[i + 1] != ' ' &&
                 (i == 0 || std::string_view(" \t[{,").find(l[i - 1]) != std::string_view::npos)) {
        // Where a node may start, '*' can only be an alias (a plain scalar
        // may not begin with it).
        has_alias = true;
      }
    }
    // "key: |", "- >-", "key: |2": the following, more indented lines are a
    // block scalar's text.
    if (!quote && flow == 0) {
      std::string_view c = l.substr(0, content_end);
      while (!c.empty() && (c.back() == ' ' || c.back() == '\t' || c.back() == '\r'))
        c.remove_suffix(1);
      size_t j = c.size();
      while (j > 0 && j + 2 > c.size() &&
             (c[j - 1] == '+' || c[j - 1] == '-' || (c[j - 1] >= '1' && c[j - 1] <= '9')))
        --j;
      if (j > 0 && (c[j - 1] == '|' || c[j - 1] == '>') &&
          (j == 1 || c[j - 2] == ' ' || c[j - 2] == '\t'))
        block_scalar_indent = static_cast<int>(indent);
    }
  }
  return true;
}

// Walks parser events (no tree): depth, duplicate keys, alias expansion,
// number of documents.
class EventChecker : public YAML::EventHandler {
 public:
  EventChecker(const std::string& file, Diagnostics& out) : file_(file), out_(out) {}

  bool failed() const { return fatal_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { leaf(m, a, nullptr); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                const std::string& value) override {
    leaf(m, a, &value);
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t a) override {
    const size_t size = a < anchor_size_.size() ? anchor_size_[a] : 1;
    note_key(m, nullptr);
    add_nodes(m, size);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                       YAML::EmitterStyle::value) override {
    open(m, a, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                  YAML::EmitterStyle::value) override {
    open(m, a, true);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    bool is_map;
    bool expect_key = true;
    YAML::anchor_t anchor;
    size_t nodes_at_start;
    std::unordered_set<std::string> keys;
    std::string key;      // maps: the key whose value is being read
    size_t children = 0;  // sequences: entries so far
  };

  // The dotted field path of the node being read, as the loader names
  // fields ("peers[2].auth").
  std::string path() const {
    std::string out;
    for (const Frame& f : stack_) {
      if (f.is_map) {
        if (!f.key.empty()) out += (out.empty() ? "" : ".") + f.key;
      } else if (f.children > 0) {
        out += "[" + std::to_string(f.children - 1) + "]";
      }
    }
    return out;
  }

  void leaf(const YAML::Mark& m, YAML::anchor_t a, const std::string* value) {
    note_key(m, value);
    add_nodes(m, 1);
    set_anchor(a, 1);
  }

  // In a map, events alternate key, value; a scalar in key position is
  // checked against the keys already seen in that map.
  void note_key(const YAML::Mark& m, const std::string* value) {
    if (stack_.empty()) return;
    Frame& f = stack_.back();
    if (!f.is_map) {
      ++f.children;
      return;
    }
    if (f.expect_key) {
      f.key = value ? *value : "?";
      if (value && !f.keys.insert(*value).second) {
        Diagnostic d = at(file_, m.line + 1, m.column + 1,
                          "duplicate key '" + *value + "' (the first one would silently win)");
        d.field = path();
        out_.push_back(std::move(d));
      }
    }
    f.expect_key = !f.expect_key;
  }

  void open(const YAML::Mark& m, YAML::anchor_t a, bool is_map) {
    note_key(m, nullptr);
    add_nodes(m, 1);
    if (static_cast<int>(stack_.size()) >= kMaxYamlDepth && !fatal_) {
      out_.push_back(at(file_, m.line + 1, m.column + 1,
                        "nested more than " + std::to_string(kMaxYamlDepth) + " levels deep"));
      fatal_ = true;
    }
    stack_.push_back({is_map, true, a, nodes_ - 1, {}, {}, 0});
  }

  void close() {
    if (stack_.empty()) return;
    const Frame& f = stack_.back();
    set_anchor(f.anchor, nodes_ - f.nodes_at_start);
    stack_.pop_back();
  }

  void set_anchor(YAML::anchor_t a, size_t size) {
    if (a == YAML::NullAnchor) return;
    if (anchor_size_.size() <= a) anchor_size_.resize(a + 1, 1);
    anchor_size_[a] = size;
  }

  void add_nodes(const YAML::Mark& m, size_t n) {
    // Saturating: once over the limit the count only has to stay over it,
    // and alias sizes can grow exponentially.
    nodes_ = std::min(nodes_ + std::min(n, kMaxExpandedNodes + 1), 2 * kMaxExpandedNodes + 2);
    if (nodes_ > kMaxExpandedNodes && !fatal_) {
      out_.push_back(at(file_, m.line + 1, m.column + 1,
                        "the document expands to more than " + std::to_string(kMaxExpandedNodes) +
                            " nodes (aliases referring to aliases?)"));
      fatal_ = true;
    }
  }

  const std::string& file_;
  Diagnostics& out_;
  std::vector<Frame> stack_;
  std::vector<size_t> anchor_size_;
  size_t nodes_ = 0;
  bool fatal_ = false;
};

}  // namespace

bool check_yaml_text(std::string_view text, const std::string& file, Diagnostics& out) {
  if (auto [line, col] = first_bad_utf8(text); line != 0) {
    out.push_back(at(file, line, col, "not valid UTF-8 (a policy is a UTF-8 text file)"));
    return false;
  }
  bool has_alias = false;
  if (!prescan_text(text, file, out, has_alias)) return false;
  // Without aliases the tree is no bigger than the text and the prescan has
  // bounded its depth: the event pass (a second full parse, as slow as the
  // first) adds nothing the loader's own checks do not. Duplicate keys are
  // then found where the loader reads each map (YamlReader::expect_map).
  if (!has_alias) return true;
  bool fatal = false;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    EventChecker checker(file, out);
    // The checker stops adding errors after a fatal one, but the parser still
    // runs to the end of the document: every event is O(1) so that is bounded
    // by the text size.
    if (parser.HandleNextDocument(checker) && !checker.failed()) {
      EventChecker rest(file, out);
      if (parser.HandleNextDocument(rest)) {
        out.push_back(at(file, 0, 0, "the file holds more than one YAML document"));
        fatal = true;
      }
    }
    fatal = fatal || checker.failed();
  } catch (const YAML::Exception& e) {
    Diagnostic d = at(file, 0, 0, "YAML syntax: " + e.msg);
    if (!e.mark.is_null()) {
      d.line = e.mark.line + 1;
      d.column = e.mark.column + 1;
    }
    out.push_back(std::move(d));
    fatal = true;
  }
  // Duplicate keys are errors but not fatal: the tree is still safe to read,
  // and reading it finds the other errors in the same run.
  return !fatal;
}

}  // namespace sbc::policy
