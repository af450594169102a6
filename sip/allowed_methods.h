// The methods the SBC takes, for Allow headers (OPTIONS answers, 501s, the
// B2BUA's INVITEs and 2xx): outside a dialog INVITE, OPTIONS and REGISTER;
// inside a call's dialog BYE, re-INVITE and UPDATE are handled and INFO,
// OPTIONS, MESSAGE, REFER and NOTIFY relayed to the other side; PRACK
// (RFC 3262) in a call's early dialog, relayed to the callee.
#pragma once

namespace sbc::sip {

inline constexpr const char* kAllowedMethods =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO, UPDATE, REFER, NOTIFY, MESSAGE, PRACK";

}  // namespace sbc::sip
