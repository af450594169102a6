// The admin socket's wire format, shared by sbcd and sbcctl.
//
// Request: the command's words, one per line, ended by an empty line
//   ("status\n--json\n\n"). One word per line lets arguments hold spaces.
// Reply: a first line "ok" or "error", then the body (text or JSON); the
//   server closes the connection when the reply is complete.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::admin {

inline constexpr size_t kMaxRequestBytes = 64 * 1024;
inline constexpr const char* kDefaultSocketPath = "/run/sbcd/admin.sock";

std::string encode_request(const std::vector<std::string>& words);

// Returns the words once `buffer` holds a complete request, nullopt while
// more bytes are needed. A request over kMaxRequestBytes or with a NUL byte
// yields an empty vector (a malformed request).
std::optional<std::vector<std::string>> decode_request(std::string_view buffer);

struct Reply {
  bool ok = true;
  std::string body;
};

std::string encode_reply(const Reply& r);
std::optional<Reply> decode_reply(std::string_view bytes);

}  // namespace sbc::admin
