// Call records as JSON lines and outcomes as bounded labels.
#include "controlplane/call_record_format.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "controlplane/call_record_log.h"

using namespace sbc::controlplane;
using namespace std::chrono;

TEST(CallOutcome, MapsFinalStatusesToABoundedSet) {
  CallRecord r;
  r.answered = true;
  r.final_status = 200;
  EXPECT_STREQ(call_outcome_label(r), "answered");
  r.answered = false;
  const std::pair<int, const char*> cases[] = {
      {487, "cancelled"},   {486, "busy"},        {600, "busy"},      {404, "not_found"},
      {484, "not_found"},   {408, "no_answer"},   {480, "no_answer"}, {403, "forbidden"},
      {503, "unavailable"}, {502, "unavailable"}, {488, "rejected"},  {603, "rejected"}};
  for (auto [status, label] : cases) {
    r.final_status = status;
    EXPECT_STREQ(call_outcome_label(r), label) << status;
  }
}

TEST(CallRecordJson, OneLineWithWallClockTimesAndAttempts) {
  MonoTime t0{seconds(1000)};
  CallRecord r;
  r.id = 7;
  r.source_peer = "pbx";
  r.destination_peer = "carB";
  r.called_in = "2001";
  r.caller_in = "6001";
  r.called_out = "2001";
  r.caller_out = "6001";
  r.setup = t0;
  r.answer = t0 + milliseconds(1500);
  r.end = t0 + milliseconds(61500);
  r.answered = true;
  r.final_status = 200;
  r.ended_by = "callee";
  r.attempts = {"carA:503", "carB:200"};
  // The wall clock of "now" (= end) is 2026-01-02T03:04:05.500Z.
  system_clock::time_point wall_end{milliseconds(1767323045500)};
  std::string j = call_record_json(r, r.end, wall_end);
  EXPECT_EQ(j.find('\n'), std::string::npos);
  EXPECT_NE(j.find(R"("id":7)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("start":"2026-01-02T03:03:04.000Z")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("answer":"2026-01-02T03:03:05.500Z")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("end":"2026-01-02T03:04:05.500Z")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("duration_seconds":60)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("outcome":"answered")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("attempts":["carA:503","carB:200"])"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("ended_by":"callee")"), std::string::npos) << j;
  EXPECT_EQ(j.find("session_timer_leg"), std::string::npos) << "only for session timer ends";
  r.ended_by = "session_timer";
  r.session_timer_leg = "b";
  EXPECT_NE(call_record_json(r, r.end, wall_end)
                .find(R"("ended_by":"session_timer","session_timer_leg":"b")"),
            std::string::npos);
}

TEST(CallRecordJson, UnansweredCallHasNoAnswerTime) {
  CallRecord r;
  r.setup = r.end = MonoTime{seconds(5)};
  r.final_status = 404;
  r.ended_by = "sbc";
  std::string j = call_record_json(r, r.end, system_clock::time_point{seconds(1767323045)});
  EXPECT_EQ(j.find("\"answer\""), std::string::npos) << j;
  EXPECT_EQ(j.find("duration_seconds"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("outcome":"not_found")"), std::string::npos) << j;
}

TEST(CallRecordLog, AppendsLinesAndReopensAfterRotation) {
  char dir[] = "/tmp/call-records-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/calls.jsonl";
  CallRecordLog log;
  EXPECT_FALSE(log.append("x").ok());  // not open yet: reported, not fatal
  ASSERT_TRUE(log.open(path).ok());
  ASSERT_TRUE(log.append(R"({"id":1})").ok());
  std::string rotated = path + ".1";
  ASSERT_EQ(std::rename(path.c_str(), rotated.c_str()), 0);
  ASSERT_TRUE(log.append(R"({"id":2})").ok());  // still the old file
  ASSERT_TRUE(log.reopen().ok());
  ASSERT_TRUE(log.append(R"({"id":3})").ok());
  auto read = [](const std::string& p) {
    std::ifstream f(p);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(read(rotated), "{\"id\":1}\n{\"id\":2}\n");
  EXPECT_EQ(read(path), "{\"id\":3}\n");
  EXPECT_FALSE(log.open(std::string(dir) + "/no/such/dir/x").ok());
  std::remove(rotated.c_str());
  std::remove(path.c_str());
  rmdir(dir);
}
