#include "sip/refer_rewrite.h"

#include <strings.h>

#include <cctype>
#include <cstring>

namespace sbc::sip {
namespace {

bool sip_scheme(const url_t* u) {
  return u && (u->url_type == url_sip || u->url_type == url_sips);
}

// A Replaces header inside the Refer-To URI is already %-escaped (its ';'
// and '@' included); anything outside escaped URI text would break the
// header it is written into.
bool escaped_uri_text(std::string_view v) {
  if (v.empty() || v.size() > 512) return false;
  for (char c : v)
    if (!(isalnum(static_cast<unsigned char>(c)) || strchr("%-_.!~*'()+=:@$,;/", c))) return false;
  return true;
}

// The value of the Replaces header among a URI's "?a=b&c=d" headers.
std::optional<std::string> replaces_of(const char* headers) {
  if (!headers) return std::string();
  std::string_view all(headers);
  while (!all.empty()) {
    size_t amp = all.find('&');
    std::string_view h = all.substr(0, amp);
    all = amp == std::string_view::npos ? std::string_view() : all.substr(amp + 1);
    size_t eq = h.find('=');
    if (eq == std::string_view::npos) continue;
    if (eq == 8 && strncasecmp(h.data(), "Replaces", 8) == 0) {
      std::string v(h.substr(eq + 1));
      if (!escaped_uri_text(v)) return std::nullopt;
      return v;
    }
  }
  return std::string();
}

std::string scheme_of(const url_t* u) {
  return u->url_type == url_sips ? "sips" : "sip";
}

}  // namespace

bool plain_user(std::string_view u) {
  if (u.empty() || u.size() > 64) return false;
  for (char c : u)
    if (!(isalnum(static_cast<unsigned char>(c)) || strchr("-_.!~*'()&=+$,;?/", c))) return false;
  return true;
}

Result<std::string> refer_to_toward(const sip_refer_to_t* r, std::string_view sbc) {
  if (!r) return make_error("no Refer-To");
  const url_t* u = r->r_url;
  if (!sip_scheme(u)) return make_error("Refer-To is not a sip: URI");
  if (!u->url_user || !plain_user(u->url_user))
    return make_error("Refer-To has no user part the SBC can route");
  auto replaces = replaces_of(u->url_headers);
  if (!replaces) return make_error("Refer-To carries a Replaces that is not URI text");
  std::string out = "<" + scheme_of(u) + ":" + u->url_user + "@" + std::string(sbc);
  if (!replaces->empty()) out += "?Replaces=" + *replaces;
  return out + ">";
}

std::optional<std::string> referred_by_toward(const sip_referred_by_t* r, std::string_view sbc) {
  if (!r) return std::nullopt;
  const url_t* u = r->b_url;
  if (!sip_scheme(u) || !u->url_user || !plain_user(u->url_user)) return std::nullopt;
  return "<" + scheme_of(u) + ":" + u->url_user + "@" + std::string(sbc) + ">";
}

std::string sipfrag_status_line(std::string_view body) {
  size_t end = body.find_first_of("\r\n");
  std::string_view line = body.substr(0, end);
  // "SIP/2.0 NNN" at least; a status line and nothing else crosses.
  if (line.size() < 11 || line.size() > 200 || line.substr(0, 8) != "SIP/2.0 ") return {};
  for (size_t i = 8; i < 11; ++i)
    if (!isdigit(static_cast<unsigned char>(line[i]))) return {};
  if (line.size() > 11 && line[11] != ' ') return {};
  for (char c : line)
    if (static_cast<unsigned char>(c) < 0x20) return {};
  return std::string(line) + "\r\n";
}

}  // namespace sbc::sip
