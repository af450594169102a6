// A forked INVITE on the callee's side: early dialogs per To tag, the first
// 2xx wins, nothing after it reaches the call.
#include "controlplane/call_forks.h"

#include <gtest/gtest.h>

using namespace sbc::controlplane;
using V = CallForks::Verdict;

TEST(CallForks, TwoEarlyDialogsTheFirst2xxWins) {
  CallForks f;
  EXPECT_EQ(f.on_response(100, ""), V::relay);
  EXPECT_EQ(f.on_response(180, "desk"), V::relay);
  EXPECT_EQ(f.on_response(183, "mobile"), V::relay);
  EXPECT_EQ(f.dialogs(), 2u);
  EXPECT_EQ(f.on_response(200, "mobile"), V::confirm);
  EXPECT_EQ(f.winner(), "mobile");
  EXPECT_EQ(f.on_response(200, "mobile"), V::ignore) << "a retransmission";
  EXPECT_EQ(f.on_response(180, "desk"), V::ignore) << "a late 18x would un-answer the call";
  EXPECT_EQ(f.on_response(180, "mobile"), V::ignore);
  EXPECT_EQ(f.on_response(200, "desk"), V::ignore) << "nta hangs it up";
  EXPECT_EQ(f.dialogs(), 2u);
}

TEST(CallForks, AFailureBeforeAnyAnswerIsTheCallsAfterItNothing) {
  CallForks f;
  EXPECT_EQ(f.on_response(180, "a"), V::relay);
  EXPECT_EQ(f.on_response(486, "b"), V::relay);
  CallForks g;
  EXPECT_EQ(g.on_response(200, "a"), V::confirm);
  EXPECT_EQ(g.on_response(486, "b"), V::ignore);
}

TEST(CallForks, TagsAreBounded) {
  CallForks f;
  for (int i = 0; i < 1000; ++i) f.on_response(180, "fork" + std::to_string(i));
  EXPECT_EQ(f.dialogs(), 64u);
  EXPECT_EQ(f.on_response(200, "fork999"), V::confirm);
}
