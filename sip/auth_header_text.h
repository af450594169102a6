// The value of an Authorization / Proxy-Authorization / WWW-Authenticate /
// Proxy-Authenticate header as text ("Digest realm=..., nonce=..."), built
// from the parsed scheme and parameters.
//
// Why not sip_header_as_string(): Debian's Sofia (1.12.11) drops an unquoted
// `qop=auth` when it is the last parameter ("..., nc=00000001, qop=auth"
// prints as "..., nc=00000001, "), so a phone that orders its parameters that
// way was refused 400 (nc/cnonce without qop). Found by the acceptance suite's
// user agent; tests/sip/auth_header_text_test.cc pins both behaviours.
#pragma once

#include <sofia-sip/msg_types.h>

#include <string>

namespace sbc::sip {

// Empty for a null header. Only the first header of a list.
std::string auth_header_text(const msg_auth_t* au);

}  // namespace sbc::sip
