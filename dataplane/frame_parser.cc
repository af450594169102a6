#include "dataplane/frame_parser.h"

#include "dataplane/checksum.h"

namespace sbc::dataplane {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;

inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
// Network-order value as stored in memory, for fields the fast path only copies.
inline uint16_t raw16(const uint8_t* p) {
  uint16_t v;
  __builtin_memcpy(&v, p, 2);
  return v;
}
inline uint32_t raw32(const uint8_t* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

std::optional<DropReason> parse_arp(const uint8_t* arp, size_t len, PacketMeta& meta) {
  if (len < 28) return DropReason::malformed;
  // Ethernet hardware, IPv4 protocol, 6- and 4-byte addresses: anything else
  // is not an ARP the kernel on the TAP could answer.
  if (be16(arp) != 1 || be16(arp + 2) != kEtherIpv4 || arp[4] != 6 || arp[5] != 4)
    return DropReason::malformed;
  meta.kind = PacketKind::arp;
  meta.src_ip = raw32(arp + 14);
  meta.dst_ip = raw32(arp + 24);
  return std::nullopt;
}

std::optional<DropReason> parse_ipv4(const uint8_t* ip, size_t len, PacketMeta& meta) {
  if (len < 20) return DropReason::malformed;
  if ((ip[0] >> 4) != 4) return DropReason::malformed;
  const unsigned ihl = (ip[0] & 0x0f) * 4u;
  if (ihl < 20) return DropReason::malformed;
  if (ihl > 20) return DropReason::ip_options;
  const uint16_t total = be16(ip + 2);
  // Shorter than the header, or longer than the frame: a length lie.
  // Longer frames than `total` are Ethernet padding and fine.
  if (total < ihl || total > len) return DropReason::malformed;
  if (fold(ones_sum(ip, 20)) != 0xffff) return DropReason::bad_checksum;
  meta.l3_len = static_cast<uint8_t>(ihl);
  meta.ip_len = total;
  meta.ttl = ip[8];
  meta.src_ip = raw32(ip + 12);
  meta.dst_ip = raw32(ip + 16);
  // MF set or a non-zero offset: a fragment. Only the first carries an L4
  // header, so none is classified as media; the kernel reassembles them.
  if (be16(ip + 6) & 0x3fff) {
    meta.kind = PacketKind::ip_fragment;
    return std::nullopt;
  }
  const uint8_t* l4 = ip + ihl;
  const size_t l4_len = total - ihl;
  switch (ip[9]) {
    case kProtoUdp: {
      if (l4_len < 8) return DropReason::malformed;
      if (be16(l4 + 4) != l4_len) return DropReason::udp_length;
      meta.kind = PacketKind::udp;
      meta.src_port = raw16(l4);
      meta.dst_port = raw16(l4 + 2);
      return std::nullopt;
    }
    case kProtoTcp: {
      if (l4_len < 20) return DropReason::malformed;
      const unsigned doff = (l4[12] >> 4) * 4u;
      if (doff < 20 || doff > l4_len) return DropReason::malformed;
      meta.kind = PacketKind::tcp;
      meta.src_port = raw16(l4);
      meta.dst_port = raw16(l4 + 2);
      return std::nullopt;
    }
    case kProtoIcmp:
      if (l4_len < 8) return DropReason::malformed;
      meta.kind = PacketKind::icmp;
      return std::nullopt;
    default:
      return DropReason::unsupported_protocol;
  }
}

}  // namespace

std::optional<DropReason> parse_frame(const uint8_t* frame, size_t len, uint16_t leg_vlan,
                                      PacketMeta& meta) {
  if (len < 14) return DropReason::malformed;
  uint16_t type = be16(frame + 12);
  size_t l2 = 14;
  if (type == kEtherVlan) {
    if (len < 18) return DropReason::malformed;
    if ((be16(frame + 14) & 0x0fff) != leg_vlan || leg_vlan == 0) return DropReason::wrong_vlan;
    type = be16(frame + 16);
    l2 = 18;
  } else if (leg_vlan != 0) {
    return DropReason::wrong_vlan;
  }
  meta.l2_len = static_cast<uint8_t>(l2);
  meta.pinhole = nullptr;
  if (type == kEtherIpv4) return parse_ipv4(frame + l2, len - l2, meta);
  if (type == kEtherArp) return parse_arp(frame + l2, len - l2, meta);
  return DropReason::unsupported;
}

}  // namespace sbc::dataplane
