#include "controlplane/call_outcome.h"

namespace sbc::controlplane {

const char* default_phrase(int status) {
  switch (status) {
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 480:
      return "Temporarily Unavailable";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 500:
      return "Server Internal Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    default:
      return status < 500 ? "Request Failed" : status < 600 ? "Server Error" : "Global Failure";
  }
}

namespace {
FinalAnswer answer(int status, std::optional<int> retry_after = std::nullopt) {
  return {status, default_phrase(status), retry_after};
}
}  // namespace

FinalAnswer answer_for_route_failure(const policy::RouteDecision& d) {
  using O = policy::RouteDecision::Outcome;
  using S = policy::SkipReason;
  switch (d.outcome) {
    case O::no_route:
    case O::invalid_number:
      return answer(404);
    case O::source_banned:
      return answer(403);
    case O::overloaded:
      return answer(503, 5);
    case O::routed:
      return answer(500);  // a caller bug: nothing failed
    case O::all_unavailable:
      break;
  }
  bool capped = false, offline = false, unhealthy = false;
  for (const auto& c : d.candidates) {
    capped = capped || c.skipped == S::at_channel_cap || c.skipped == S::at_cps_cap;
    offline = offline || c.skipped == S::offline;
    // A trunk whose name never resolved is as unreachable as a dead one.
    unhealthy = unhealthy || c.skipped == S::unhealthy || c.skipped == S::unresolved;
  }
  if (capped) return answer(503, 10);
  if (offline && !unhealthy) return answer(480);
  return answer(503, 30);
}

bool fails_over(int status) {
  // A 3xx names another target: it is never followed (the Contact could be
  // anywhere, and a trunk's redirect would route calls around the policy),
  // so the next route candidate is tried instead.
  return (status >= 300 && status < 400) || status == 408 || (status >= 500 && status < 600);
}

FinalAnswer best_final_answer(const std::vector<int>& statuses) {
  int first4 = 0, first5 = 0, count5 = 0;
  bool redirected = false;
  for (int s : statuses) {
    if (s >= 600) return answer(s);
    if (s >= 300 && s < 400) redirected = true;
    if (s >= 400 && s < 500 && s != 408 && !first4) first4 = s;
    if (s >= 500 && s < 600) {
      if (!first5) first5 = s;
      ++count5;
    }
  }
  if (first4) return answer(first4);
  if (count5 > 1) return answer(503, 30);
  if (first5) return answer(first5);
  // Only redirects (not followed) and silence: the callee is not reachable
  // through this SBC. A 3xx itself is never passed back (its Contact would
  // leak the other side's topology).
  if (redirected) return answer(480);
  return answer(408);
}

}  // namespace sbc::controlplane
