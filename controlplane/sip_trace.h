// `sbcctl trace`: the SIP messages sbcd sends and receives, captured on
// demand for troubleshooting, filtered to one peer's addresses or one
// Call-ID, kept in a bounded buffer that sbcctl reads as text or JSON.
//
// Sofia's transports print every message they send or receive through its
// default log when message logging (TPTAG_LOG) is on, the hook FreeSWITCH's
// siptrace uses too. While a trace runs, sbcd turns that on for its agents
// and redirects the default log here: SipTrace reassembles the messages from
// the log's fragments, keeps those that match, and passes every other line
// through to stderr as Sofia would have written it. When no trace runs,
// nothing is redirected and Sofia logs nothing extra.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "controlplane/admin_protocol.h"

namespace sbc::controlplane {

class SipTrace {
 public:
  struct Message {
    bool received = false;  // false: sent by sbcd
    std::string transport;  // udp, tcp, tls
    std::string address;    // the other side's
    uint16_t port = 0;
    std::string at;    // wall clock as Sofia stamps it, hh:mm:ss.micro (UTC)
    std::string text;  // the message, lines ended by \n
  };
  struct Filter {
    std::set<std::string> addresses;  // empty: any
    std::string call_id;              // empty: any
  };
  using Passthrough = std::function<void(std::string_view line)>;

  // passthrough: where log lines that are not trace messages go (default
  // stderr).
  explicit SipTrace(size_t max_messages = 500, Passthrough passthrough = {});
  ~SipTrace();
  SipTrace(const SipTrace&) = delete;
  SipTrace& operator=(const SipTrace&) = delete;

  void start(Filter filter);
  void stop();
  bool active() const { return active_; }
  const Filter& filter() const { return filter_; }

  // Text written through Sofia's default log, in any fragments.
  void feed(std::string_view text);

  const std::deque<Message>& messages() const { return messages_; }
  uint64_t dropped() const { return dropped_; }  // oldest ones beyond max_messages
  std::string render_text() const;
  std::string render_json() const;

  // Redirects Sofia's default log into `trace` (nullptr: back to stderr).
  static void redirect_sofia_log(SipTrace* trace);

 private:
  void line(std::string_view l);
  void finish();
  bool matches(const Message& m) const;

  size_t max_messages_;
  Passthrough passthrough_;
  bool active_ = false;
  Filter filter_;
  std::string pending_;  // an incomplete line
  enum class State { outside, header, body } state_ = State::outside;
  std::string header_line_;
  Message current_;
  std::deque<Message> messages_;
  uint64_t dropped_ = 0;
};

// The `trace` admin command:
//   trace start [peer NAME | address IP | call-id ID]   (the last 500 messages are kept)
//   trace show [--json]      what has been captured so far (tracing goes on)
//   trace stop [--json]      stops, and shows what was captured
// peer_addresses: a peer's addresses now (a trunk's, a phone's registered
// sources), or an error for an unknown peer. enable: turns Sofia's message
// logging on or off on every agent.
struct TraceHooks {
  std::function<Result<std::set<std::string>>(const std::string& peer)> peer_addresses;
  std::function<void(bool on)> enable;
};
admin::Reply trace_command(SipTrace& trace, const TraceHooks& hooks,
                           const std::vector<std::string>& args);

}  // namespace sbc::controlplane
