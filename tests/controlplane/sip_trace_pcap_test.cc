// The pcap form of a SIP trace, read back byte by byte as a reader would:
// the global header, one record per message with Sofia's time, IPv4 and UDP
// headers with the right ends and valid checksums, the message with CRLF;
// and which leg's address and port stand for sbcd.
#include "controlplane/sip_trace_pcap.h"

#include <gtest/gtest.h>

#include <cstring>

#include "policy/loader.h"

using namespace sbc;
using namespace sbc::controlplane;

namespace {

uint32_t host32(const std::string& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
uint16_t be16(const std::string& b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) |
                               static_cast<uint8_t>(b[at + 1]));
}
uint32_t be32(const std::string& b, size_t at) {
  return (static_cast<uint32_t>(be16(b, at)) << 16) | be16(b, at + 2);
}
// The one's-complement sum a receiver checks: 0xffff over a valid header.
uint16_t check(const std::string& bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) sum += be16(bytes, i);
  if (bytes.size() % 2) sum += static_cast<uint8_t>(bytes.back()) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

struct Record {
  uint32_t sec, usec;
  std::string packet;
};

std::vector<Record> records(const std::string& pcap) {
  std::vector<Record> out;
  size_t pos = 24;
  while (pos + 16 <= pcap.size()) {
    uint32_t caplen = host32(pcap, pos + 8);
    EXPECT_EQ(caplen, host32(pcap, pos + 12)) << "nothing is truncated";
    out.push_back({host32(pcap, pos), host32(pcap, pos + 4), pcap.substr(pos + 16, caplen)});
    pos += 16 + caplen;
  }
  EXPECT_EQ(pos, pcap.size()) << "the last record ends the file";
  return out;
}

SipTrace::Message message(bool received, const std::string& address, const std::string& text,
                          int64_t usec_since_epoch) {
  SipTrace::Message m;
  m.received = received;
  m.transport = "udp";
  m.address = address;
  m.port = 5070;
  m.text = text;
  m.captured = std::chrono::system_clock::time_point(std::chrono::microseconds(usec_since_epoch));
  return m;
}

const Ipv4Address kSbc = *Ipv4Address::parse("198.18.1.1");

LocalEndpoint fixed_local() {
  return [](Ipv4Address, std::string_view) { return std::make_pair(kSbc, uint16_t{5060}); };
}

}  // namespace

TEST(SipTracePcap, GlobalHeaderIsRawIpv4WithMicroseconds) {
  std::string pcap = sip_trace_pcap({}, fixed_local());
  ASSERT_EQ(pcap.size(), 24u);
  EXPECT_EQ(host32(pcap, 0), 0xa1b2c3d4u);
  EXPECT_EQ(pcap.substr(4, 4), std::string("\x02\x00\x04\x00", 4));  // version 2.4
  EXPECT_EQ(host32(pcap, 16), 65535u);                               // snaplen
  EXPECT_EQ(host32(pcap, 20), 101u);                                 // LINKTYPE_RAW
}

