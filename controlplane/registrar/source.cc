#include "controlplane/registrar/source.h"

namespace sbc::registrar {

std::string_view transport_name(Transport t) {
  switch (t) {
    case Transport::kUdp:
      return "udp";
    case Transport::kTcp:
      return "tcp";
    case Transport::kTls:
      return "tls";
    case Transport::kWs:
      return "ws";
    case Transport::kWss:
      return "wss";
  }
  return "udp";
}

std::optional<Transport> parse_transport(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "udp") return Transport::kUdp;
  if (lower == "tcp") return Transport::kTcp;
  if (lower == "tls") return Transport::kTls;
  if (lower == "ws") return Transport::kWs;
  if (lower == "wss") return Transport::kWss;
  return std::nullopt;
}

std::string Source::to_string() const {
  return address.to_string() + ":" + std::to_string(port) + "/" +
         std::string(transport_name(transport));
}

}  // namespace sbc::registrar
