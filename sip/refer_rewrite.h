// What of a REFER (RFC 3515) and of the NOTIFYs that report on it crosses the
// SBC, and how: topology hiding applied to call transfer. Nothing names a
// host of one side on the other: the transfer target and the referrer are
// rewritten to the SBC's own address on the receiving leg (their user parts
// kept, URI headers such as Replaces dropped), so the transferee's new INVITE
// comes to the SBC and is routed by policy like any other call.
#pragma once

#include <sofia-sip/sip.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sbc::sip {

// The Refer-To value for the other leg: "<sip:USER@SBC>", with sbc the SBC's
// host[:port] on that leg. An error when the target cannot be reached that
// way (not a sip/sips URI, no user part, a user part that is not plain text).
Result<std::string> refer_to_toward(const sip_refer_to_t* refer_to, std::string_view sbc);

// The Referred-By value for the other leg ("<sip:USER@SBC>"); nullopt when
// the referrer has no usable user part (the header is then left out).
std::optional<std::string> referred_by_toward(const sip_referred_by_t* referred_by,
                                              std::string_view sbc);

// A NOTIFY's message/sipfrag body reduced to its status line
// ("SIP/2.0 180 Ringing\r\n"): the headers a sipfrag may carry (Via,
// Contact of the new call) belong to the other side. Empty when the body
// does not start with a status line.
std::string sipfrag_status_line(std::string_view body);

// A user part as it may be put in a URI the SBC builds: characters RFC 3261
// allows unescaped in a user part, at most 64 of them.
bool plain_user(std::string_view user);

}  // namespace sbc::sip
