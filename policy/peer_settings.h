// A peer's settings as written in one place (a template or a peer entry):
// every field optional, so a template chain can be merged field by field,
// and the loader can tell what a peer sets itself from what it inherits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/peer.h"

namespace sbc::policy {

struct PeerSettings {
  std::optional<PeerKind> kind;
  std::optional<std::string> leg;
  std::optional<std::vector<std::string>> groups;
  std::optional<AuthMode> auth_mode;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<std::string> ha1;
  std::optional<std::vector<Ipv4Prefix>> trusted;
  std::optional<std::string> host;  // IPv4 literal or DNS name
  std::optional<uint16_t> port;
  std::optional<SipTransport> transport;
  std::optional<std::vector<std::string>> codecs;
  std::optional<ChannelCap> channels;
  std::optional<CpsCap> cps;
  std::optional<Manipulation> inbound;
  std::optional<Manipulation> outbound;
  std::optional<Duration> probe_interval;
  std::optional<uint32_t> probe_failures;
  std::optional<uint32_t> probe_recovery;
  std::optional<OutboundRegistration> registration;
  std::optional<LatchingMode> latching;
  std::optional<SrtpMode> srtp;
  std::optional<uint8_t> telephone_event_pt;

  // Fields set here win over `base` (the template's, already merged).
  void inherit(const PeerSettings& base);
  bool empty() const;
};

}  // namespace sbc::policy
