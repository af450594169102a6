// What the SBC does next when it registers to a carrier on behalf of a trunk
// (policy `register:`; issue "outbound registration"): pure logic, no Sofia,
// so every answer a registrar can give is unit-tested with no network. The
// nta side (outbound_registrar.h) sends what this decides.
//
// Rules, in the order an answer is judged:
//  - 2xx: registered for the granted expiry (Contact's expires, else Expires,
//    else what we asked); refresh after 80% of it, so a lost refresh still
//    has a retransmission window before the carrier forgets us.
//  - 401/407 with a challenge we can answer: resend at once with credentials.
//    A second challenge in a row that is not stale=true means the carrier
//    refused the credentials: a failure (no loop of challenges).
//  - 423 with Min-Expires: ask again at once for that expiry (once; up to 24 h).
//  - anything else, or no answer: failing, with the code (0: none), and retry
//    after Retry-After if the answer has one, else after an exponential
//    backoff from retry_min doubling to retry_max.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace sbc::controlplane {

struct OutboundRegistrationTimers {
  std::chrono::milliseconds retry_min{std::chrono::seconds(5)};
  std::chrono::milliseconds retry_max{std::chrono::minutes(5)};
};

// What one final answer to our REGISTER carried.
struct RegisterAnswer {
  int status = 0;                               // 0: no answer (timeout, transport error)
  std::optional<std::chrono::seconds> granted;  // from Contact expires= or Expires
  std::optional<std::chrono::seconds> retry_after;
  std::optional<std::chrono::seconds> min_expires;  // 423
  bool challenge_usable = false;                    // 401/407 with a Digest challenge we answer
  bool challenge_stale = false;
};

class OutboundRegistrationState {
 public:
  enum class State { registering, registered, failing };
  enum class Action {
    wait,                   // nothing to send until `delay` has passed, then send
    send_with_credentials,  // answer the challenge now
    send_now,               // resend now (423 with a new expiry)
  };
  struct Decision {
    Action action = Action::wait;
    std::chrono::milliseconds delay{0};  // for wait: when to send the next REGISTER
  };

  OutboundRegistrationState(std::chrono::seconds requested_expiry,
                            OutboundRegistrationTimers timers);

  // A final answer to the REGISTER we sent (with credentials or not).
  Decision on_answer(const RegisterAnswer& answer);

  State state() const { return state_; }
  int last_status() const { return last_status_; }  // of the last final answer (0: none)
  uint32_t consecutive_failures() const { return failures_; }
  std::chrono::seconds expiry_to_request() const { return expiry_; }
  std::chrono::seconds granted() const { return granted_; }  // valid while registered

  static std::chrono::milliseconds refresh_delay(std::chrono::seconds granted);

 private:
  Decision fail(const RegisterAnswer& a);

  std::chrono::seconds expiry_;
  OutboundRegistrationTimers timers_;
  State state_ = State::registering;
  int last_status_ = 0;
  uint32_t failures_ = 0;
  bool challenged_ = false;  // the request being answered carried credentials
  bool retried_423_ = false;
  std::chrono::seconds granted_{0};
};

const char* to_string(OutboundRegistrationState::State s);

}  // namespace sbc::controlplane
