// The failure mapping rules of the B2BUA as pure functions: what the caller
// hears when routing refuses a call, when a candidate fails, and when every
// candidate has failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/router.h"

namespace sbc::controlplane {

struct FinalAnswer {
  int status = 500;
  std::string phrase;
  std::optional<int> retry_after;    // seconds, with 503
  std::optional<uint32_t> min_se{};  // seconds, with 422 (RFC 4028)
  friend bool operator==(const FinalAnswer&, const FinalAnswer&) = default;
};

// When routing gives no usable candidate: unknown number 404; a phone that is
// not registered 480; no channel (or CPS) left on any candidate 503 with
// Retry-After; banned caller 403; overload 503 with Retry-After.
FinalAnswer answer_for_route_failure(const policy::RouteDecision& d);

// Whether a candidate's final response moves the call to the next candidate:
// 3xx (redirects are never followed), 408 and 5xx (503 included) do; 4xx
// other than 408 and 6xx do not (the callee was reached and said no); never 2xx.
bool fails_over(int status);

// RFC 3261 16.7-style choice among the candidates' final responses: a 6xx
// wins; else the first 4xx (a real answer from a callee); else 5xx (as 503
// when more than one trunk failed); else 480 when candidates only redirected
// (a 3xx is never passed back); else 408 when nobody answered at all.
FinalAnswer best_final_answer(const std::vector<int>& statuses);

const char* default_phrase(int status);

}  // namespace sbc::controlplane
