// One EAL per test binary (FACTS.md): no hugepages, no PCI, no shared
// config (so binaries run in parallel), and three lcores that may all run on
// either CPU, so multi-worker tests work on a 2-core machine shared with others.
#include <gtest/gtest.h>

#include "dataplane/eal.h"

namespace {

class EalEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    auto s = sbc::dataplane::init_eal({"--no-huge", "-m", "256", "--no-pci", "--no-shconf",
                                       "--no-telemetry", "--lcores=0@(0,1),1@(0,1),2@(0,1)",
                                       "--log-level=lib.eal:warning"});
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  void TearDown() override { sbc::dataplane::cleanup_eal(); }
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  testing::AddGlobalTestEnvironment(new EalEnvironment);
  return RUN_ALL_TESTS();
}
