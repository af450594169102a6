// One OPTIONS request and its answer (or its absence within a timeout): the
// building block of trunk health probing and of NAT keepalives. nta objects
// are destroyed on a later loop turn, never inside their own callback.
#pragma once

#include <sofia-sip/nta.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "controlplane/event_loop.h"
#include "controlplane/monotonic_clock.h"

namespace sbc::controlplane {

struct OptionsTarget {
  std::string from;         // "<sip:probe@198.18.2.1>"
  std::string to;           // "<sip:198.18.2.10:5060>"
  std::string request_uri;  // "sip:198.18.2.10:5060"
  std::string next_hop;     // "sip:IP:PORT": where to send, if not the Request-URI's host
};

class OptionsPing {
 public:
  // status: the final answer, or 0 when none came in time (or it could not be sent).
  using Done = std::function<void(int status, std::chrono::microseconds rtt)>;

  explicit OptionsPing(EventLoop& loop) : loop_(loop) {}
  ~OptionsPing();

  void send(nta_agent_t* agent, const OptionsTarget& target, std::chrono::milliseconds timeout,
            Done done);
  size_t in_flight() const { return pings_.size(); }

 private:
  struct Ping {
    OptionsPing* self;
    nta_leg_t* leg = nullptr;
    nta_outgoing_t* orq = nullptr;
    MonoTime sent;
    EventLoop::TimerId timeout = -1;
    Done done;
  };
  void finish(Ping* p, int status);
  static int on_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, const sip_t* sip);

  EventLoop& loop_;
  SteadyClock clock_;
  std::map<Ping*, std::unique_ptr<Ping>> pings_;
};

}  // namespace sbc::controlplane
