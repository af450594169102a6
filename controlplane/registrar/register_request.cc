#include "controlplane/registrar/register_request.h"

namespace sbc::registrar {

Result<uint32_t> parse_delta_seconds(std::string_view text) {
  if (text.empty()) return make_error("empty delta-seconds");
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return make_error("delta-seconds '" + std::string(text.substr(0, 32)) + "' is not a number");
    if (v <= UINT32_MAX) v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return static_cast<uint32_t>(v > UINT32_MAX ? UINT32_MAX : v);
}

Result<uint16_t> parse_qvalue(std::string_view text) {
  auto bad = [&] {
    return make_error("invalid q-value '" + std::string(text.substr(0, 32)) + "'");
  };
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return bad();
  uint16_t whole = static_cast<uint16_t>(text[0] - '0');
  if (text.size() == 1) return static_cast<uint16_t>(whole * 1000);
  if (text[1] != '.') return bad();
  uint16_t frac = 0;
  size_t digits = 0;
  for (size_t i = 2; i < text.size(); ++i, ++digits) {
    char c = text[i];
    if (c < '0' || c > '9') return bad();
    frac = static_cast<uint16_t>(frac * 10 + (c - '0'));
  }
  for (; digits < 3; ++digits) frac = static_cast<uint16_t>(frac * 10);
  if (whole == 1 && frac != 0) return bad();
  return static_cast<uint16_t>(whole * 1000 + frac);
}

}  // namespace sbc::registrar
