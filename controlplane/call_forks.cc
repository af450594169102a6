#include "controlplane/call_forks.h"

namespace sbc::controlplane {

CallForks::Verdict CallForks::on_response(int status, std::string_view to_tag) {
  if (!to_tag.empty() && tags_.size() < 64) tags_.emplace(to_tag);  // bounded: a hostile callee
  // Once answered, nothing else changes the call: a late 18x would un-answer it.
  if (answered_) return Verdict::ignore;
  if (status < 200 || status >= 300) return Verdict::relay;
  answered_ = true;
  winner_ = std::string(to_tag);
  return Verdict::confirm;
}

}  // namespace sbc::controlplane
