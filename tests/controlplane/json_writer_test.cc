#include "controlplane/json_writer.h"

#include <gtest/gtest.h>

using sbc::JsonWriter;

TEST(JsonWriter, NestedContainers) {
  JsonWriter w;
  w.begin_object();
  w.key("a").value(1);
  w.key("b").begin_array().value("x").value(true).null().end_array();
  w.key("c").begin_object().key("d").value(2.5).end_object();
  w.end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":["x",true,null],"c":{"d":2.5}})");
}

TEST(JsonWriter, EscapesAndRepairsUtf8) {
  EXPECT_EQ(JsonWriter::quote("a\"b\\c\n\x01"), R"("a\"b\\c\u000a\u0001")");
  EXPECT_EQ(JsonWriter::quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  // A lone continuation byte and a truncated sequence become U+FFFD.
  EXPECT_EQ(JsonWriter::quote("\x80x\xe2\x82"), "\"\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(JsonWriter, NonFiniteNumbersAreNull) {
  JsonWriter w;
  w.begin_array().value(1.0 / 0.0).end_array();
  EXPECT_EQ(w.str(), "[null]");
}
