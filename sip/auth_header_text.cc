#include "sip/auth_header_text.h"

#include <sofia-sip/msg_header.h>

namespace sbc::sip {

std::string auth_header_text(const msg_auth_t* au) {
  if (!au || !au->au_scheme) return {};
  std::string out = au->au_scheme;
  const char* sep = " ";
  for (const msg_param_t* p = au->au_params; p && *p; ++p) {
    out += sep;
    out += *p;
    sep = ", ";
  }
  return out;
}

}  // namespace sbc::sip
