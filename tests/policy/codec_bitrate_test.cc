#include "policy/codec_bitrate.h"

#include <gtest/gtest.h>

namespace sbc::policy {
namespace {

TEST(CodecBitrate, FixedRateCodecsInAnyCase) {
  EXPECT_EQ(codec_payload_bitrate("PCMU", 8000, "", ""), 64'000u);
  EXPECT_EQ(codec_payload_bitrate("pcma", 8000, "", ""), 64'000u);
  EXPECT_EQ(codec_payload_bitrate("G722", 8000, "", ""), 64'000u);
  EXPECT_EQ(codec_payload_bitrate("G729", 8000, "", "annexb=no"), 8'000u);
  EXPECT_EQ(codec_payload_bitrate("iLBC", 8000, "", "mode=30"), 15'200u);
  EXPECT_EQ(codec_payload_bitrate("AMR", 8000, "", ""), 12'200u);
  EXPECT_EQ(codec_payload_bitrate("AMR-WB", 16000, "", ""), 23'850u);
  EXPECT_EQ(codec_payload_bitrate("GSM", 8000, "", ""), 13'200u);
}

TEST(CodecBitrate, OpusUpToItsMaximumOrItsMaxAverageBitrate) {
  EXPECT_EQ(codec_payload_bitrate("opus", 48000, "2", ""), 510'000u);
  EXPECT_EQ(codec_payload_bitrate("opus", 48000, "2", "minptime=10; useinbandfec=1"), 510'000u);
  EXPECT_EQ(codec_payload_bitrate("opus", 48000, "2", "useinbandfec=1; maxaveragebitrate=24000"),
            24'000u);
  EXPECT_EQ(codec_payload_bitrate("opus", 48000, "2", "MaxAverageBitrate=40000"), 40'000u);
  // Out of RFC 7587's range: clamped into it.
  EXPECT_EQ(codec_payload_bitrate("opus", 48000, "2", "maxaveragebitrate=900000"), 510'000u);
  EXPECT_EQ(codec_payload_bitrate("opus", 48000, "2", "maxaveragebitrate=100"), 6'000u);
  // Not a number: the default.
  EXPECT_EQ(codec_payload_bitrate("opus", 48000, "2", "maxaveragebitrate=lots"), 510'000u);
}

TEST(CodecBitrate, RatesFromClockAndParameters) {
  EXPECT_EQ(codec_payload_bitrate("G7221", 16000, "", "bitrate=24000"), 24'000u);
  EXPECT_EQ(codec_payload_bitrate("G7221", 32000, "", ""), 48'000u);
  EXPECT_EQ(codec_payload_bitrate("L16", 16000, "", ""), 256'000u);
  EXPECT_EQ(codec_payload_bitrate("L16", 48000, "2", ""), 1'536'000u);
  EXPECT_EQ(codec_payload_bitrate("speex", 16000, "", ""), 42'200u);
}

TEST(CodecBitrate, SignallingCodecsCarryNothingToBudget) {
  EXPECT_EQ(codec_payload_bitrate("telephone-event", 8000, "", "0-16"), 0u);
  EXPECT_EQ(codec_payload_bitrate("CN", 8000, "", ""), 0u);
}

TEST(CodecBitrate, UnknownCodecGetsTheGenerousDefault) {
  EXPECT_EQ(codec_payload_bitrate("X-NEW-CODEC", 8000, "", ""), kUnknownCodecBitrate);
  EXPECT_EQ(codec_payload_bitrate("", 0, "", ""), kUnknownCodecBitrate);
}

}  // namespace
}  // namespace sbc::policy
