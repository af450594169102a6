// The live facts routing depends on but the policy does not hold: whether a
// phone is registered, whether a trunk answers OPTIONS, how many channels are
// in use. The control plane implements this (registrar, health, admission);
// tests implement it with a table. Routing only reads it, so the routing
// decision stays a pure function of (policy, live state, request).
#pragma once

#include <cstdint>

#include "policy/peer.h"

namespace sbc::policy {

class LiveState {
 public:
  virtual ~LiveState() = default;
  // A phone (or any digest peer without an address) has a live registration.
  virtual bool registered(const Peer& peer) const = 0;
  // OPTIONS probing says the peer answers. Peers that are not probed are
  // healthy.
  virtual bool healthy(const Peer& peer) const = 0;
  virtual uint32_t channels_in_use(const Peer& peer) const = 0;
  // The peer's calls-per-second bucket has a token left. Reading does not
  // take the token: admission does that when the call is actually sent.
  virtual bool cps_available(const Peer& peer) const = 0;
  // The peer is banned (failed authentication, abuse).
  virtual bool banned(const Peer& peer) const = 0;
  // The SBC sheds new non-emergency calls under overload.
  virtual bool overloaded() const = 0;
  // A peer whose address is a DNS name has addresses to send to (its name
  // resolved at least once). Only asked for such peers; without a resolver
  // (tests, tools) every name counts as resolved.
  virtual bool resolved(const Peer&) const { return true; }
};

}  // namespace sbc::policy
