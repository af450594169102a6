#include "common/ip_address.h"

#include <charconv>

namespace sbc {

Result<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos)
    return make_error("IPv6 address '" + std::string(text) + "' is not supported yet");
  uint32_t value = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p == end || *p != '.')
        return make_error("invalid IPv4 address '" + std::string(text) + "'");
      ++p;
    }
    // No leading '+', no empty octet, no leading zeros (ambiguous octal).
    if (p == end || *p < '0' || *p > '9' ||
        (*p == '0' && p + 1 != end && p[1] >= '0' && p[1] <= '9'))
      return make_error("invalid IPv4 address '" + std::string(text) + "'");
    unsigned part = 0;
    auto [next, ec] = std::from_chars(p, end, part);
    if (ec != std::errc() || part > 255)
      return make_error("invalid IPv4 address '" + std::string(text) + "'");
    value = value << 8 | part;
    p = next;
  }
  if (p != end) return make_error("invalid IPv4 address '" + std::string(text) + "'");
  return Ipv4Address{value};
}

std::string Ipv4Address::to_string() const {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "." +
         std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

Result<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text, bool allow_host_bits) {
  auto slash = text.find('/');
  auto addr = Ipv4Address::parse(text.substr(0, slash));
  if (!addr) return addr.error();
  Ipv4Prefix prefix{*addr, 32};
  if (slash != std::string_view::npos) {
    auto len_text = text.substr(slash + 1);
    unsigned len = 0;
    auto [next, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (len_text.empty() || ec != std::errc() || next != len_text.data() + len_text.size() ||
        len > 32)
      return make_error("invalid prefix length in '" + std::string(text) + "'");
    prefix.length = static_cast<uint8_t>(len);
  }
  if (!allow_host_bits && (prefix.address.value & ~prefix.mask()) != 0)
    return make_error("prefix '" + std::string(text) + "' has host bits set (did you mean " +
                      prefix.network().to_string() + "?)");
  return prefix;
}

std::string Ipv4Prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

}  // namespace sbc
