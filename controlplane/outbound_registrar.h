// The SBC registering to carriers on behalf of trunks (policy `register:` on a
// trunk): one REGISTER dialog per trunk, sent from the trunk's leg with that
// leg's address as Contact, answered challenges (digest_client.h), refreshes
// and retries as OutboundRegistrationState decides. State per trunk is shown
// by `sbcctl peers` and exported as metrics.
//
// On a policy reload, accounts that disappeared are unregistered (Expires: 0),
// changed ones start over, unchanged ones keep their registration. On
// shutdown every registered account is unregistered, fire and forget: nta
// sends the request at once; its answer is not awaited.
#pragma once

#include <sofia-sip/nta.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/dns_targets.h"
#include "controlplane/event_loop.h"
#include "controlplane/outbound_registration.h"
#include "controlplane/registrar/digest_client.h"
#include "policy/policy.h"

namespace sbc::controlplane {

struct OutboundAccountStatus {
  std::string peer;
  std::string registrar;  // Request-URI
  std::string aor;
  OutboundRegistrationState::State state = OutboundRegistrationState::State::registering;
  int last_status = 0;
  uint32_t failures = 0;
  std::chrono::seconds granted{0};
};

class OutboundRegistrar {
 public:
  using AgentForLeg = std::function<nta_agent_t*(const std::string& leg)>;
  // Called after every final answer (or its absence) with the account's state.
  using AnswerHook = std::function<void(const OutboundAccountStatus&)>;
  // Where a registrar named by DNS is reached now (trunk_resolver.h);
  // nullopt: its name has no address, the REGISTER counts as unanswered.
  using RegistrarLookup =
      std::function<std::optional<Endpoint>(const policy::OutboundRegistration&)>;

  OutboundRegistrar(EventLoop& loop, AgentForLeg agents,
                    std::function<policy::PolicyPtr()> current_policy,
                    OutboundRegistrationTimers timers, AnswerHook on_answer,
                    RegistrarLookup registrars = nullptr);
  ~OutboundRegistrar();
  OutboundRegistrar(const OutboundRegistrar&) = delete;
  OutboundRegistrar& operator=(const OutboundRegistrar&) = delete;

  // Brings the accounts in line with the current policy: at start and after
  // every successful reload.
  void reconcile();

  std::optional<OutboundAccountStatus> status(const std::string& peer) const;
  std::vector<OutboundAccountStatus> statuses() const;

 private:
  struct Account;
  void start(Account& a);
  void send(Account& a, bool with_credentials);
  void send_unregister(Account& a);
  // For the last challenge, with a fresh cnonce and the next nc; empty if none.
  static std::string authorization(Account& a);
  void on_final(Account* a, const sip_t* sip);
  void schedule(Account& a, std::chrono::milliseconds delay, bool with_credentials);
  void release(Account& a);  // timer, transaction and leg
  static int on_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, const sip_t* sip);
  OutboundAccountStatus status_of(const Account& a) const;
  // The next hop: "" for a registrar at an IPv4 address (the Request-URI's
  // host), "sip:IP:PORT" for a name that resolved, nullopt for one that did not.
  std::optional<std::string> route_of(const Account& a) const;

  EventLoop& loop_;
  AgentForLeg agents_;
  std::function<policy::PolicyPtr()> current_policy_;
  OutboundRegistrationTimers timers_;
  AnswerHook on_answer_;
  RegistrarLookup registrars_;
  std::map<std::string, std::unique_ptr<Account>> accounts_;  // by peer name
};

}  // namespace sbc::controlplane