TEST(SipTracePcap, OneDatagramPerMessageWithBothEndsAndValidChecksums) {
  std::deque<SipTrace::Message> msgs = {
      message(true, "198.18.1.11", "INVITE sip:2001@198.18.1.1 SIP/2.0\nContent-Length: 0\n\n",
              1'700'000'000'123'456),
      message(false, "198.18.1.11", "SIP/2.0 100 Trying\nContent-Length: 0\n\n",
              1'700'000'000'200'001),
      message(true, "not-an-address", "x\n", 1'700'000'001'000'000)};
  auto recs = records(sip_trace_pcap(msgs, fixed_local()));
  ASSERT_EQ(recs.size(), 2u) << "a non-IPv4 address is left out";
  EXPECT_EQ(recs[0].sec, 1'700'000'000u);
  EXPECT_EQ(recs[0].usec, 123'456u);
  EXPECT_EQ(recs[1].usec, 200'001u);
  for (size_t i = 0; i < recs.size(); ++i) {
    const std::string& p = recs[i].packet;
    ASSERT_GE(p.size(), 28u);
    EXPECT_EQ(static_cast<uint8_t>(p[0]), 0x45);
    EXPECT_EQ(be16(p, 2), p.size()) << "IPv4 total length";
    EXPECT_EQ(static_cast<uint8_t>(p[9]), 17) << "UDP";
    EXPECT_EQ(check(p.substr(0, 20)), 0xffff) << "IPv4 header checksum";
    EXPECT_EQ(be16(p, 24), p.size() - 20) << "UDP length";
    std::string pseudo = p.substr(12, 8) + std::string("\0\x11", 2) + p.substr(24, 2);
    EXPECT_EQ(check(pseudo + p.substr(20)), 0xffff) << "UDP checksum with the pseudo-header";
  }
  // Received: from the phone's address and port to sbcd's; sent: back.
  const std::string& in = recs[0].packet;
  EXPECT_EQ(be32(in, 12), Ipv4Address::parse("198.18.1.11")->value);
  EXPECT_EQ(be32(in, 16), kSbc.value);
  EXPECT_EQ(be16(in, 20), 5070);
  EXPECT_EQ(be16(in, 22), 5060);
  EXPECT_EQ(in.substr(28), "INVITE sip:2001@198.18.1.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n");
  const std::string& out = recs[1].packet;
  EXPECT_EQ(be32(out, 12), kSbc.value);
  EXPECT_EQ(be16(out, 20), 5060);
  EXPECT_EQ(be16(out, 22), 5070);
  EXPECT_NE(be16(in, 4), be16(out, 4)) << "IP ids differ";
}

TEST(SipTracePcap, LocalEndIsTheLegTowardTheRemote) {
  auto loaded = policy::load_policy_text(R"(
interfaces:
  - {name: access, address: 198.18.1.1/24, media_ports: 20000-20999,
     sip: [{transport: udp, port: 5060}, {transport: tcp, port: 5062}]}
  - {name: core, address: 198.18.2.1/24, gateway: 198.18.2.254, media_ports: 30000-30999,
     sip: [{transport: udp, port: 5080}]}
)",
                                         "test.yaml");
  ASSERT_TRUE(loaded.policy) << loaded.diagnostics[0].to_string();
  const auto& p = *loaded.policy;
  auto ip = [](const char* s) { return *Ipv4Address::parse(s); };
  EXPECT_EQ(local_endpoint(p, ip("198.18.1.11"), "udp"),
            std::make_pair(ip("198.18.1.1"), uint16_t{5060}));
  EXPECT_EQ(local_endpoint(p, ip("198.18.1.11"), "tcp"),
            std::make_pair(ip("198.18.1.1"), uint16_t{5062}));
  EXPECT_EQ(local_endpoint(p, ip("198.18.2.10"), "udp"),
            std::make_pair(ip("198.18.2.1"), uint16_t{5080}));
  // Off every leg's network: through the leg with the gateway; a transport
  // it does not listen on: its first port.
  EXPECT_EQ(local_endpoint(p, ip("198.19.9.9"), "tls"),
            std::make_pair(ip("198.18.2.1"), uint16_t{5080}));
}

TEST(SipTracePcap, WithGatewaysOnBothLegsAnOffLinkPeerIsOnItsOwnLeg) {
  auto loaded = policy::load_policy_text(R"(
interfaces:
  - {name: access, address: 198.18.1.1/24, gateway: 198.18.1.254, media_ports: 20000-20999,
     sip: [{transport: udp, port: 5060}]}
  - {name: core, address: 198.18.2.1/24, gateway: 198.18.2.254, media_ports: 30000-30999,
     sip: [{transport: udp, port: 5080}]}
peers:
  - {name: far-carrier, kind: trunk, leg: core, address: 198.19.7.7, auth: {mode: ip}}
)",
                                         "test.yaml");
  ASSERT_TRUE(loaded.policy) << loaded.diagnostics[0].to_string();
  auto ip = [](const char* s) { return *Ipv4Address::parse(s); };
  EXPECT_EQ(local_endpoint(*loaded.policy, ip("198.19.7.7"), "udp"),
            std::make_pair(ip("198.18.2.1"), uint16_t{5080}));
  EXPECT_EQ(local_endpoint(*loaded.policy, ip("198.19.9.9"), "udp"),
            std::make_pair(ip("198.18.1.1"), uint16_t{5060}))
      << "no peer there: the first leg with a gateway";
}

TEST(SipTraceStamp, TimeOfDayOnTheDayItWasTaken) {
  using namespace std::chrono;
  // 2023-11-14T22:13:20Z
  const auto now = system_clock::time_point(seconds(1'700'000'000));
  const auto day = floor<days>(now);
  EXPECT_EQ(SipTrace::stamp_time("22:13:19.500000", now),
            day + hours(22) + minutes(13) + seconds(19) + milliseconds(500));
  // Logged just before midnight, reassembled just after: the day before.
  const auto after_midnight = day + days(1) + seconds(2);
  EXPECT_EQ(SipTrace::stamp_time("23:59:59.999999", after_midnight),
            day + hours(23) + minutes(59) + seconds(59) + microseconds(999'999));
  EXPECT_EQ(SipTrace::stamp_time("garbage", now), now);
  EXPECT_EQ(SipTrace::stamp_time("25:00:00.000000", now), now);
}
