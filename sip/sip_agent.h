// One Sofia-SIP nta agent per leg, bound to the leg's address on the kernel
// side (the exception path's TAP, or the host interface in control-plane-only
// mode). It owns transports and transactions only: what to do with a request
// is the handler's business (controlplane/), never this file's.
#pragma once

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace sbc::sip {

struct ListenSpec {
  std::string transport;  // "udp", "tcp" or "tls"
  uint16_t port = 5060;
  // TLS: Sofia's certificate directory (agent.pem, cafile.pem), and which
  // peers' certificates must chain to cafile.pem: the servers the agent
  // connects to, and the clients connecting to it.
  std::string certificates{};
  bool verify_servers = false;
  bool verify_clients = false;
};

class SipAgent {
 public:
  // Called for each request outside a dialog the agent knows. Returns the
  // final status it answered with (after nta_incoming_treply), or a status
  // for nta to answer with (no extra headers), or 0 to keep the transaction.
  using RequestHandler = std::function<int(nta_incoming_t*, const sip_t*)>;

  static Result<std::unique_ptr<SipAgent>> create(su_root_t* root, std::string leg_name,
                                                  Ipv4Address address,
                                                  const std::vector<ListenSpec>& listen,
                                                  RequestHandler handler);
  ~SipAgent();
  SipAgent(const SipAgent&) = delete;
  SipAgent& operator=(const SipAgent&) = delete;

  // Transaction timers (RFC 3261 table 4) in milliseconds: T1, T2, T4 and
  // timer B/F (64*T1 by default). From the policy's `timers`.
  void set_timers(unsigned t1, unsigned t2, unsigned t4, unsigned timer_b);

  const std::string& leg_name() const { return leg_name_; }
  nta_agent_t* agent() const { return agent_; }
  // "udp:198.18.1.1:5060" for each bound transport.
  const std::vector<std::string>& bound() const { return bound_; }

 private:
  SipAgent() = default;
  static int on_request(nta_leg_magic_t* magic, nta_leg_t* leg, nta_incoming_t* irq,
                        const sip_t* sip);

  std::string leg_name_;
  nta_agent_t* agent_ = nullptr;
  nta_leg_t* default_leg_ = nullptr;
  RequestHandler handler_;
  std::vector<std::string> bound_;
};

}  // namespace sbc::sip
