// Packet-fixture table for parse, classify and punt: each row is a frame on
// a leg's wire and what must become of it (punted unchanged, or dropped with
// exactly one count under its reason), with no mbuf left behind.
#include <gtest/gtest.h>

#include <optional>

#include "tests/dataplane/test_hosts.h"
#include "tests/dataplane/two_leg_harness.h"

namespace sbc::dataplane::test {
namespace {

struct Row {
  const char* description;
  unsigned leg;
  Bytes input;
  std::optional<DropReason> drop;  // nullopt: punted to the leg's TAP unchanged
};

UdpFrame udp_to_access(uint16_t dport) {
  UdpFrame u;
  u.src_mac = kPhoneMac;
  u.src_ip = phone_ip();
  u.dst_ip = access_ip();
  u.src_port = 5062;
  u.dst_port = dport;
  u.payload = Bytes(40, 'x');
  return u;
}

Bytes truncate(Bytes b, size_t n) {
  b.resize(n);
  return b;
}
Bytes poke(Bytes b, size_t at, uint8_t v) {
  b[at] = v;
  return b;
}

std::vector<Row> rows(const Mac& access_mac) {
  std::vector<Row> r;
  auto sip = udp_to_access(5060);
  sip.dst_mac = access_mac;
  const Bytes good = sip.build();

  r.push_back({"SIP over UDP to the leg address is punted", kAccess, good, std::nullopt});
  r.push_back({"ARP request for the leg address is punted", kAccess,
               arp_request(kPhoneMac, phone_ip(), access_ip()), std::nullopt});
  r.push_back({"ICMP echo to the leg address is punted", kAccess,
               icmp_echo(access_mac, kPhoneMac, phone_ip(), access_ip()), std::nullopt});
  r.push_back({"TCP to the SIP port is punted", kAccess,
               tcp_syn(access_mac, kPhoneMac, phone_ip(), access_ip(), 40000, 5060), std::nullopt});
  r.push_back({"TCP from a SIP port (the SBC's own connection) is punted", kAccess,
               tcp_syn(access_mac, kPhoneMac, phone_ip(), access_ip(), 5060, 40000), std::nullopt});
  {
    auto f = udp_to_access(20000);
    f.frag = 0x2000;  // MF: first fragment
    r.push_back({"first IP fragment to the SBC is punted (kernel reassembles)", kAccess, f.build(),
                 std::nullopt});
    f.frag = 0x0005;  // a later fragment: no UDP header, any bytes
    f.protocol = 17;
    r.push_back({"later IP fragment to the SBC is punted", kAccess, f.build(), std::nullopt});
  }
  {
    auto f = udp_to_access(5060);
    f.dst_ip = ip("198.18.1.99");
    r.push_back({"UDP to another host is not for us", kAccess, f.build(), DropReason::not_for_us});
    f.frag = 0x2000;
    r.push_back(
        {"fragment to another host is not for us", kAccess, f.build(), DropReason::not_for_us});
  }
  r.push_back({"ARP for another host is not for us", kAccess,
               arp_request(kPhoneMac, phone_ip(), ip("198.18.1.12")), DropReason::not_for_us});
  r.push_back({"UDP to a closed media port has no flow", kAccess, udp_to_access(20002).build(),
               DropReason::no_flow});
  r.push_back({"TCP to a port that is not SIP has no flow", kAccess,
               tcp_syn(access_mac, kPhoneMac, phone_ip(), access_ip(), 40000, 22),
               DropReason::no_flow});
  r.push_back({"runt frame (10 bytes)", kAccess, truncate(good, 10), DropReason::malformed});
  r.push_back({"IPv4 header cut short", kAccess, truncate(good, 14 + 12), DropReason::malformed});
  r.push_back({"UDP header cut short (IP length still claims it)", kAccess, truncate(good, 14 + 24),
               DropReason::malformed});
  r.push_back({"IP version 6 inside an IPv4 EtherType", kAccess, poke(good, 14, 0x65),
               DropReason::malformed});
  r.push_back({"IHL below 5", kAccess, poke(good, 14, 0x44), DropReason::malformed});
  {
    auto f = udp_to_access(5060);
    f.ip_options = {0x94, 0x04, 0x00, 0x00};  // router alert
    r.push_back({"IP options", kAccess, f.build(), DropReason::ip_options});
  }
  r.push_back(
      {"IP total length beyond the frame", kAccess, poke(good, 16, 0x05), DropReason::malformed});
  r.push_back({"IP header checksum wrong", kAccess, poke(good, 24, good[24] ^ 0xff),
               DropReason::bad_checksum});
  {
    // UDP length field claims 4 bytes fewer than the IP payload.
    Bytes b = good;
    const size_t ulen = 14 + 20 + 4;
    b[ulen + 1] = static_cast<uint8_t>(b[ulen + 1] - 4);
    r.push_back({"UDP length lies", kAccess, b, DropReason::udp_length});
    b = good;
    b[ulen] = 0x7f;
    r.push_back({"UDP length far beyond the packet", kAccess, b, DropReason::udp_length});
  }
  r.push_back({"IPv6 EtherType (not yet supported)", kAccess, poke(poke(good, 12, 0x86), 13, 0xdd),
               DropReason::unsupported});
  r.push_back(
      {"LLDP EtherType", kAccess, poke(poke(good, 12, 0x88), 13, 0xcc), DropReason::unsupported});
  {
    auto f = udp_to_access(5060);
    f.vlan = 7;
    r.push_back({"802.1Q tag on an untagged leg", kAccess, f.build(), DropReason::wrong_vlan});
  }
  {
    auto f = udp_to_access(5060);
    f.protocol = 47;  // GRE
    r.push_back({"IP protocol GRE", kAccess, f.build(), DropReason::unsupported_protocol});
  }
  r.push_back({"ARP with 8-byte hardware addresses", kAccess,
               poke(arp_request(kPhoneMac, phone_ip(), access_ip()), 14 + 4, 8),
               DropReason::malformed});
  {
    Bytes t = tcp_syn(access_mac, kPhoneMac, phone_ip(), access_ip(), 40000, 5060);
    r.push_back({"TCP data offset beyond the segment", kAccess, poke(t, 14 + 20 + 12, 0xf0),
                 DropReason::malformed});
  }
  return r;
}

TEST(StageTable, EveryRowGetsItsVerdictAndNothingLeaks) {
  TwoLegHarness h;
  ASSERT_TRUE(h.ok()) << h.error();
  for (const Row& row : rows(h.port_mac(kAccess))) {
    SCOPED_TRACE(row.description);
    const LegStats before = h.leg_stats(row.leg);
    h.inject(row.leg, row.input);
    h.poll();
    const LegStats after = h.leg_stats(row.leg);
    EXPECT_EQ(after.rx_packets, before.rx_packets + 1);
    auto punted = h.take_punted(row.leg);
    EXPECT_TRUE(h.take_wire(kAccess).empty());
    EXPECT_TRUE(h.take_wire(kCore).empty());
    if (!row.drop) {
      ASSERT_EQ(punted.size(), 1u);
      EXPECT_EQ(punted[0], row.input);
      EXPECT_EQ(after.punted_packets, before.punted_packets + 1);
    } else {
      EXPECT_TRUE(punted.empty());
      const unsigned r = static_cast<unsigned>(*row.drop);
      EXPECT_EQ(after.drops[r], before.drops[r] + 1) << to_string(*row.drop);
      uint64_t all_before = 0, all_after = 0;
      for (unsigned k = 0; k < kDropReasonCount; ++k) {
        all_before += before.drops[k];
        all_after += after.drops[k];
      }
      EXPECT_EQ(all_after, all_before + 1) << "exactly one reason counted";
    }
    EXPECT_EQ(h.mbufs_in_use(), 0u);
  }
}

TEST(StageTable, KernelFramesFromTheTapGoOutThroughThePort) {
  TwoLegHarness h;
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes reply = arp_request(h.port_mac(kAccess), access_ip(), phone_ip());
  h.inject_from_kernel(kAccess, reply);
  h.poll();
  auto out = h.take_wire(kAccess);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], reply);
  EXPECT_EQ(h.leg_stats(kAccess).exception_packets, 1u);
  EXPECT_EQ(h.leg_stats(kAccess).tx_packets, 1u);
  EXPECT_TRUE(h.take_wire(kCore).empty());
  EXPECT_EQ(h.mbufs_in_use(), 0u);
}

