// `manipulation` maps, shared by peers (inbound/outbound) and routes.
#include <algorithm>

#include "policy/section_readers.h"

namespace sbc::policy {

std::optional<Manipulation> read_manipulation(YamlReader& r, const YAML::Node& n,
                                              const std::string& f) {
  if (!r.expect_map(n, f, {"strip", "prepend", "caller_strip", "caller_prepend", "caller_id"}))
    return std::nullopt;
  Manipulation m;
  bool ok = true;
  auto count = [&](const char* key, uint32_t& out) {
    if (auto v = n[key]; v.IsDefined()) {
      if (auto x = r.integer(v, f + "." + key, 0, 32))
        out = static_cast<uint32_t>(*x);
      else
        ok = false;
    }
  };
  auto digits = [&](const char* key) -> std::optional<std::string> {
    auto v = n[key];
    if (!v.IsDefined()) return std::nullopt;
    auto s = r.string(v, f + "." + key);
    if (!s) {
      ok = false;
      return std::nullopt;
    }
    if (!std::all_of(s->begin(), s->end(), is_dial_char)) {
      r.error(v, f + "." + key, "'" + *s + "' holds characters other than 0-9 * # +");
      ok = false;
      return std::nullopt;
    }
    return s;
  };
  count("strip", m.called.strip);
  if (auto s = digits("prepend")) m.called.prepend = *s;
  count("caller_strip", m.caller.strip);
  if (auto s = digits("caller_prepend")) m.caller.prepend = *s;
  if (auto s = digits("caller_id")) m.caller_id = *s;
  if (!ok) return std::nullopt;
  return m;
}

}  // namespace sbc::policy
