#include "policy/codec_filter.h"

#include <gtest/gtest.h>

namespace sbc::policy {
namespace {

std::vector<OfferedCodec> offer() {
  return {{"PCMU", 8000, 0}, {"opus", 48000, 111},           {"G722", 8000, 9},
          {"PCMA", 8000, 8}, {"telephone-event", 8000, 101}, {"telephone-event", 48000, 110},
          {"CN", 8000, 13}};
}

std::vector<std::string> names(const std::vector<OfferedCodec>& v) {
  std::vector<std::string> out;
  for (const auto& c : v) out.push_back(c.name + "/" + std::to_string(c.clock_rate));
  return out;
}

TEST(CodecFilter, BothListsFilterCalleeOrders) {
  auto out = filter_codecs(offer(), {"pcma", "pcmu", "g722"}, {"g722", "pcma"});
  EXPECT_EQ(names(out), (std::vector<std::string>{"G722/8000", "PCMA/8000", "telephone-event/8000",
                                                  "telephone-event/48000", "CN/8000"}));
}

TEST(CodecFilter, TelephoneEventSurvivesEvenWhenNotListed) {
  auto out = filter_codecs(offer(), {"pcma"}, {"pcma"});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].name, "PCMA");
  EXPECT_EQ(out[1].name, "telephone-event");
  EXPECT_EQ(out[1].payload_type, 101);
}

TEST(CodecFilter, EmptyListsAllowAnyAndKeepOfferOrder) {
  auto out = filter_codecs(offer(), {}, {});
  EXPECT_EQ(out.size(), offer().size());
  EXPECT_EQ(out[0].name, "PCMU");
  EXPECT_EQ(out[1].name, "opus");
  // Only the caller's list: its preference orders.
  out = filter_codecs(offer(), {"opus", "pcmu"}, {});
  EXPECT_EQ(out[0].name, "opus");
  EXPECT_EQ(out[1].name, "PCMU");
}

TEST(CodecFilter, NothingInCommonGivesEmptyEvenWithDtmf) {
  auto out = filter_codecs(offer(), {"g729"}, {"g729"});
  EXPECT_TRUE(out.empty());
  out = filter_codecs({{"telephone-event", 8000, 101}}, {}, {});
  EXPECT_TRUE(out.empty());
}

TEST(CodecFilter, NamesAreCaseInsensitive) {
  EXPECT_EQ(normalize_codec_name("Telephone-Event"), "telephone-event");
  EXPECT_TRUE(is_known_codec("pcma"));
  EXPECT_FALSE(is_known_codec("pcmx"));
  auto out = filter_codecs({{"pcma", 8000, 8}}, {"pcma"}, {"pcma"});
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace sbc::policy
