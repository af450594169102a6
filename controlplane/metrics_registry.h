// The process's one Prometheus registry and its HTTP exposer.
//
// Two ways to publish, by who owns the numbers (rules in docs/metrics.md):
//  - control-plane metrics: prometheus-cpp families in registry(), updated on
//    the event loop thread (their objects are thread-safe);
//  - numbers owned elsewhere (the dataplane's per-lcore counters): a scrape
//    source, a function called on the exposer's thread at scrape time that
//    reads them with relaxed atomic loads and sums them. Nothing is added per
//    packet (prometheus-cpp's Counter::Increment costs about 23 ns, FACTS.md).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"

namespace sbc::controlplane {

class MetricsRegistry {
 public:
  // Must be safe to call from the exposer's thread.
  using ScrapeSource = std::function<std::vector<prometheus::MetricFamily>()>;

  MetricsRegistry();
  ~MetricsRegistry();

  prometheus::Registry& registry() { return *registry_; }
  void add_scrape_source(ScrapeSource source);

  // "ADDRESS:PORT"; starts the HTTP exposer at /metrics.
  Status serve(const std::string& listen_address);
  const std::string& listen_address() const { return listen_address_; }

  // The exposition text of everything registered (what /metrics returns).
  std::string render() const;
  std::vector<prometheus::MetricFamily> collect() const;

 private:
  class ScrapeCollectable;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ScrapeCollectable> scrape_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string listen_address_;
};

}  // namespace sbc::controlplane
