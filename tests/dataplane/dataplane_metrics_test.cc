// The dataplane's metric families follow the project's naming rules and
// carry every drop reason of every leg.
#include "controlplane/dataplane_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

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

TEST(DataplaneMetrics, TrustClassesAndBansFollowTheRules) {
  dataplane::DataplaneStats s;
  dataplane::LegStats l;
  l.name = "access";
  l.class_punted[1] = 7;
  l.class_policed[0] = 40;
  s.legs.push_back(l);
  s.trust_classes = {"untrusted", "registered", "carrier"};
  s.class_sources[1] = 12;
  s.deny_entries = 3;
  s.offload.push_back({"access", "deny", false, true, "rte_flow_create: not supported", 0, 0});
  s.offload.push_back({"access", "pinhole", true, true, "", 12, 3});
  auto families = dataplane_metric_families(s);
  auto problems = check_metric_names(families);
  EXPECT_TRUE(problems.empty()) << problems.front();
  double punted_registered = -1, policed_untrusted = -1, deny = -1;
  size_t class_samples = 0, offload_samples = 0, refused_samples = 0;
  double pinhole_rules = -1, cap_hits = -1;
  std::map<std::string, double> population;
  for (const auto& f : families) {
    for (const auto& m : f.metric) {
      if (f.name == "sbc_dataplane_trust_class_punted_packets_total") {
        ++class_samples;
        if (m.label[1].value == "registered") punted_registered = m.counter.value;
      }
      if (f.name == "sbc_dataplane_trust_class_policed_packets_total" &&
          m.label[1].value == "untrusted")
        policed_untrusted = m.counter.value;
      if (f.name == "sbc_dataplane_deny_entries") deny = m.gauge.value;
      if (f.name == "sbc_dataplane_trust_class_sources")
        population[m.label[0].value] = m.gauge.value;
      if (f.name == "sbc_dataplane_offload_active") {
        EXPECT_EQ(m.gauge.value, m.label[1].value == "pinhole" ? 1 : 0);
        ++offload_samples;
      }
      if (f.name == "sbc_dataplane_offload_rules" && m.label[1].value == "pinhole")
        pinhole_rules = m.gauge.value;
      if (f.name == "sbc_dataplane_offload_cap_hits_total" && m.label[1].value == "pinhole")
        cap_hits = m.counter.value;
      if (f.name == "sbc_dataplane_offload_refused") {
        // Only the refused kind, with the PMD's reason.
        ASSERT_EQ(m.label.size(), 3u);
        EXPECT_EQ(m.label[1].value, "deny");
        EXPECT_EQ(m.label[2].name, "reason");
        EXPECT_EQ(m.label[2].value, "rte_flow_create: not supported");
        ++refused_samples;
      }
    }
  }
  EXPECT_EQ(class_samples, 3u);  // every class, zero or not
  EXPECT_EQ(punted_registered, 7);
  EXPECT_EQ(policed_untrusted, 40);
  EXPECT_EQ(deny, 3);
  EXPECT_EQ(offload_samples, 2u);
  EXPECT_EQ(refused_samples, 1u);
  EXPECT_EQ(pinhole_rules, 12);
  EXPECT_EQ(cap_hits, 3);
  // Every class has its population, zero or not.
  EXPECT_EQ(population,
            (std::map<std::string, double>{{"untrusted", 0}, {"registered", 12}, {"carrier", 0}}));
}

TEST(DataplaneMetrics, PinholesInstalledAndRemovedAreCounters) {
  dataplane::DataplaneStats s;
  s.pinholes = 4;
  s.pinholes_installed = 10;
  s.pinholes_removed = 6;
  std::map<std::string, std::pair<prometheus::MetricType, double>> seen;
  for (const auto& f : dataplane_metric_families(s))
    for (const auto& m : f.metric)
      seen[f.name] = {f.type,
                      f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value};
  EXPECT_EQ(seen["sbc_pinholes_installed_total"],
            std::make_pair(prometheus::MetricType::Counter, 10.0));
  EXPECT_EQ(seen["sbc_pinholes_removed_total"],
            std::make_pair(prometheus::MetricType::Counter, 6.0));
  EXPECT_EQ(seen["sbc_dataplane_pinholes"], std::make_pair(prometheus::MetricType::Gauge, 4.0));
  // No filters: no class, so no population family at all (not an empty one).
  EXPECT_EQ(seen.count("sbc_dataplane_trust_class_sources"), 0u);
}

}  // namespace
}  // namespace sbc::controlplane
