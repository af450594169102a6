#include "sip/refer_rewrite.h"

#include <strings.h>

#include <cctype>
#include <cstring>

namespace sbc::sip {
namespace {

bool sip_scheme(const url_t* u) {
  return u && (u->url_type == url_sip || u->url_type == url_sips);
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
  // URI headers stay behind, Replaces included: it names the referrer's
  // side's dialog (a Call-ID "id@host" shows a host of that side), which the
  // transferee's new INVITE could not use across the SBC anyway.
  return "<" + scheme_of(u) + ":" + u->url_user + "@" + std::string(sbc) + ">";
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
