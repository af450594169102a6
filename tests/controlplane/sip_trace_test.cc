// SipTrace reassembles messages from the fragments Sofia's tport_log_msg
// writes through su_log (a stamp line, a separator, each line in two calls,
// a closing separator), filters them, and passes other log text through.
// The last test drives the real su_log redirection.
#include "controlplane/sip_trace.h"

#include <gtest/gtest.h>
#include <sofia-sip/su_log.h>

#include <string>
#include <vector>

using namespace sbc;
using namespace sbc::controlplane;

namespace {

const std::string kSep =
    "   ------------------------------------------------------------------------\n";

// The su_log calls tport_log_msg makes for one message, one string each.
std::vector<std::string> fragments(const std::string& what, const std::string& addr,
                                   const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  out.push_back(what + " 300 bytes " + (what == "recv" ? "from" : "to") + " udp/[" + addr +
                "]:5060 at 06:53:01.123456:\n" + kSep);
  for (size_t i = 0; i < lines.size(); ++i) {
    out.push_back("   " + lines[i]);
    if (i + 1 < lines.size()) out.push_back("\n");
  }
  out.push_back("\n" + kSep);
  return out;
}

struct Fixture : ::testing::Test {
  std::string passed;
  SipTrace trace{3, [this](std::string_view l) { passed.append(l); }};
  void feed(const std::vector<std::string>& fs) {
    for (const auto& f : fs) trace.feed(f);
  }
};

const std::vector<std::string> kInvite = {"INVITE sip:1001@198.18.2.1 SIP/2.0",
                                          "Via: SIP/2.0/UDP 198.18.1.11:5060;branch=z9hG4bK1",
                                          "Call-ID: abc@198.18.1.11", "Content-Length: 0", ""};
const std::vector<std::string> kOk = {"SIP/2.0 200 OK", "i: other@198.18.2.10", "Content-Length: 0",
                                      ""};

}  // namespace

TEST_F(Fixture, ReassemblesAMessage) {
  trace.start({});
  feed(fragments("recv", "198.18.1.11", kInvite));
  ASSERT_EQ(trace.messages().size(), 1u);
  const auto& m = trace.messages()[0];
  EXPECT_TRUE(m.received);
  EXPECT_EQ(m.transport, "udp");
  EXPECT_EQ(m.address, "198.18.1.11");
  EXPECT_EQ(m.port, 5060);
  EXPECT_EQ(m.at, "06:53:01.123456");
  EXPECT_EQ(m.text,
            "INVITE sip:1001@198.18.2.1 SIP/2.0\nVia: SIP/2.0/UDP "
            "198.18.1.11:5060;branch=z9hG4bK1\nCall-ID: abc@198.18.1.11\nContent-Length: 0\n\n");
  EXPECT_EQ(passed, "");
}

TEST_F(Fixture, FiltersByAddressAndByCallId) {
  trace.start({{"198.18.2.10"}, ""});
  feed(fragments("recv", "198.18.1.11", kInvite));
  feed(fragments("send", "198.18.2.10", kOk));
  ASSERT_EQ(trace.messages().size(), 1u);
  EXPECT_FALSE(trace.messages()[0].received);
  trace.start({{}, "abc@198.18.1.11"});
  feed(fragments("send", "198.18.2.10", kOk));
  feed(fragments("recv", "198.18.1.11", kInvite));
  ASSERT_EQ(trace.messages().size(), 1u);
  EXPECT_EQ(trace.messages()[0].address, "198.18.1.11");
  trace.start({{}, "other@198.18.2.10"});  // the compact form, i:
  feed(fragments("send", "198.18.2.10", kOk));
  EXPECT_EQ(trace.messages().size(), 1u);
}

TEST_F(Fixture, OtherLogTextPassesThroughAndNothingIsKeptWhenStopped) {
  trace.start({});
  trace.feed("nta: OPTIONS (1): Connection ");
  trace.feed("refused (111)\n");
  feed(fragments("recv", "198.18.1.11", kInvite));
  trace.feed("   *** message truncated at 12 ***\n");
  EXPECT_EQ(passed,
            "nta: OPTIONS (1): Connection refused (111)\n   *** message truncated at 12 ***\n");
  trace.stop();
  feed(fragments("recv", "198.18.1.11", kInvite));
  EXPECT_EQ(trace.messages().size(), 1u);
  // A stamp-like line not followed by the separator is not a message.
  passed.clear();
  trace.start({});
  trace.feed("recv 3 bytes from udp/[1.2.3.4]:5060 at 00:00:00.0:\nnot a separator\n");
  EXPECT_EQ(trace.messages().size(), 0u);
  EXPECT_EQ(passed, "recv 3 bytes from udp/[1.2.3.4]:5060 at 00:00:00.0:\nnot a separator\n");
}

