#include "controlplane/registrar/register_request.h"

#include <gtest/gtest.h>

namespace sbc::registrar {
namespace {

TEST(DeltaSeconds, ParsesAndSaturates) {
  EXPECT_EQ(*parse_delta_seconds("0"), 0u);
  EXPECT_EQ(*parse_delta_seconds("3600"), 3600u);
  EXPECT_EQ(*parse_delta_seconds("4294967295"), 4294967295u);
  EXPECT_EQ(*parse_delta_seconds("4294967296"), 4294967295u);
  EXPECT_EQ(*parse_delta_seconds(std::string(5000, '9')), 4294967295u);
}

TEST(DeltaSeconds, RejectsNonDigits) {
  for (const char* s : {"", "-1", "+5", "1.5", "60s", " 60", "0x10"})
    EXPECT_FALSE(parse_delta_seconds(s).ok()) << s;
}

TEST(QValue, ParsesValidForms) {
  EXPECT_EQ(*parse_qvalue("1"), 1000);
  EXPECT_EQ(*parse_qvalue("1.000"), 1000);
  EXPECT_EQ(*parse_qvalue("0"), 0);
  EXPECT_EQ(*parse_qvalue("0.5"), 500);
  EXPECT_EQ(*parse_qvalue("0.05"), 50);
  EXPECT_EQ(*parse_qvalue("0.123"), 123);
  EXPECT_EQ(*parse_qvalue("0."), 0);
}

TEST(QValue, RejectsInvalidForms) {
  for (const char* s : {"", "2", "1.1", "0.1234", "-0.5", ".5", "0,5", "1.0001", "01"})
    EXPECT_FALSE(parse_qvalue(s).ok()) << s;
}

}  // namespace
}  // namespace sbc::registrar
