// The caller's identity at the trust boundary (RFC 3325, RFC 3323): which
// P-Asserted-Identity and Privacy cross from one leg to the other. Trunks
// identified by their source address form the SBC's trust domain; phones
// (digest) do not. Pure: the B2BUA decides, the nta adapter writes headers.
#pragma once

#include <string>
#include <string_view>

namespace sbc::sip {

struct CallerIdentity {
  std::string asserted;    // P-Asserted-Identity value ("<sip:+4930123@host>"); empty: none
  std::string privacy;     // Privacy value ("id", "id;header"); empty: none
  bool anonymous = false;  // the From user must be "anonymous" on this leg
};

// Whether a Privacy value asks for the identity to be withheld ("id", or the
// stronger "user"/"header" levels of RFC 3323).
bool privacy_hides_identity(std::string_view privacy);

// What goes toward the callee. received: the INVITE's headers.
// sbc_asserted: the identity the SBC itself vouches for when the caller is
// outside the trust domain (its verified user); an untrusted caller's own
// P-Asserted-Identity is never believed. Toward a trusted peer the asserted
// identity and Privacy go on (the trust domain applies the privacy);
// toward an untrusted one P-Asserted-Identity is removed, and when Privacy
// asks for it the caller is anonymous in From too.
CallerIdentity identity_toward_callee(const CallerIdentity& received, bool from_trusted,
                                      bool to_trusted, std::string_view sbc_asserted);

// A header value taken from the wire made safe to write into another message
// (no line breaks, bounded); empty when it cannot be.
std::string safe_header_value(std::string_view v);

}  // namespace sbc::sip
