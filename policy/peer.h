// A peer: one named contact card for a phone or a trunk (DESIGN.md "Peers").
// This is the resolved form: templates are already applied, references are
// checked, and every field holds its effective value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "policy/duration.h"
#include "policy/host_name.h"
#include "policy/interface.h"
#include "policy/number_rewrite.h"
#include "policy/source_position.h"

namespace sbc::policy {

using PeerId = uint32_t;  // index into Policy::peers; stable within one snapshot only
inline constexpr PeerId kNoPeer = UINT32_MAX;
inline constexpr uint32_t kNoGroup = UINT32_MAX;

enum class PeerKind { phone, trunk };

enum class AuthMode {
  digest,  // the peer proves itself with a username and a password (or its HA1)
  ip,      // the peer is whoever sends from one of its trusted prefixes
};

struct PeerAuth {
  AuthMode mode = AuthMode::digest;
  std::string username;
  std::string password;             // one of password or ha1 is set in digest mode
  std::string ha1;                  // hex MD5(username:realm:password), lower case
  std::vector<Ipv4Prefix> trusted;  // ip mode: sources that are this peer
  // ip mode, a DNS name and no trusted prefixes: the addresses the name
  // resolves to (kept by the control plane's resolver) are this peer.
  bool trust_resolved = false;
  friend bool operator==(const PeerAuth&, const PeerAuth&) = default;
};

// Where to send requests for this peer. Phones usually have none: they are
// reached at the contact of their live registration. A DNS name is stored as
// written; RFC 3263 resolution (SRV, then A) happens in the control plane at
// run time (controlplane/trunk_resolver.h), so a reload never blocks on DNS.
struct PeerAddress {
  std::optional<Ipv4Address> ip;
  std::string dns_name;
  // Unset with a DNS name: SRV decides (A records with 5060 if there is no
  // SRV); set with a name, only A records are looked up (RFC 3263 4.2).
  std::optional<uint16_t> port;
  SipTransport transport = SipTransport::udp;

  bool is_set() const { return ip.has_value() || !dns_name.empty(); }
  friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

// A cap with the level at which an operator is told it is getting close.
struct ChannelCap {
  uint32_t max = 0;  // 0: no cap
  std::optional<uint32_t> alert_at;
  friend bool operator==(const ChannelCap&, const ChannelCap&) = default;
};

struct CpsCap {
  double rate = 0;     // calls per second; 0: no cap
  uint32_t burst = 0;  // bucket depth; defaults to max(1, ceil(rate))
  std::optional<double> alert_at;
  friend bool operator==(const CpsCap&, const CpsCap&) = default;
};

// OPTIONS probing (controlplane peer health). Interval 0 disables probing.
struct HealthProbe {
  Duration interval{0};
  uint32_t failures = 3;  // consecutive failures before the peer is unhealthy
  uint32_t recovery = 2;  // consecutive successes before it is healthy again
  friend bool operator==(const HealthProbe&, const HealthProbe&) = default;
};

// The SBC registering *to* a carrier on behalf of this trunk.
struct OutboundRegistration {
  std::string registrar;  // host[:port] or sip: URI, as written
  HostPort where;         // its host (IPv4 or a DNS name resolved at run time) and port
  std::string username;
  std::string password;
  Duration expiry{std::chrono::seconds(3600)};
  friend bool operator==(const OutboundRegistration&, const OutboundRegistration&) = default;
};

enum class LatchingMode {
  off,     // send media where the SDP says, accept it only from there
  strict,  // latch on the first packet from the SDP address (any port)
  any,     // latch on the first packet from anywhere: endpoints behind NAT
};

// SRTP is relayed untouched for now (DESIGN.md "Operations"); termination is a
// later issue, so `passthrough` is the only mode the loader accepts.
enum class SrtpMode { passthrough };

struct PeerMedia {
  LatchingMode latching = LatchingMode::strict;
  SrtpMode srtp = SrtpMode::passthrough;
  // The RTP payload type this peer insists on for telephone-event (RFC 4733
  // DTMF), 96-127; 0: whatever the other side offers (docs/b2bua.md "DTMF").
  uint8_t telephone_event_pt = 0;
  friend bool operator==(const PeerMedia&, const PeerMedia&) = default;
};

struct Peer {
  PeerId id = 0;
  std::string name;
  PeerKind kind = PeerKind::trunk;
  std::string leg;
  std::string template_name;  // empty: defined on its own
  std::vector<std::string> groups;
  std::vector<uint32_t> group_ids;  // the same, as sorted indexes (Policy::build_indexes)
  PeerAuth auth;
  PeerAddress address;
  std::vector<std::string> codecs;  // lower case, preference order; empty: any
  ChannelCap channels;
  CpsCap cps;
  Manipulation inbound;   // on numbers arriving from this peer, before routing
  Manipulation outbound;  // on numbers sent to this peer
  HealthProbe probe;
  std::optional<OutboundRegistration> registration;
  PeerMedia media;
  SourcePosition defined_at;
  bool overrides_template = true;  // false: every setting came from the template

  // A peer is reachable if it has an address or can register with us.
  bool can_register() const { return auth.mode == AuthMode::digest; }
  bool in_group(const std::string& g) const;
};

const char* to_string(PeerKind k);
const char* to_string(LatchingMode m);

}  // namespace sbc::policy
