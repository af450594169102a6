#include "controlplane/registrar/auth_params.h"

namespace sbc::registrar {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// RFC 3261 token characters.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

// Unquoted parameter values in practice also carry '/', ':', '@' and '='
// (base64 nonces, URIs sent unquoted by sloppy clients); accepting them costs
// nothing because the value is only ever compared or hashed.
bool is_value_char(char c) {
  return is_token_char(c) || c == '/' || c == ':' || c == '@' || c == '=' || c == '?' || c == '[' ||
         c == ']';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }
  void next() { ++i_; }
  void skip_space() {
    while (!done() && is_space(peek())) next();
  }
  size_t pos() const { return i_; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

Error at(const Cursor& c, const std::string& what) {
  return make_error("Authorization header: " + what + " at offset " + std::to_string(c.pos()));
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

const std::string* AuthHeader::find(std::string_view lower_name) const {
  for (const auto& [name, value] : params)
    if (name == lower_name) return &value;
  return nullptr;
}

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

Result<AuthHeader> parse_auth_header(std::string_view text, const AuthParamLimits& limits) {
  if (text.size() > limits.max_input)
    return make_error("Authorization header: longer than " + std::to_string(limits.max_input) +
                      " bytes");
  Cursor c(text);
  AuthHeader out;
  c.skip_space();
  while (!c.done() && is_token_char(c.peek())) {
    out.scheme += c.peek();
    c.next();
  }
  if (out.scheme.empty()) return at(c, "missing auth scheme");
  if (!c.done() && !is_space(c.peek())) return at(c, "invalid character in auth scheme");

  bool need_separator = false;
  for (;;) {
    c.skip_space();
    if (c.done()) break;
    if (c.peek() == ',') {
      // Empty list elements (", ,") are legal in RFC 7230 lists.
      c.next();
      need_separator = false;
      continue;
    }
    if (need_separator) return at(c, "expected ',' between parameters");

    std::string name;
    while (!c.done() && is_token_char(c.peek())) {
      name += lower(c.peek());
      c.next();
    }
    if (name.empty()) return at(c, "invalid character in parameter name");
    if (name.size() > limits.max_value) return at(c, "parameter name too long");
    c.skip_space();
    if (c.done() || c.peek() != '=') return at(c, "missing '=' after '" + name + "'");
    c.next();
    c.skip_space();

    std::string value;
    if (!c.done() && c.peek() == '"') {
      c.next();
      bool closed = false;
      while (!c.done()) {
        char ch = c.peek();
        c.next();
        if (ch == '"') {
          closed = true;
          break;
        }
        if (ch == '\\') {
          if (c.done()) return at(c, "dangling backslash in quoted string");
          ch = c.peek();
          c.next();
        }
        // RFC 3261's quoted-pair would allow escaped control characters
        // other than CR/LF; no credential needs one, and refusing them keeps
        // them out of logs and the database.
        if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7f)
          return at(c, "control character in quoted string");
        value += ch;
        if (value.size() > limits.max_value) return at(c, "value of '" + name + "' too long");
      }
      if (!closed) return at(c, "unterminated quoted string");
    } else {
      while (!c.done() && is_value_char(c.peek())) {
        value += c.peek();
        c.next();
        if (value.size() > limits.max_value) return at(c, "value of '" + name + "' too long");
      }
      if (value.empty()) return at(c, "empty value for '" + name + "'");
    }

    for (const auto& p : out.params)
      if (p.first == name) return at(c, "parameter '" + name + "' given twice");
    if (out.params.size() >= limits.max_params) return at(c, "too many parameters");
    out.params.emplace_back(std::move(name), std::move(value));
    need_separator = true;
  }
  return out;
}

}  // namespace sbc::registrar
