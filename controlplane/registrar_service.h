// REGISTER on the event loop: the nta glue around the registrar's logic core
// (controlplane/registrar/). Takes a REGISTER apart into a RegisterInput,
// answers from the RegisterDecision (401 challenges, 423 Min-Expires, 200
// with every binding), looks credentials up in the current policy, and runs
// the registrar's sweep and the store's write-behind flush on timers.
#pragma once

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "controlplane/event_loop.h"
#include "controlplane/registrar/auth_failure_tracker.h"
#include "controlplane/registrar/binding_store.h"
#include "controlplane/registrar/clock.h"
#include "controlplane/registrar/digest_authenticator.h"
#include "controlplane/registrar/location_store.h"
#include "controlplane/registrar/registrar.h"
#include "controlplane/silent_drop.h"
#include "policy/policy.h"

namespace sbc::controlplane {

struct RegistrarServiceConfig {
  std::string realm = "sbc";
  std::string database;  // SQLite file; bindings survive a restart of sbcd
  bool offer_sha256 = true;
  bool offer_md5 = true;
  // How often pending binding changes are written (one transaction each):
  // what a crash can lose at most (docs/registrar.md).
  std::chrono::milliseconds flush_interval{200};
  std::chrono::milliseconds sweep_interval{1000};
};

struct RegistrarCounters {
  uint64_t requests = 0, ok = 0, challenged = 0, refused = 0, dropped = 0;
};

class RegistrarService {
 public:
  // silent: how a banned REGISTER gets no answer (sbcd's one SilentDrop).
  static Result<std::unique_ptr<RegistrarService>> start(
      EventLoop& loop, RegistrarServiceConfig config,
      std::function<policy::PolicyPtr()> current_policy, SilentDrop& silent);
  ~RegistrarService();

  // A REGISTER outside a dialog; returns what the leg callback returns
  // (SilentDrop's 408 for a banned source: nta sends no 408 to a non-INVITE).
  int handle(nta_incoming_t* irq, const sip_t* sip);

  // Called on the loop thread after anything that may change the bindings
  // (a REGISTER answered, an expiry sweep): sbcd mirrors counts into metrics.
  // After every REGISTER and every expiry sweep that removed bindings, with
  // the AORs whose registration may have changed (none: counters only).
  // Per AOR so a listener with 100,000 phones does O(1) work per REGISTER.
  void on_change(std::function<void(const std::vector<std::string>& aors)> f) {
    on_change_ = std::move(f);
  }
  // Every ban a failed authentication caused, and every source that
  // authenticated (with the longest lifetime of its bindings; 0: none left):
  // sbcd enforces the bans and promotes the sources in the dataplane
  // (controlplane/protection_service.h).
  void on_ban(std::function<void(const registrar::Ban&)> f) { on_ban_ = std::move(f); }
  // A ban decided outside REGISTER (a failed INVITE digest, a scanner) goes
  // the same way as the registrar's own: to the dataplane's deny list.
  void announce_ban(const registrar::Ban& b) {
    if (on_ban_) on_ban_(b);
  }
  void on_authenticated(std::function<void(Ipv4Address, std::chrono::seconds)> f) {
    on_authenticated_ = std::move(f);
  }

  registrar::LocationStore& store() { return *store_; }
  registrar::AuthFailureTracker& failures() { return *failures_; }
  const RegistrarCounters& counters() const { return counters_; }
  // Registration state of a phone peer (its AOR's user part is its username).
  registrar::RegistrationState state_of(const policy::Peer& peer) const;
  std::vector<registrar::Binding> bindings_of(const policy::Peer& peer) const;

 private:
  RegistrarService(EventLoop& loop, RegistrarServiceConfig config,
                   std::function<policy::PolicyPtr()> current_policy, SilentDrop& silent);
  registrar::RegistrarConfig registrar_config(const policy::Policy& p) const;
  int answer(nta_incoming_t* irq, const sip_t* sip);
  std::string aor_of(std::string_view user) const;

  EventLoop& loop_;
  RegistrarServiceConfig config_;
  std::function<policy::PolicyPtr()> current_policy_;
  SilentDrop& silent_;
  registrar::SystemClock clock_;
  registrar::NonceKey key_{};
  std::unique_ptr<registrar::DigestAuthenticator> auth_;
  std::unique_ptr<registrar::AuthFailureTracker> failures_;
  std::unique_ptr<registrar::BindingStore> db_;
  std::unique_ptr<registrar::LocationStore> store_;
  std::unique_ptr<registrar::Registrar> registrar_;
  EventLoop::TimerId flush_timer_ = -1, sweep_timer_ = -1;
  RegistrarCounters counters_;
  std::function<void(const std::vector<std::string>&)> on_change_;
  std::function<void(const registrar::Ban&)> on_ban_;
  std::function<void(Ipv4Address, std::chrono::seconds)> on_authenticated_;
};

}  // namespace sbc::controlplane
