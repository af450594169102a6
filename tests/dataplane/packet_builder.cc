#include "tests/dataplane/packet_builder.h"

#include <arpa/inet.h>

#include <cstdio>

namespace sbc::dataplane::test {
namespace {

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void set16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
uint16_t get16(const Bytes& b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

// Plain RFC 1071: sum the 16-bit words, fold, invert.
uint16_t csum(const uint8_t* p, size_t n, uint64_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint16_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint16_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void ethernet(Bytes& b, const Mac& dst, const Mac& src, uint16_t vlan, uint16_t type) {
  b.insert(b.end(), dst.begin(), dst.end());
  b.insert(b.end(), src.begin(), src.end());
  if (vlan) {
    put16(b, 0x8100);
    put16(b, vlan);
  }
  put16(b, type);
}

uint64_t pseudo_sum(const Bytes& f, size_t ip_at, uint8_t proto, size_t l4_len) {
  uint64_t s = 0;
  for (size_t i = 12; i < 20; i += 2) s += get16(f, ip_at + i);
  return s + proto + l4_len;
}

}  // namespace

uint32_t ip(const std::string& dotted) {
  in_addr a{};
  inet_pton(AF_INET, dotted.c_str(), &a);
  return ntohl(a.s_addr);
}

Bytes UdpFrame::build() const {
  Bytes f;
  ethernet(f, dst_mac, src_mac, vlan, 0x0800);
  const size_t ip_at = f.size();
  const size_t ihl = 20 + ip_options.size();
  const bool l4 = protocol == 17;
  const size_t l4_len = l4 ? 8 + payload.size() : payload.size();
  f.push_back(static_cast<uint8_t>(0x40 | (ihl / 4)));
  f.push_back(0);
  put16(f, static_cast<uint16_t>(ihl + l4_len));
  put16(f, ip_id);
  put16(f, frag);
  f.push_back(ttl);
  f.push_back(protocol);
  put16(f, 0);
  put32(f, src_ip);
  put32(f, dst_ip);
  f.insert(f.end(), ip_options.begin(), ip_options.end());
  set16(f, ip_at + 10, csum(f.data() + ip_at, ihl));
  if (l4) {
    const size_t u = f.size();
    put16(f, src_port);
    put16(f, dst_port);
    put16(f, static_cast<uint16_t>(l4_len));
    put16(f, 0);
    f.insert(f.end(), payload.begin(), payload.end());
    if (udp_checksum) {
      uint16_t c = csum(f.data() + u, l4_len, pseudo_sum(f, ip_at, 17, l4_len));
      set16(f, u + 6, c == 0 ? 0xffff : c);
    }
  } else {
    f.insert(f.end(), payload.begin(), payload.end());
  }
  return f;
}

Bytes rtp_payload(uint16_t seq, uint8_t pt, size_t size) {
  Bytes p(size, 0xd5);
  p[0] = 0x80;
  p[1] = pt;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  for (int i = 4; i < 12; ++i) p[i] = static_cast<uint8_t>(i);
  return p;
}

Bytes arp_request(const Mac& src_mac, uint32_t sender_ip, uint32_t target_ip) {
  Bytes f;
  ethernet(f, Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, src_mac, 0, 0x0806);
  put16(f, 1);
  put16(f, 0x0800);
  f.push_back(6);
  f.push_back(4);
  put16(f, 1);
  f.insert(f.end(), src_mac.begin(), src_mac.end());
  put32(f, sender_ip);
  for (int i = 0; i < 6; ++i) f.push_back(0);
  put32(f, target_ip);
  return f;
}

Bytes icmp_echo(const Mac& dst_mac, const Mac& src_mac, uint32_t src_ip, uint32_t dst_ip) {
  UdpFrame u;
  u.dst_mac = dst_mac;
  u.src_mac = src_mac;
  u.src_ip = src_ip;
  u.dst_ip = dst_ip;
  u.protocol = 1;
  Bytes icmp = {8, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'};
  uint16_t c = csum(icmp.data(), icmp.size());
  icmp[2] = static_cast<uint8_t>(c >> 8);
  icmp[3] = static_cast<uint8_t>(c);
  u.payload = icmp;
  return u.build();
}

Bytes tcp_syn(const Mac& dst_mac, const Mac& src_mac, uint32_t src_ip, uint32_t dst_ip,
              uint16_t sport, uint16_t dport) {
  UdpFrame u;
  u.dst_mac = dst_mac;
  u.src_mac = src_mac;
  u.src_ip = src_ip;
  u.dst_ip = dst_ip;
  u.protocol = 6;
  Bytes t(20, 0);
  t[0] = static_cast<uint8_t>(sport >> 8);
  t[1] = static_cast<uint8_t>(sport);
  t[2] = static_cast<uint8_t>(dport >> 8);
  t[3] = static_cast<uint8_t>(dport);
  t[12] = 0x50;
  t[13] = 0x02;
  u.payload = t;
  return u.build();
}

bool ipv4_header_checksum_ok(const Bytes& f, size_t l2) {
  return csum(f.data() + l2, (f[l2] & 0x0f) * 4u) == 0;
}

bool udp_checksum_ok(const Bytes& f, size_t l2) {
  const size_t ihl = (f[l2] & 0x0f) * 4u;
  const size_t u = l2 + ihl;
  const size_t len = get16(f, u + 4);
  if (get16(f, u + 6) == 0) return true;  // no checksum
  return csum(f.data() + u, len, pseudo_sum(f, l2, 17, len)) == 0;
}

std::string hex(const Bytes& b) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    s += buf;
    if (i % 2) s += ' ';
  }
  return s;
}

}  // namespace sbc::dataplane::test
