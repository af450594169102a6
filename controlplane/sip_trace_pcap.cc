#include "controlplane/sip_trace_pcap.h"

#include <cstdint>

#include "dataplane/checksum.h"

namespace sbc::controlplane {
namespace {

// Room for the IPv4 and UDP headers in a 16-bit total length.
constexpr size_t kMaxPayload = 65535 - 20 - 8;

// pcap is written in the host's byte order (readers tell by the magic);
// IP and UDP headers in network order.
void host32(std::string& out, uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), 4);
}
void host16(std::string& out, uint16_t v) {
  out.append(reinterpret_cast<const char*>(&v), 2);
}
void be16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
void be32(std::string& out, uint32_t v) {
  be16(out, static_cast<uint16_t>(v >> 16));
  be16(out, static_cast<uint16_t>(v & 0xffff));
}

// The dataplane's RFC 1071 arithmetic (dataplane/checksum.h) over text.
uint32_t ones_sum(std::string_view bytes, uint32_t sum = 0) {
  return dataplane::ones_sum(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), sum);
}
uint16_t checksum(uint32_t sum) {
  return static_cast<uint16_t>(~dataplane::fold(sum));
}

std::string crlf(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// One IPv4/UDP datagram from `src` to `dst` carrying `payload`.
std::string datagram(Ipv4Address src, uint16_t sport, Ipv4Address dst, uint16_t dport,
                     std::string_view payload, uint16_t id) {
  const auto udp_len = static_cast<uint16_t>(8 + payload.size());
  std::string ip;
  ip += static_cast<char>(0x45);  // version 4, 20-byte header
  ip += '\0';
  be16(ip, static_cast<uint16_t>(20 + udp_len));
  be16(ip, id);
  be16(ip, 0x4000);  // don't fragment
  ip += static_cast<char>(64);
  ip += static_cast<char>(17);  // UDP
  be16(ip, 0);                  // checksum, below
  be32(ip, src.value);
  be32(ip, dst.value);
  const uint16_t ip_sum = checksum(ones_sum(ip));
  ip[10] = static_cast<char>(ip_sum >> 8);
  ip[11] = static_cast<char>(ip_sum & 0xff);

  std::string udp;
  be16(udp, sport);
  be16(udp, dport);
  be16(udp, udp_len);
  be16(udp, 0);
  std::string pseudo;
  be32(pseudo, src.value);
  be32(pseudo, dst.value);
  be16(pseudo, 17);
  be16(pseudo, udp_len);
  uint16_t udp_sum = checksum(ones_sum(payload, ones_sum(udp, ones_sum(pseudo))));
  if (udp_sum == 0) udp_sum = 0xffff;  // 0 would mean "no checksum"
  udp[6] = static_cast<char>(udp_sum >> 8);
  udp[7] = static_cast<char>(udp_sum & 0xff);
  return ip + udp + std::string(payload);
}

}  // namespace

std::string sip_trace_pcap(const std::deque<SipTrace::Message>& messages,
                           const LocalEndpoint& local) {
  std::string out;
  host32(out, 0xa1b2c3d4);  // microsecond timestamps
  host16(out, 2);
  host16(out, 4);
  host32(out, 0);  // thiszone
  host32(out, 0);  // sigfigs
  host32(out, 65535);
  host32(out, kLinktypeRaw);
  uint16_t id = 0;
  for (const auto& m : messages) {
    auto remote = Ipv4Address::parse(m.address);
    if (!remote) continue;
    auto [local_ip, local_port] =
        local ? local(*remote, m.transport) : std::make_pair(Ipv4Address{}, uint16_t{0});
    std::string payload = crlf(m.text);
    if (payload.size() > kMaxPayload) payload.resize(kMaxPayload);
    std::string packet = m.received
                             ? datagram(*remote, m.port, local_ip, local_port, payload, ++id)
                             : datagram(local_ip, local_port, *remote, m.port, payload, ++id);
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(m.captured.time_since_epoch())
            .count();
    host32(out, static_cast<uint32_t>(us / 1'000'000));
    host32(out, static_cast<uint32_t>(us % 1'000'000));
    host32(out, static_cast<uint32_t>(packet.size()));
    host32(out, static_cast<uint32_t>(packet.size()));
    out += packet;
  }
  return out;
}

std::pair<Ipv4Address, uint16_t> local_endpoint(const policy::Policy& p, Ipv4Address remote,
                                                std::string_view transport) {
  auto first = [&](auto pred) -> const policy::Interface* {
    for (const auto& i : p.interfaces)
      if (pred(i)) return &i;
    return nullptr;
  };
  const policy::Interface* leg =
      first([&](const policy::Interface& i) { return i.address.contains(remote); });
  // Off-link: the leg of the peer at that address (with a gateway on more
  // than one leg, the first gateway would be a guess), then the first leg
  // with a gateway.
  if (!leg)
    for (const auto& peer : p.peers)
      if (peer.address.ip == remote) {
        leg = first([&](const policy::Interface& i) { return i.name == peer.leg; });
        break;
      }
  if (!leg) leg = first([](const policy::Interface& i) { return i.gateway.has_value(); });
  if (!leg && !p.interfaces.empty()) leg = &p.interfaces.front();
  if (!leg) return {Ipv4Address{}, 5060};
  uint16_t port = leg->sip.empty() ? 5060 : leg->sip.front().port;
  for (const auto& l : leg->sip)
    if (policy::to_string(l.transport) == transport) {
      port = l.port;
      break;
    }
  return {leg->address.address, port};
}

}  // namespace sbc::controlplane
