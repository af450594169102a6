#include "policy/codec_bitrate.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "policy/codec_filter.h"

namespace sbc::policy {
namespace {

// The value of `key=` in an fmtp (";"-separated, blanks allowed); 0 when
// absent or not a number.
uint32_t fmtp_number(std::string_view fmtp, std::string_view key) {
  size_t pos = 0;
  while (pos < fmtp.size()) {
    size_t end = fmtp.find(';', pos);
    if (end == std::string_view::npos) end = fmtp.size();
    std::string_view item = fmtp.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || normalize_codec_name(item.substr(0, eq)) != key) continue;
    std::string_view value = item.substr(eq + 1);
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    (void)p;
    return ec == std::errc() ? v : 0;
  }
  return 0;
}

uint32_t channels_of(std::string_view params) {
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(params.data(), params.data() + params.size(), n);
  (void)p;
  return ec == std::errc() && n > 0 && n <= 8 ? n : 1;
}

struct Fixed {
  std::string_view name;
  uint32_t bps;
};

// Codecs with one top rate whatever their clock.
constexpr Fixed kFixed[] = {
    {"pcmu", 64'000},    {"pcma", 64'000},    {"g722", 64'000},    {"g729", 8'000},
    {"g729a", 8'000},    {"g729b", 8'000},    {"g729ab", 8'000},   {"g729d", 6'400},
    {"g729e", 11'800},   {"g723", 6'300},     {"g728", 16'000},    {"g726-16", 16'000},
    {"g726-24", 24'000}, {"g726-32", 32'000}, {"g726-40", 40'000}, {"gsm", 13'200},
    {"gsm-efr", 12'200}, {"ilbc", 15'200},    {"amr", 12'200},     {"amr-wb", 23'850},
    {"evs", 128'000},    {"lpc", 2'400},      {"qcelp", 14'400},   {"silk", 40'000},
};

}  // namespace

uint32_t codec_payload_bitrate(std::string_view name, uint32_t clock_rate, std::string_view params,
                               std::string_view fmtp) {
  const std::string n = normalize_codec_name(name);
  if (is_signalling_codec(n)) return 0;
  for (const Fixed& f : kFixed)
    if (f.name == n) return f.bps;
  if (n == "opus") {
    // RFC 7587 7.1: maxaveragebitrate, 6000 to 510000.
    const uint32_t v = fmtp_number(fmtp, "maxaveragebitrate");
    return v ? std::clamp<uint32_t>(v, 6'000, 510'000) : 510'000;
  }
  if (n == "g7221") {
    // RFC 5577: bitrate= is required (24000/32000, or 48000 at 32 kHz).
    const uint32_t v = fmtp_number(fmtp, "bitrate");
    return v && v <= 48'000 ? v : (clock_rate >= 32'000 ? 48'000 : 32'000);
  }
  if (n == "speex") return clock_rate >= 32'000 ? 44'000 : clock_rate >= 16'000 ? 42'200 : 24'600;
  // Linear PCM and ADPCM: bits per sample x clock x channels.
  const uint32_t rate = clock_rate ? clock_rate : 8'000;
  if (n == "l16") return rate * 16 * channels_of(params);
  if (n == "l8") return rate * 8 * channels_of(params);
  if (n == "dvi4") return rate * 4;
  return kUnknownCodecBitrate;
}

}  // namespace sbc::policy
