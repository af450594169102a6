#include "controlplane/sip_trace.h"

#include <sofia-sip/su_log.h>

#include <strings.h>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/ip_address.h"
#include "controlplane/json_writer.h"
#include "controlplane/sip_trace_pcap.h"

namespace sbc::controlplane {
namespace {

// tport_log_msg's separator line, after its three-space indent.
constexpr std::string_view kSeparator =
    "   ------------------------------------------------------------------------";
constexpr std::string_view kIndent = "   ";

SipTrace* g_trace = nullptr;  // the trace Sofia's default log goes to, if any

void sofia_logger(void* stream, char const* fmt, va_list ap) {
  auto* trace = static_cast<SipTrace*>(stream);
  char buf[4096];
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(buf, sizeof buf, fmt, copy);
  va_end(copy);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof buf) {
    trace->feed(std::string_view(buf, static_cast<size_t>(n)));
    return;
  }
  std::string big(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(big.data(), big.size(), fmt, ap);
  big.resize(static_cast<size_t>(n));
  trace->feed(big);
}

// "recv 512 bytes from udp/[198.18.1.11]:5060 at 06:53:01.123456:" (the
// address may carry a flow label or ";comp=sigcomp" after the port).
bool parse_header(std::string_view l, SipTrace::Message& m) {
  bool recv = l.starts_with("recv ");
  if (!recv && !l.starts_with("send ")) return false;
  auto bytes = l.find(" bytes ");
  if (bytes == std::string_view::npos) return false;
  auto rest = l.substr(bytes + 7);
  std::string_view dir = recv ? "from " : "to ";
  if (!rest.starts_with(dir)) return false;
  rest.remove_prefix(dir.size());
  auto slash = rest.find("/[");
  auto close = rest.find("]:");
  auto at = rest.find(" at ");
  if (slash == std::string_view::npos || close == std::string_view::npos ||
      at == std::string_view::npos || !(slash < close && close < at) || !l.ends_with(":"))
    return false;
  m.received = recv;
  m.transport = std::string(rest.substr(0, slash));
  m.address = std::string(rest.substr(slash + 2, close - slash - 2));
  m.port =
      static_cast<uint16_t>(std::strtoul(std::string(rest.substr(close + 2)).c_str(), nullptr, 10));
  auto stamp = rest.substr(at + 4);
  m.at = std::string(stamp.substr(0, stamp.size() - 1));
  m.text.clear();
  return true;
}

// The value of the Call-ID header (or its compact form "i").
std::string call_id_of(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view l(text.data() + pos, end - pos);
    if (l.empty()) break;  // end of the headers
    auto colon = l.find(':');
    if (colon != std::string_view::npos) {
      auto name = l.substr(0, colon);
      while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
      if ((name.size() == 7 && strncasecmp(name.data(), "Call-ID", 7) == 0) ||
          (name.size() == 1 && (name[0] == 'i' || name[0] == 'I'))) {
        auto v = l.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.remove_suffix(1);
        return std::string(v);
      }
    }
    pos = end + 1;
  }
  return "";
}

}  // namespace

SipTrace::SipTrace(size_t max_messages, Passthrough passthrough)
    : max_messages_(max_messages ? max_messages : 1), passthrough_(std::move(passthrough)) {
  if (!passthrough_)
    passthrough_ = [](std::string_view l) { fwrite(l.data(), 1, l.size(), stderr); };
}

SipTrace::~SipTrace() {
  if (g_trace == this) redirect_sofia_log(nullptr);
}

void SipTrace::redirect_sofia_log(SipTrace* trace) {
  g_trace = trace;
  if (trace)
    su_log_redirect(su_log_default, &sofia_logger, trace);
  else
    su_log_redirect(su_log_default, nullptr, nullptr);
}

void SipTrace::start(Filter filter) {
  filter_ = std::move(filter);
  messages_.clear();
  dropped_ = 0;
  active_ = true;
}

void SipTrace::stop() {
  active_ = false;
  // A half-seen message or line goes out as it came in.
  if (state_ != State::outside) passthrough_(header_line_ + "\n");
  if (!pending_.empty()) passthrough_(pending_);
  pending_.clear();
  state_ = State::outside;
}

void SipTrace::feed(std::string_view text) {
  pending_.append(text);
  size_t start = 0;
  for (;;) {
    size_t nl = pending_.find('\n', start);
    if (nl == std::string::npos) break;
    line(std::string_view(pending_).substr(start, nl - start));
    start = nl + 1;
  }
  pending_.erase(0, start);
}

void SipTrace::line(std::string_view l) {
  switch (state_) {
    case State::outside:
      if (parse_header(l, current_)) {
        header_line_ = std::string(l);
        state_ = State::header;
      } else {
        passthrough_(std::string(l) + "\n");
      }
      return;
    case State::header:
      if (l == kSeparator) {
        state_ = State::body;
      } else {
        passthrough_(header_line_ + "\n" + std::string(l) + "\n");
        state_ = State::outside;
      }
      return;
    case State::body:
      if (l == kSeparator) {
        finish();
        state_ = State::outside;
        return;
      }
      if (l.starts_with(kIndent)) l.remove_prefix(kIndent.size());
      current_.text.append(l);
      current_.text += '\n';
      return;
  }
}