TEST(StageTable, KernelFramesGetTheLegVlanTag) {
  TwoLegHarness::Options o;
  o.access_vlan = 42;
  TwoLegHarness h(o);
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes reply = arp_request(h.port_mac(kAccess), access_ip(), phone_ip());
  h.inject_from_kernel(kAccess, reply);
  h.poll();
  auto out = h.take_wire(kAccess);
  ASSERT_EQ(out.size(), 1u);
  Bytes expected(reply.begin(), reply.begin() + 12);
  expected.insert(expected.end(), {0x81, 0x00, 0x00, 42});
  expected.insert(expected.end(), reply.begin() + 12, reply.end());
  EXPECT_EQ(out[0], expected);
  // And a tagged frame from the wire is accepted on that leg.
  auto f = UdpFrame{};
  f.dst_mac = h.port_mac(kAccess);
  f.vlan = 42;
  f.src_ip = phone_ip();
  f.dst_ip = access_ip();
  f.src_port = 5060;
  f.dst_port = 5060;
  h.inject(kAccess, f.build());
  f.vlan = 43;
  h.inject(kAccess, f.build());
  f.vlan = 0;
  h.inject(kAccess, f.build());
  h.poll();
  EXPECT_EQ(h.take_punted(kAccess).size(), 1u);
  EXPECT_EQ(h.drops(kAccess, DropReason::wrong_vlan), 2u);
  EXPECT_EQ(h.mbufs_in_use(), 0u);
}

}  // namespace
}  // namespace sbc::dataplane::test
