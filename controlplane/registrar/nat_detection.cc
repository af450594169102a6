#include "controlplane/registrar/nat_detection.h"

namespace sbc::registrar {
namespace {

struct Range {
  uint32_t net;
  uint8_t len;
};

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

constexpr Range kNonRoutable[] = {
    {ip(0, 0, 0, 0), 8},     {ip(10, 0, 0, 0), 8},      {ip(100, 64, 0, 0), 10},
    {ip(127, 0, 0, 0), 8},   {ip(169, 254, 0, 0), 16},  {ip(172, 16, 0, 0), 12},
    {ip(192, 0, 0, 0), 24},  {ip(192, 0, 2, 0), 24},    {ip(192, 168, 0, 0), 16},
    {ip(198, 18, 0, 0), 15}, {ip(198, 51, 100, 0), 24}, {ip(203, 0, 113, 0), 24},
    {ip(224, 0, 0, 0), 4},   {ip(240, 0, 0, 0), 4},
};

uint16_t default_port(Transport t) {
  return t == Transport::kTls || t == Transport::kWss ? 5061 : 5060;
}

}  // namespace

bool is_private_or_reserved(Ipv4Address a) {
  for (const auto& r : kNonRoutable) {
    uint32_t mask = ~uint32_t{0} << (32 - r.len);
    if ((a.value & mask) == r.net) return true;
  }
  return false;
}

NatResult detect_nat(const NatInput& in) {
  NatResult r;
  // Connection-oriented transports always have an ephemeral source port, so
  // a port mismatch says nothing there; only UDP port mismatches count.
  const bool udp = in.received.transport == Transport::kUdp;
  const uint16_t dflt = default_port(in.received.transport);

  auto via_ip = Ipv4Address::parse(in.via_host);
  if (!via_ip || *via_ip != in.received.address) r.reasons |= kNatViaAddress;
  if (udp && in.via_port.value_or(dflt) != in.received.port) r.reasons |= kNatViaPort;

  if (!in.contact_host.empty()) {
    auto contact_ip = Ipv4Address::parse(in.contact_host);
    if (contact_ip) {
      if (*contact_ip != in.received.address && is_private_or_reserved(*contact_ip))
        r.reasons |= kNatContactPrivate;
      if (*contact_ip == in.received.address && udp &&
          in.contact_port.value_or(dflt) != in.received.port)
        r.reasons |= kNatContactPort;
    }
  }
  r.behind_nat = r.reasons != 0;
  if (r.behind_nat) r.reach = in.received;
  return r;
}

}  // namespace sbc::registrar
