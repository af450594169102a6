// Why the dataplane dropped a packet: one X-macro list generates the enum and
// the printable names (the Prometheus `reason` label), so a reason can never
// be counted without a name or named without a counter.
#pragma once

#include <cstdint>

namespace sbc::dataplane {

// X(name, help)
#define SBC_DATAPLANE_DROP_REASONS(X)                                                     \
  X(malformed, "truncated frame or inconsistent header lengths")                          \
  X(ip_options, "IPv4 header with options (IHL > 5)")                                     \
  X(udp_length, "UDP length does not match the IPv4 payload")                             \
  X(bad_checksum, "IPv4 header checksum wrong")                                           \
  X(unsupported, "EtherType the dataplane does not handle (IPv6 until it lands, others)") \
  X(unsupported_protocol, "IPv4 protocol other than UDP, TCP, ICMP")                      \
  X(wrong_vlan, "802.1Q tag absent, present or different from the leg's")                 \
  X(denied, "source on the deny list")                                                    \
  X(acl, "refused by the access list")                                                    \
  X(police, "source over its trust class's punt rate")                                    \
  X(police_cap, "over the global cap on punt traffic from untrusted sources")             \
  X(not_for_us, "addressed to another host (IPv4 destination or ARP target)")             \
  X(no_flow, "UDP/TCP to the SBC with no pinhole and no signalling listener")             \
  X(wrong_source, "media from a source the pinhole has not latched or does not expect")   \
  X(media_policed, "media over its pinhole's packet-rate budget (from the codec)")        \
  X(media_bandwidth, "media over its pinhole's bytes/s budget (from the codec)")          \
  X(no_destination, "pinhole whose peer has no remote address yet")                       \
  X(no_neighbour, "next hop MAC address not resolved yet")                                \
  X(ttl_expired, "relayed packet with TTL <= 1")                                          \
  X(no_headroom, "no room to add the egress leg's VLAN tag")                              \
  X(punt_full, "exception TAP did not accept the packet")                                 \
  X(tx_full, "egress port did not accept the packet")

enum class DropReason : uint8_t {
#define SBC_X(name, help) name,
  SBC_DATAPLANE_DROP_REASONS(SBC_X)
#undef SBC_X
      count
};

inline constexpr unsigned kDropReasonCount = static_cast<unsigned>(DropReason::count);

inline constexpr const char* kDropReasonNames[] = {
#define SBC_X(name, help) #name,
    SBC_DATAPLANE_DROP_REASONS(SBC_X)
#undef SBC_X
};

inline constexpr const char* kDropReasonHelp[] = {
#define SBC_X(name, help) help,
    SBC_DATAPLANE_DROP_REASONS(SBC_X)
#undef SBC_X
};

inline constexpr const char* to_string(DropReason r) {
  return kDropReasonNames[static_cast<unsigned>(r)];
}

}  // namespace sbc::dataplane
