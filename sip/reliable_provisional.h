// RFC 3262 (100rel) as the B2BUA reads it: whether a request offers or
// requires reliable provisional responses, and whether a provisional
// response is one (Require: 100rel with an RSeq) and which.
#pragma once

#include <sofia-sip/sip.h>

#include <cstdint>

namespace sbc::sip {

struct Rel100Support {
  bool supported = false;  // "100rel" in Supported
  bool required = false;   // "100rel" in Require
  bool any() const { return supported || required; }
};

Rel100Support rel100_support(const sip_t* sip);

// How a 1xx (101-199) stands: unreliable (no Require: 100rel), reliable with
// its RSeq, or broken: it requires 100rel but has no usable RSeq (none, 0,
// or past 32 bits). A broken one is handled as unreliable and counted.
struct ProvisionalReliability {
  enum class Kind : uint8_t { unreliable, reliable, missing_rseq };
  Kind kind = Kind::unreliable;
  uint32_t rseq = 0;  // Kind::reliable only
};

ProvisionalReliability provisional_reliability(const sip_t* sip);

}  // namespace sbc::sip
