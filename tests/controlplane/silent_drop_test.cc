#include "controlplane/silent_drop.h"

#include <gtest/gtest.h>
#include <sofia-sip/sip.h>

#include <vector>

using namespace sbc::controlplane;
using namespace std::chrono_literals;

namespace {

// The transactions a drop touched, in order (fake handles: never dereferenced).
std::vector<nta_incoming_t*> completed, destroyed;

SilentDrop::Transactions recorded() {
  return {[](nta_incoming_t* irq) { completed.push_back(irq); },
          [](nta_incoming_t* irq) { destroyed.push_back(irq); }};
}

nta_incoming_t* irq(uintptr_t n) {
  return reinterpret_cast<nta_incoming_t*>(n * 16);
}

struct Request {
  explicit Request(sip_method_t m) {
    rq.rq_method = m;
    sip.sip_request = &rq;
  }
  sip_request_t rq{};
  sip_t sip{};
};

class SilentDropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    completed.clear();
    destroyed.clear();
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }
  std::unique_ptr<EventLoop> loop;
  ManualClock clock;
  Request invite{sip_method_invite}, reg{sip_method_register};
};

}  // namespace

TEST_F(SilentDropTest, NonInviteIsCompletedSilentlyAndNotHeld) {
  SilentDrop d(*loop, 1000ms, 4, clock, recorded());
  EXPECT_EQ(d.drop(irq(1), &reg.sip), 408);
  EXPECT_EQ(completed, std::vector{irq(1)});
  EXPECT_EQ(d.held(), 0u);
  EXPECT_TRUE(destroyed.empty());
}

TEST_F(SilentDropTest, InvitesAreHeldUntilTheHoldExpires) {
  SilentDrop d(*loop, 1000ms, 4, clock, recorded());
  EXPECT_EQ(d.drop(irq(1), &invite.sip), 0);
  clock.advance(400ms);
  EXPECT_EQ(d.drop(irq(2), &invite.sip), 0);
  clock.advance(599ms);
  d.expire();
  EXPECT_TRUE(destroyed.empty()) << "held 999 ms of 1000";
  clock.advance(1ms);
  d.expire();
  EXPECT_EQ(destroyed, std::vector{irq(1)});
  EXPECT_EQ(d.held(), 1u);
  clock.advance(400ms);
  d.expire();
  EXPECT_EQ(destroyed, (std::vector{irq(1), irq(2)}));
  EXPECT_EQ(d.held(), 0u);
  EXPECT_TRUE(completed.empty());
}

TEST_F(SilentDropTest, AtCapacityTheOldestHeldInviteGoesFirst) {
  SilentDrop d(*loop, 1000ms, 3, clock, recorded());
  for (uintptr_t i = 1; i <= 3; ++i) d.drop(irq(i), &invite.sip);
  EXPECT_TRUE(destroyed.empty());
  d.drop(irq(4), &invite.sip);
  d.drop(irq(5), &invite.sip);
  EXPECT_EQ(destroyed, (std::vector{irq(1), irq(2)}));
  EXPECT_EQ(d.held(), 3u);
}

TEST_F(SilentDropTest, TheRestAreDestroyedWithIt) {
  {
    SilentDrop d(*loop, 1000ms, 4, clock, recorded());
    d.drop(irq(1), &invite.sip);
    d.drop(irq(2), &invite.sip);
  }
  EXPECT_EQ(destroyed, (std::vector{irq(1), irq(2)}));
}

TEST_F(SilentDropTest, AReloadedHoldAppliesToInvitesAlreadyHeld) {
  SilentDrop d(*loop, 32s, 4, clock, recorded());
  d.drop(irq(1), &invite.sip);
  clock.advance(2s);
  d.expire();
  EXPECT_TRUE(destroyed.empty());
  d.set_hold(2s);
  EXPECT_EQ(d.hold(), 2s);
  d.expire();
  EXPECT_EQ(destroyed, std::vector{irq(1)});
}

TEST_F(SilentDropTest, ItsTimerExpiresHeldInvitesOnTheLoop) {
  SilentDrop d(*loop, 40ms, 4, SilentDrop::steady_clock(), recorded());
  d.drop(irq(1), &invite.sip);
  ASSERT_TRUE(loop->every(5ms,
                          [&] {
                            if (!destroyed.empty()) loop->stop();
                          })
                  .ok());
  ASSERT_TRUE(loop->after(5s, [&] { loop->stop(); }).ok());  // bound: fails below, never hangs
  loop->run();
  EXPECT_EQ(destroyed, std::vector{irq(1)});
}
