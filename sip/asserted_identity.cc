#include "sip/asserted_identity.h"

#include <strings.h>

#include <cstring>

namespace sbc::sip {

bool privacy_hides_identity(std::string_view privacy) {
  size_t pos = 0;
  while (pos <= privacy.size()) {
    size_t end = privacy.find(';', pos);
    if (end == std::string_view::npos) end = privacy.size();
    std::string_view v = privacy.substr(pos, end - pos);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    for (const char* level : {"id", "user", "header"})
      if (v.size() == strlen(level) && strncasecmp(v.data(), level, v.size()) == 0) return true;
    pos = end + 1;
  }
  return false;
}

std::string safe_header_value(std::string_view v) {
  // A value is one line: a break in it could add headers to our message.
  if (v.size() > 512 || v.find_first_of("\r\n") != std::string_view::npos) return {};
  return std::string(v);
}

CallerIdentity identity_toward_callee(const CallerIdentity& received, bool from_trusted,
                                      bool to_trusted, std::string_view sbc_asserted) {
  CallerIdentity out;
  out.privacy = safe_header_value(received.privacy);
  const bool hide = privacy_hides_identity(out.privacy);
  if (to_trusted) {
    out.asserted =
        from_trusted ? safe_header_value(received.asserted) : safe_header_value(sbc_asserted);
  } else {
    out.anonymous = hide;  // P-Asserted-Identity never leaves the trust domain
  }
  return out;
}

}  // namespace sbc::sip
