// What the parse stage learned about one frame, kept beside the mbuf for the
// stages after it. Addresses and ports stay in network byte order: the fast
// path compares and copies them, it never does arithmetic on them.
#pragma once

#include <cstdint>

namespace sbc::dataplane {

struct Pinhole;

enum class PacketKind : uint8_t {
  arp,
  udp,
  tcp,
  icmp,
  ip_fragment,  // any fragment: no L4 header to trust, the kernel reassembles
  ip_other,
};

struct PacketMeta {
  PacketKind kind = PacketKind::ip_other;
  uint8_t l2_len = 0;  // 14, or 18 with an 802.1Q tag
  uint8_t l3_len = 0;  // IPv4 header length
  uint8_t ttl = 0;
  uint16_t ip_len = 0;         // IPv4 total length, host order
  uint16_t src_port = 0;       // network order (UDP/TCP)
  uint16_t dst_port = 0;       // network order
  uint32_t src_ip = 0;         // network order; ARP: sender protocol address
  uint32_t dst_ip = 0;         // network order; ARP: target protocol address
  uint8_t trust_class = 0;     // set by acl: the source's static class
  Pinhole* pinhole = nullptr;  // set by classify for media
};

}  // namespace sbc::dataplane
