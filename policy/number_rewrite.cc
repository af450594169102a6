#include "policy/number_rewrite.h"

namespace sbc::policy {

std::string NumberRewrite::apply(std::string_view number) const {
  std::string out = prepend;
  if (strip < number.size()) out.append(number.substr(strip));
  return out;
}

std::string Manipulation::apply_caller(std::string_view number) const {
  if (caller_id) return *caller_id;
  return caller.apply(number);
}

}  // namespace sbc::policy
