// Builds test frames byte by byte, with checksums computed from scratch
// here (not with the dataplane's helpers), so expected output bytes are an
// independent check of the relay's rewrite.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sbc::dataplane::test {

using Mac = std::array<uint8_t, 6>;
using Bytes = std::vector<uint8_t>;

uint32_t ip(const std::string& dotted);  // host order

struct UdpFrame {
  Mac dst_mac{0x02, 0, 0, 0, 0, 0x01};
  Mac src_mac{0x02, 0, 0, 0, 0, 0x02};
  uint16_t vlan = 0;
  uint32_t src_ip = 0;  // host order
  uint32_t dst_ip = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ttl = 64;
  uint8_t protocol = 17;
  uint16_t ip_id = 0x1234;
  uint16_t frag = 0;  // flags + offset field
  Bytes ip_options;   // appended to the header (IHL grows)
  Bytes payload;
  bool udp_checksum = true;

  Bytes build() const;
};

// An RTP packet payload: version 2, payload type `pt`, sequence `seq`.
Bytes rtp_payload(uint16_t seq, uint8_t pt = 0, size_t size = 172);

Bytes arp_request(const Mac& src_mac, uint32_t sender_ip, uint32_t target_ip);
Bytes icmp_echo(const Mac& dst_mac, const Mac& src_mac, uint32_t src_ip, uint32_t dst_ip);
Bytes tcp_syn(const Mac& dst_mac, const Mac& src_mac, uint32_t src_ip, uint32_t dst_ip,
              uint16_t sport, uint16_t dport);

// Independent verification of a frame's IPv4 header checksum and UDP checksum.
bool ipv4_header_checksum_ok(const Bytes& frame, size_t l2_len);
bool udp_checksum_ok(const Bytes& frame, size_t l2_len);

std::string hex(const Bytes& b);

}  // namespace sbc::dataplane::test
