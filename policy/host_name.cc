#include "policy/host_name.h"

#include <cctype>

#include "common/ip_address.h"

namespace sbc::policy {

bool valid_host_name(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  bool has_alpha = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (c == '-' && label == 0) return false;
    if (std::isalpha(static_cast<unsigned char>(c))) has_alpha = true;
    if (++label > 63) return false;
  }
  return has_alpha && s.back() != '-';
}

Result<HostPort> parse_registrar(std::string_view r) {
  std::string_view s = r;
  if (s.starts_with("sip:")) s.remove_prefix(4);
  if (auto at = s.find('@'); at != std::string_view::npos) s.remove_prefix(at + 1);
  if (auto end = s.find_first_of(";?>"); end != std::string_view::npos) s = s.substr(0, end);
  HostPort hp;
  std::string_view host = s;
  if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    std::string_view digits = s.substr(colon + 1);
    uint32_t port = 0;
    bool ok = !digits.empty() && digits.size() <= 5;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) ok = false;
      port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (!ok || port == 0 || port > 65535)
      return make_error("'" + std::string(digits) + "' is not a port (1-65535)");
    hp.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) return make_error("no host in '" + std::string(r) + "'");
  hp.host = std::string(host);
  if (Ipv4Address::parse(host)) return hp;
  if (!valid_host_name(host))
    return make_error("'" + std::string(host) +
                      "' is neither an IPv4 address nor a valid host name (labels of letters, "
                      "digits and hyphens, separated by dots)");
  hp.is_name = true;
  return hp;
}

}  // namespace sbc::policy