bool SipTrace::matches(const Message& m) const {
  if (!filter_.addresses.empty() && !filter_.addresses.contains(m.address)) return false;
  if (!filter_.call_id.empty() && call_id_of(m.text) != filter_.call_id) return false;
  return true;
}

std::chrono::system_clock::time_point SipTrace::stamp_time(
    std::string_view at, std::chrono::system_clock::time_point now) {
  unsigned h = 0, m = 0, sec = 0, us = 0;
  int used = 0;
  const std::string text(at);
  if (std::sscanf(text.c_str(), "%2u:%2u:%2u.%6u%n", &h, &m, &sec, &us, &used) != 4 ||
      static_cast<size_t>(used) != text.size() || h > 23 || m > 59 || sec > 60)
    return now;
  using namespace std::chrono;
  const auto day = floor<days>(now);
  auto t = day + hours(h) + minutes(m) + seconds(sec) + microseconds(us);
  if (t > now + minutes(1)) t -= days(1);
  return time_point_cast<system_clock::duration>(t);
}

void SipTrace::finish() {
  if (!active_ || !matches(current_)) return;
  current_.captured = stamp_time(current_.at, std::chrono::system_clock::now());
  if (messages_.size() >= max_messages_) {
    messages_.pop_front();
    ++dropped_;
  }
  messages_.push_back(std::move(current_));
  current_ = Message{};
}

std::string SipTrace::render_text() const {
  std::string out;
  for (const auto& m : messages_) {
    out += std::string("--- ") + m.at + (m.received ? " recv from " : " sent to ") + m.transport +
           ":" + m.address + ":" + std::to_string(m.port) + " ---\n" + m.text + "\n";
  }
  out += std::to_string(messages_.size()) + " message(s)";
  if (dropped_) out += ", " + std::to_string(dropped_) + " older one(s) dropped";
  out += active_ ? "; tracing\n" : "; stopped\n";
  return out;
}

std::string SipTrace::render_json() const {
  JsonWriter w;
  w.begin_object();
  w.key("active").value(active_);
  w.key("dropped").value(dropped_);
  w.key("messages").begin_array();
  for (const auto& m : messages_) {
    w.begin_object();
    w.key("direction").value(m.received ? "received" : "sent");
    w.key("transport").value(m.transport);
    w.key("address").value(m.address);
    w.key("port").value(static_cast<unsigned>(m.port));
    w.key("at").value(m.at);
    w.key("call_id").value(call_id_of(m.text));
    w.key("text").value(m.text);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str() + "\n";
}

admin::Reply trace_command(SipTrace& trace, const TraceHooks& hooks,
                           const std::vector<std::string>& a) {
  const char* usage =
      "usage: trace start [peer NAME | address IP | call-id ID]\n"
      "       trace show [--json | --pcap] | trace stop [--json | --pcap]\n";
  if (a.empty()) return {false, usage};
  if (a[0] == "start") {
    SipTrace::Filter f;
    size_t i = 1;
    if (i + 1 < a.size() && a[i] == "peer") {
      auto addrs = hooks.peer_addresses(a[i + 1]);
      if (!addrs) return {false, "trace: " + addrs.error().message + "\n"};
      if (addrs->empty())
        return {false, "trace: peer '" + a[i + 1] +
                           "' has no address now (a phone that is not registered)\n"};
      f.addresses = *addrs;
      i += 2;
    } else if (i + 1 < a.size() && a[i] == "address") {
      if (!Ipv4Address::parse(a[i + 1]))
        return {false, "trace: '" + a[i + 1] + "' is not an IPv4 address\n"};
      f.addresses.insert(a[i + 1]);
      i += 2;
    } else if (i + 1 < a.size() && a[i] == "call-id") {
      f.call_id = a[i + 1];
      i += 2;
    }
    if (i < a.size()) return {false, usage};
    if (trace.active()) trace.stop();
    trace.start(f);
    SipTrace::redirect_sofia_log(&trace);
    hooks.enable(true);
    std::string what = f.addresses.empty() && f.call_id.empty() ? "every SIP message" : "";
    for (const auto& ad : f.addresses) what += (what.empty() ? "messages to and from " : ", ") + ad;
    if (!f.call_id.empty()) what = "messages with Call-ID " + f.call_id;
    return {true, "tracing " + what + " (sbcctl trace show | stop)\n"};
  }
  bool json = a.size() == 2 && a[1] == "--json";
  bool pcap = a.size() == 2 && a[1] == "--pcap";
  if (a.size() > 2 || (a.size() == 2 && !json && !pcap)) return {false, usage};
  if (a[0] != "show" && a[0] != "stop") return {false, usage};
  if (a[0] == "stop" && trace.active()) {
    hooks.enable(false);
    SipTrace::redirect_sofia_log(nullptr);
    trace.stop();
  }
  if (pcap) return {true, sip_trace_pcap(trace.messages(), hooks.local_endpoint)};
  return {true, json ? trace.render_json() : trace.render_text()};
}

}  // namespace sbc::controlplane
