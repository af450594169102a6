// The parser on plain bytes (no EAL): what it extracts from good frames.
// Bad frames and their reasons are in the dataplane tier's stage table, which
// runs them through the real pipeline.
#include "dataplane/frame_parser.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "tests/dataplane/packet_builder.h"

namespace sbc::dataplane {
namespace {

using test::ip;
using test::UdpFrame;

TEST(FrameParser, ExtractsUdpFieldsInNetworkOrder) {
  UdpFrame f;
  f.src_ip = ip("198.18.1.11");
  f.dst_ip = ip("198.18.1.1");
  f.src_port = 4000;
  f.dst_port = 20000;
  f.ttl = 9;
  f.payload = test::rtp_payload(1);
  auto b = f.build();
  PacketMeta m;
  ASSERT_FALSE(parse_frame(b.data(), b.size(), 0, m));
  EXPECT_EQ(m.kind, PacketKind::udp);
  EXPECT_EQ(m.l2_len, 14);
  EXPECT_EQ(m.l3_len, 20);
  EXPECT_EQ(m.ttl, 9);
  EXPECT_EQ(m.ip_len, 20 + 8 + 172);
  EXPECT_EQ(m.src_ip, htonl(ip("198.18.1.11")));
  EXPECT_EQ(m.dst_ip, htonl(ip("198.18.1.1")));
  EXPECT_EQ(m.src_port, htons(4000));
  EXPECT_EQ(m.dst_port, htons(20000));
}

TEST(FrameParser, VlanTagMustMatchTheLeg) {
  UdpFrame f;
  f.vlan = 100;
  f.src_ip = ip("198.18.2.10");
  f.dst_ip = ip("198.18.2.1");
  auto b = f.build();
  PacketMeta m;
  ASSERT_FALSE(parse_frame(b.data(), b.size(), 100, m));
  EXPECT_EQ(m.l2_len, 18);
  EXPECT_EQ(parse_frame(b.data(), b.size(), 0, m), DropReason::wrong_vlan);
  EXPECT_EQ(parse_frame(b.data(), b.size(), 101, m), DropReason::wrong_vlan);
}

TEST(FrameParser, EveryTruncationOfAGoodFrameIsRefusedNotOverread) {
  UdpFrame f;
  f.src_ip = ip("198.18.1.11");
  f.dst_ip = ip("198.18.1.1");
  f.payload = test::rtp_payload(1, 0, 20);
  auto b = f.build();
  for (size_t n = 0; n < b.size(); ++n) {
    // A copy of exactly n bytes, so a sanitizer would catch an overread.
    std::vector<uint8_t> cut(b.begin(), b.begin() + static_cast<long>(n));
    PacketMeta m;
    EXPECT_TRUE(parse_frame(cut.data(), cut.size(), 0, m)) << n;
  }
}

TEST(FrameParser, ArpGivesSenderAndTarget) {
  auto b = test::arp_request({2, 0, 0, 0, 0, 1}, ip("198.18.1.11"), ip("198.18.1.1"));
  PacketMeta m;
  ASSERT_FALSE(parse_frame(b.data(), b.size(), 0, m));
  EXPECT_EQ(m.kind, PacketKind::arp);
  EXPECT_EQ(m.src_ip, htonl(ip("198.18.1.11")));
  EXPECT_EQ(m.dst_ip, htonl(ip("198.18.1.1")));
}

}  // namespace
}  // namespace sbc::dataplane
