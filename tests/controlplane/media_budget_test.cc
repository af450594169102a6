// The budgets the B2BUA gives an anchored stream, from real SDP bodies.
#include "controlplane/media_budget.h"

#include <gtest/gtest.h>

#include <string>

#include "policy/codec_bitrate.h"

namespace sbc::controlplane {
namespace {

sip::SdpStream audio(const std::string& media_lines) {
  const std::string body =
      "v=0\r\no=- 1 1 IN IP4 198.18.0.1\r\ns=-\r\nc=IN IP4 198.18.0.1\r\nt=0 0\r\n" + media_lines;
  auto s = sip::SdpSession::parse(body);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? s->streams()[0] : sip::SdpStream{};
}

TEST(MediaBudget, PcmuAtTwentyMilliseconds) {
  auto st = audio("m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n");
  EXPECT_EQ(stream_payload_bitrate(st, 20), 64'000u);
  dataplane::MediaStreamSpec m;
  set_media_budget(m, st);
  EXPECT_EQ(m.packet_rate, 100u);
  // 2 x (8,000 payload bytes/s + 40 header bytes x 50 packets/s).
  EXPECT_EQ(m.byte_rate, 20'000u);
  // A quarter second plus 8 packets of twice 200 bytes.
  EXPECT_EQ(m.byte_burst, 5'000u + 8 * 400);
}

TEST(MediaBudget, TheLargestOfferedCodecSetsTheBandwidth) {
  auto st = audio(
      "m=audio 4000 RTP/AVP 18 0 111\r\na=rtpmap:18 G729/8000\r\n"
      "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 maxaveragebitrate=32000\r\n");
  EXPECT_EQ(stream_payload_bitrate(st, 20), 64'000u);
  auto g729 = audio("m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n");
  EXPECT_EQ(stream_payload_bitrate(g729, 20), 8'000u);
  auto opus = audio("m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n");
  EXPECT_EQ(stream_payload_bitrate(opus, 20), 510'000u);
}

TEST(MediaBudget, PtimeTenDoublesTheHeaderShare) {
  auto st = audio("m=audio 4000 RTP/AVP 0\r\na=ptime:10\r\n");
  dataplane::MediaStreamSpec m;
  set_media_budget(m, st);
  EXPECT_EQ(m.packet_rate, 200u);
  EXPECT_EQ(m.byte_rate, 2u * (8'000 + 40 * 100));
  // A longer ptime still budgets for 50 packets/s (the answerer may use 20).
  auto slow = audio("m=audio 4000 RTP/AVP 0\r\na=ptime:60\r\n");
  set_media_budget(m, slow);
  EXPECT_EQ(m.byte_rate, 20'000u);
}

TEST(MediaBudget, BandwidthLinesNarrowButNeverWiden) {
  auto tias = audio("m=audio 4000 RTP/AVP 111\r\nb=TIAS:40000\r\na=rtpmap:111 opus/48000/2\r\n");
  EXPECT_EQ(tias.bandwidth_tias_bps, 40'000u);
  EXPECT_EQ(stream_payload_bitrate(tias, 20), 40'000u);
  // b=AS counts the headers: 80 kbit/s - 40 bytes x 8 x 50 packets/s.
  auto as = audio("m=audio 4000 RTP/AVP 111\r\nb=AS:80\r\na=rtpmap:111 opus/48000/2\r\n");
  EXPECT_EQ(as.bandwidth_as_kbps, 80u);
  EXPECT_EQ(stream_payload_bitrate(as, 20), 64'000u);
  // Above the codec: the codec's rate stands.
  auto wide = audio("m=audio 4000 RTP/AVP 0\r\nb=AS:2000\r\n");
  EXPECT_EQ(stream_payload_bitrate(wide, 20), 64'000u);
  // Session-level b= applies when the media has none.
  const std::string body =
      "v=0\r\no=- 1 1 IN IP4 198.18.0.1\r\ns=-\r\nc=IN IP4 198.18.0.1\r\nb=TIAS:16000\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\n";
  auto s = sip::SdpSession::parse(body);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(stream_payload_bitrate(s->streams()[0], 20), 16'000u);
  // Absurdly low: floored, so the call still gets a voice codec's rate.
  auto low = audio("m=audio 4000 RTP/AVP 0\r\nb=AS:1\r\n");
  EXPECT_EQ(stream_payload_bitrate(low, 20), kMinCappedBitrate);
}

TEST(MediaBudget, UnknownOrOnlySignallingCodecsGetTheDefault) {
  auto st = audio("m=audio 4000 RTP/AVP 98\r\na=rtpmap:98 X-FUTURE/16000\r\n");
  EXPECT_EQ(stream_payload_bitrate(st, 20), policy::kUnknownCodecBitrate);
  auto dtmf = audio("m=audio 4000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n");
  EXPECT_EQ(stream_payload_bitrate(dtmf, 20), policy::kUnknownCodecBitrate);
}

TEST(MediaBudget, VideoIsNotPoliced) {
  const std::string body =
      "v=0\r\no=- 1 1 IN IP4 198.18.0.1\r\ns=-\r\nc=IN IP4 198.18.0.1\r\nt=0 0\r\n"
      "m=video 4000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  auto s = sip::SdpSession::parse(body);
  ASSERT_TRUE(s.ok());
  dataplane::MediaStreamSpec m;
  m.packet_rate = m.byte_rate = 1;
  set_media_budget(m, s->streams()[0]);
  EXPECT_EQ(m.packet_rate, 0u);
  EXPECT_EQ(m.packet_burst, 0u);
  EXPECT_EQ(m.byte_rate, 0u);
  EXPECT_EQ(m.byte_burst, 0u);
}

}  // namespace
}  // namespace sbc::controlplane
