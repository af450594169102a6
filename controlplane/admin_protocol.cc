#include "controlplane/admin_protocol.h"

namespace sbc::admin {

std::string encode_request(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    out += w;
    out += '\n';
  }
  out += '\n';
  return out;
}

std::optional<std::vector<std::string>> decode_request(std::string_view buffer) {
  if (buffer.find('\0') != std::string_view::npos) return std::vector<std::string>{};
  size_t end = buffer.starts_with("\n") ? 0 : buffer.find("\n\n");
  if (end == std::string_view::npos) {
    if (buffer.size() > kMaxRequestBytes) return std::vector<std::string>{};
    return std::nullopt;
  }
  if (end > kMaxRequestBytes) return std::vector<std::string>{};
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < end) {
    size_t nl = buffer.find('\n', pos);
    if (nl == std::string_view::npos || nl > end) nl = end;
    words.emplace_back(buffer.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return words;
}

std::string encode_reply(const Reply& r) {
  return (r.ok ? "ok\n" : "error\n") + r.body;
}

std::optional<Reply> decode_reply(std::string_view bytes) {
  size_t nl = bytes.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  auto status = bytes.substr(0, nl);
  if (status != "ok" && status != "error") return std::nullopt;
  return Reply{status == "ok", std::string(bytes.substr(nl + 1))};
}

}  // namespace sbc::admin
