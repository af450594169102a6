#include "sip/request_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/su.h>
#include <sofia-sip/tport.h>

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
    // TLS rides on TCP: only the transport itself can tell them apart.
    if (tport_t* tp = nta_incoming_transport(nullptr, irq, nullptr)) {
      if (const tp_name_t* n = tport_name(tp); n && n->tpn_proto) s.transport = n->tpn_proto;
      tport_unref(tp);
    }
    out = s;
  }
  msg_destroy(msg);  // getrequest took a reference
  return out;
}

}  // namespace sbc::sip
