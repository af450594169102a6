// What one Prometheus scrape costs the process: rendering the exposition text
// for a registry the size of a call centre (per-peer and per-leg series).
// Baseline in the same run: an empty registry, so the ratio shows the cost
// that grows with the series count.
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "controlplane/metrics_registry.h"

namespace {

void fill(sbc::controlplane::MetricsRegistry& reg, int peers) {
  auto& calls =
      prometheus::BuildCounter().Name("sbc_calls_total").Help("h").Register(reg.registry());
  auto& channels =
      prometheus::BuildGauge().Name("sbc_channels_active").Help("h").Register(reg.registry());
  for (int p = 0; p < peers; ++p) {
    for (const char* c : {"2xx", "3xx", "4xx", "5xx", "6xx"})
      calls.Add({{"peer", "peer" + std::to_string(p)}, {"code_class", c}}).Increment(p);
    channels.Add({{"peer", "peer" + std::to_string(p)}}).Set(p);
  }
}

void BM_ScrapeEmpty(benchmark::State& state) {
  sbc::controlplane::MetricsRegistry reg;
  for (auto _ : state) benchmark::DoNotOptimize(reg.render());
}
BENCHMARK(BM_ScrapeEmpty);

void BM_ScrapePeers(benchmark::State& state) {
  sbc::controlplane::MetricsRegistry reg;
  fill(reg, static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    auto text = reg.render();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["series"] = static_cast<double>(state.range(0) * 6);
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ScrapePeers)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