TEST_F(Fixture, KeepsTheNewestWithinItsBound) {
  trace.start({});
  for (int i = 0; i < 5; ++i) feed(fragments("recv", "198.18.1." + std::to_string(i), kOk));
  ASSERT_EQ(trace.messages().size(), 3u);
  EXPECT_EQ(trace.dropped(), 2u);
  EXPECT_EQ(trace.messages().front().address, "198.18.1.2");
  EXPECT_NE(trace.render_text().find("3 message(s), 2 older one(s) dropped; tracing"),
            std::string::npos);
  std::string j = trace.render_json();
  EXPECT_NE(j.find("\"direction\":\"received\",\"transport\":\"udp\",\"address\":\"198.18.1.4\","
                   "\"port\":5060,\"at\":\"06:53:01.123456\",\"call_id\":\"other@198.18.2.10\""),
            std::string::npos)
      << j;
}

TEST(TraceCommand, StartShowStopAndErrors) {
  std::vector<bool> enabled;
  TraceHooks hooks{[](const std::string& peer) -> Result<std::set<std::string>> {
                     if (peer == "carA") return std::set<std::string>{"198.18.2.10"};
                     if (peer == "alice") return std::set<std::string>{};
                     return make_error("no peer '" + peer + "' in the policy");
                   },
                   [&](bool on) { enabled.push_back(on); },
                   [](Ipv4Address, std::string_view) {
                     return std::make_pair(*Ipv4Address::parse("198.18.2.1"), uint16_t{5060});
                   }};
  SipTrace trace(10, [](std::string_view) {});
  auto r = trace_command(trace, hooks, {"start", "peer", "carA"});
  ASSERT_TRUE(r.ok) << r.body;
  EXPECT_EQ(r.body, "tracing messages to and from 198.18.2.10 (sbcctl trace show | stop)\n");
  EXPECT_TRUE(trace.active());
  // Sofia's default log now comes here.
  su_log("send 10 bytes to udp/[198.18.2.10]:5060 at 01:02:03.000004:\n%s", kSep.c_str());
  su_log("   OPTIONS sip:198.18.2.10 SIP/2.0");
  su_log("\n");
  su_log("   Call-ID: x1");
  su_log("\n%s", kSep.c_str());
  auto show = trace_command(trace, hooks, {"show", "--json"});
  ASSERT_TRUE(show.ok);
  EXPECT_NE(show.body.find("\"call_id\":\"x1\""), std::string::npos) << show.body;
  auto stop = trace_command(trace, hooks, {"stop"});
  ASSERT_TRUE(stop.ok);
  EXPECT_NE(stop.body.find("--- 01:02:03.000004 sent to udp:198.18.2.10:5060 ---\nOPTIONS "),
            std::string::npos)
      << stop.body;
  EXPECT_NE(stop.body.find("1 message(s); stopped"), std::string::npos);
  EXPECT_EQ(enabled, (std::vector<bool>{true, false}));
  // The same capture as a pcap: the file header and one record, sent from
  // the local end the hook names (sip_trace_pcap_test.cc reads it in full).
  auto pcap = trace_command(trace, hooks, {"show", "--pcap"});
  ASSERT_TRUE(pcap.ok);
  EXPECT_EQ(pcap.body.substr(0, 4), std::string("\xd4\xc3\xb2\xa1", 4));
  EXPECT_GT(pcap.body.size(), 24u + 16u + 28u);
  EXPECT_NE(pcap.body.find("OPTIONS sip:198.18.2.10 SIP/2.0\r\n"), std::string::npos);
  EXPECT_NE(pcap.body.find(std::string("\xc6\x12\x02\x01\xc6\x12\x02\x0a", 8)), std::string::npos)
      << "198.18.2.1 -> 198.18.2.10 in the IPv4 header";
  EXPECT_FALSE(trace_command(trace, hooks, {"start", "peer", "nobody"}).ok);
  auto none = trace_command(trace, hooks, {"start", "peer", "alice"});
  EXPECT_FALSE(none.ok);
  EXPECT_NE(none.body.find("not registered"), std::string::npos);
  EXPECT_FALSE(trace_command(trace, hooks, {"start", "address", "not-an-ip"}).ok);
  EXPECT_FALSE(trace_command(trace, hooks, {"show", "--yaml"}).ok);
  EXPECT_FALSE(trace_command(trace, hooks, {"start", "--pcap"}).ok);
  EXPECT_FALSE(trace_command(trace, hooks, {}).ok);
}
