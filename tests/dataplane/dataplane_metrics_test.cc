// The dataplane's metric families follow the project's naming rules and
// carry every drop reason of every leg.
#include "controlplane/dataplane_metrics.h"

#include <gtest/gtest.h>

#include "controlplane/metric_naming.h"

namespace sbc::controlplane {
namespace {

TEST(DataplaneMetrics, FollowTheNamingRulesAndListEveryReason) {
  dataplane::DataplaneStats s;
  for (const char* name : {"access", "core"}) {
    dataplane::LegStats l;
    l.name = name;
    l.rx_packets = 10;
    l.drops[static_cast<unsigned>(dataplane::DropReason::no_flow)] = 3;
    s.legs.push_back(l);
  }
  auto families = dataplane_metric_families(s);
  auto problems = check_metric_names(families);
  EXPECT_TRUE(problems.empty()) << problems.front();
  const prometheus::MetricFamily* drops = nullptr;
  for (const auto& f : families)
    if (f.name == "sbc_dataplane_dropped_packets_total") drops = &f;
  ASSERT_NE(drops, nullptr);
  EXPECT_EQ(drops->metric.size(), 2u * dataplane::kDropReasonCount);
  bool found = false;
  for (const auto& m : drops->metric)
    if (m.label[0].value == "core" && m.label[1].value == "no_flow") {
      EXPECT_EQ(m.counter.value, 3);
      found = true;
    }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace sbc::controlplane
