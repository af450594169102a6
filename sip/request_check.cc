#include "sip/request_check.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_string.h>

#include <string_view>

namespace sbc::sip {

RequestVerdict check_request(const sip_t* sip) {
  if (!sip || !sip->sip_request) return {400, "Not a request"};
  if (!sip->sip_via) return {400, "Missing Via"};
  if (!sip->sip_from) return {400, "Missing From"};
  if (!sip->sip_to) return {400, "Missing To"};
  if (!sip->sip_call_id) return {400, "Missing Call-ID"};
  if (!sip->sip_cseq) return {400, "Missing CSeq"};
  if (sip->sip_error) return {400, "Malformed header"};
  const sip_request_t* rq = sip->sip_request;
  const sip_cseq_t* cs = sip->sip_cseq;
  // RFC 3261 8.1.1.5: the CSeq method matches the request method.
  if (cs->cs_method != rq->rq_method ||
      (rq->rq_method == sip_method_unknown && !su_strmatch(cs->cs_method_name, rq->rq_method_name)))
    return {400, "CSeq method does not match"};
  size_t body = sip->sip_payload ? sip->sip_payload->pl_len : 0;
  if (body > kMaxBodyBytes) return {413, "Request Entity Too Large"};
  if (sip->sip_content_length && sip->sip_content_length->l_length != body)
    return {400, "Bad Content-Length"};
  // The SBC forwards what it accepts: a request that may not travel one more
  // hop is answered here (RFC 3261 16.3). OPTIONS is answered by the SBC
  // itself, so Max-Forwards: 0 is fine for it.
  if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0 &&
      rq->rq_method != sip_method_options && rq->rq_method != sip_method_ack)
    return {483, "Too Many Hops"};
  return {};
}

const char* method_label(const sip_t* sip) {
  static const char* kKnown[] = {"INVITE",    "ACK",    "BYE",     "CANCEL", "OPTIONS",
                                 "REGISTER",  "INFO",   "UPDATE",  "PRACK",  "REFER",
                                 "SUBSCRIBE", "NOTIFY", "MESSAGE", "PUBLISH"};
  const char* name = sip && sip->sip_request ? sip->sip_request->rq_method_name : nullptr;
  if (name)
    for (const char* k : kKnown)
      if (std::string_view(name) == k) return k;
  return "other";
}

}  // namespace sbc::sip
