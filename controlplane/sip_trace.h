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

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
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
    // Sofia's stamp on the date it was taken (the pcap's timestamps).
    std::chrono::system_clock::time_point captured;
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

  // Sofia stamps a time of day only ("06:53:01.123456", UTC): the moment it
  // names on the day of `now`, or the day before when that would lie ahead
  // of `now` (a message logged just before midnight, reassembled after).
  // `now` itself when the stamp does not parse.
  static std::chrono::system_clock::time_point stamp_time(
      std::string_view at, std::chrono::system_clock::time_point now);

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
//   trace show [--json | --pcap]  what has been captured so far (tracing goes on)
//   trace stop [--json | --pcap]  stops, and shows what was captured
// With --pcap the reply body is a pcap file (sip_trace_pcap.h), which
// sbcctl writes to the file the operator named.
// peer_addresses: a peer's addresses now (a trunk's, a phone's registered
// sources), or an error for an unknown peer. enable: turns Sofia's message
// logging on or off on every agent. local_endpoint: sbcd's address and port
// on the leg toward a remote (the pcap's other end; Sofia's log names only
// the remote one).
struct TraceHooks {
  std::function<Result<std::set<std::string>>(const std::string& peer)> peer_addresses;
  std::function<void(bool on)> enable;
  std::function<std::pair<Ipv4Address, uint16_t>(Ipv4Address remote, std::string_view transport)>
      local_endpoint;
};
admin::Reply trace_command(SipTrace& trace, const TraceHooks& hooks,
                           const std::vector<std::string>& args);

}  // namespace sbc::controlplane
