// A REGISTER as the location store needs it, already taken apart by the SIP
// layer (Sofia's sip_contact_t, sip_expires_t, ...), plus the parsers for the
// two numeric fields whose text the SIP layer hands over raw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "controlplane/registrar/source.h"

namespace sbc::registrar {

struct ContactSpec {
  std::string uri;
  std::optional<uint32_t> expires;  // ;expires= parameter
  std::optional<uint16_t> q;        // ;q= in thousandths
  std::string instance_id;          // ;+sip.instance= (unquoted)
  std::optional<uint32_t> reg_id;   // ;reg-id=
};

struct RegisterRequest {
  std::string aor;  // canonical To URI (sip:user@domain)
  std::string call_id;
  uint32_t cseq = 0;
  bool star = false;  // Contact: *
  std::optional<uint32_t> expires_header;
  std::vector<ContactSpec> contacts;  // empty and !star: a query
  Source received;
  bool behind_nat = false;  // from detect_nat()
  std::string user_agent;
};

// delta-seconds (RFC 3261 20.19/20.10): digits only. A value above 2^32-1,
// however long, is taken as 2^32-1 as RFC 3261 says, and later clamped to
// max_expires; anything else that is not digits is an error (400).
Result<uint32_t> parse_delta_seconds(std::string_view text);

// qvalue (RFC 3261 25.1): "0"["."0*3DIGIT] / "1"["."0*3"0"], in thousandths.
Result<uint16_t> parse_qvalue(std::string_view text);

}  // namespace sbc::registrar
