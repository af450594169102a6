#include "sip/reliable_provisional.h"

#include <sofia-sip/sip_header.h>

#include <cstdint>

namespace sbc::sip {

Rel100Support rel100_support(const sip_t* sip) {
  if (!sip) return {};
  return {sip_has_feature(sip->sip_supported, "100rel") != 0,
          sip_has_feature(sip->sip_require, "100rel") != 0};
}

ProvisionalReliability provisional_reliability(const sip_t* sip) {
  using Kind = ProvisionalReliability::Kind;
  if (!sip || !sip->sip_status || sip->sip_status->st_status <= 100 ||
      sip->sip_status->st_status >= 200 || !sip_has_feature(sip->sip_require, "100rel"))
    return {};
  const sip_rseq_t* r = sip->sip_rseq;
  // RFC 3262 7.1: 1 and up, 32 bits (a RAck could not name anything else).
  if (!r || r->rs_response == 0 || r->rs_response > UINT32_MAX) return {Kind::missing_rseq, 0};
  return {Kind::reliable, static_cast<uint32_t>(r->rs_response)};
}

}  // namespace sbc::sip
