// `sbcctl trace show|stop --pcap FILE`: the captured SIP messages as a pcap
// file that Wireshark, tshark or tcpdump open. Sofia's message log holds the
// message, the remote address and port, the transport and the time; the
// packets around it are synthesized: LINKTYPE_RAW (an IPv4 header first, no
// link layer), one IPv4/UDP datagram per message between the remote end and
// sbcd's address and SIP port on the leg toward it, valid checksums, and
// the time Sofia stamped. Messages carried over TCP or TLS are written as
// UDP datagrams too (one message each): the stream's segmentation was never
// captured, and a dissector reads SIP the same either way. Lines go back to
// CRLF, as on the wire.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "common/ip_address.h"
#include "controlplane/sip_trace.h"
#include "policy/policy.h"

namespace sbc::controlplane {

using LocalEndpoint =
    std::function<std::pair<Ipv4Address, uint16_t>(Ipv4Address remote, std::string_view transport)>;

inline constexpr uint32_t kLinktypeRaw = 101;

// The pcap file (global header, then a record per message, oldest first).
// Messages whose address is not IPv4 are left out.
std::string sip_trace_pcap(const std::deque<SipTrace::Message>& messages,
                           const LocalEndpoint& local);

// sbcd's end of an exchange with `remote`: the leg whose network holds it,
// else the first leg with a gateway (where the route goes), else the first
// leg; its SIP port for `transport` ("udp", "tcp", "tls"), else its first.
std::pair<Ipv4Address, uint16_t> local_endpoint(const policy::Policy& p, Ipv4Address remote,
                                                std::string_view transport);

}  // namespace sbc::controlplane
