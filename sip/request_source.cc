#include "sip/request_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su.h>

#include <cctype>

namespace sbc::sip {

std::optional<RequestSource> request_source(nta_incoming_t* irq) {
  msg_t* msg = nta_incoming_getrequest(irq);
  if (!msg) return std::nullopt;
  std::optional<RequestSource> out;
  if (su_addrinfo_t* ai = msg_addrinfo(msg); ai && ai->ai_addr && ai->ai_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
    RequestSource s;
    s.address = Ipv4Address{ntohl(sin->sin_addr.s_addr)};
    s.port = ntohs(sin->sin_port);
    s.transport = ai->ai_protocol == IPPROTO_TCP ? "tcp" : "udp";
    out = s;
  }
  msg_destroy(msg);  // getrequest took a reference
  return out;
}

}  // namespace sbc::sip
