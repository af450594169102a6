#include "controlplane/metric_naming.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "controlplane/metrics_registry.h"

using namespace sbc::controlplane;

namespace {
prometheus::MetricFamily family(std::string name, prometheus::MetricType type,
                                std::vector<std::string> labels = {}) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = "help";
  f.type = type;
  prometheus::ClientMetric m;
  for (auto& l : labels) m.label.push_back({l, "x"});
  f.metric.push_back(m);
  return f;
}
}  // namespace

TEST(MetricNaming, AcceptsConventionalNames) {
  EXPECT_TRUE(
      check_metric_names({family("sbc_calls_total", prometheus::MetricType::Counter, {"peer"}),
                          family("sbc_channels_active", prometheus::MetricType::Gauge, {"peer"}),
                          family("sbc_probe_rtt_seconds", prometheus::MetricType::Gauge)})
          .empty());
}

TEST(MetricNaming, RefusesEachBrokenRule) {
  using T = prometheus::MetricType;
  EXPECT_EQ(check_metric_names({family("calls_total", T::Counter)}).size(), 1u);
  EXPECT_EQ(check_metric_names({family("sbc_calls", T::Counter)}).size(), 1u);
  EXPECT_EQ(check_metric_names({family("sbc_active_total", T::Gauge)}).size(), 1u);
  EXPECT_EQ(check_metric_names({family("sbc_latency_ms", T::Gauge)}).size(), 1u);
  EXPECT_EQ(check_metric_names({family("sbc_hold_minutes_total", T::Counter)}).size(), 1u);
  EXPECT_EQ(check_metric_names({family("sbc_Calls_total", T::Counter)}).size(), 1u);
  EXPECT_EQ(check_metric_names({family("sbc_calls_", T::Gauge)}).size(), 1u);
  EXPECT_EQ(check_metric_names({family("sbc_", T::Gauge)}).size(), 1u);
  EXPECT_TRUE(check_metric_names({family("sbc_terms_active", T::Gauge)}).empty())
      << "'ms' inside a word is not a unit";
  EXPECT_EQ(check_metric_names({family("sbc_drops_total", T::Counter, {"source_ip"})}).size(), 1u);
  auto f = family("sbc_x", T::Gauge);
  f.help.clear();
  EXPECT_EQ(check_metric_names({f}).size(), 1u);
}

TEST(MetricsRegistry, ScrapeSourcesAppearInRender) {
  MetricsRegistry reg;
  prometheus::BuildCounter()
      .Name("sbc_test_events_total")
      .Help("h")
      .Register(reg.registry())
      .Add({})
      .Increment(3);
  int calls = 0;
  reg.add_scrape_source([&calls] {
    ++calls;
    return std::vector<prometheus::MetricFamily>{
        family("sbc_test_lcore_packets_total", prometheus::MetricType::Counter, {"leg"})};
  });
  std::string text = reg.render();
  EXPECT_EQ(calls, 1);
  EXPECT_NE(text.find("sbc_test_events_total 3"), std::string::npos) << text;
  EXPECT_NE(text.find("sbc_test_lcore_packets_total{leg=\"x\"}"), std::string::npos) << text;
  EXPECT_TRUE(check_metric_names(reg.collect()).empty());
}
