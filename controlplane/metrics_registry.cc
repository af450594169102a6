#include "controlplane/metrics_registry.h"

#include <prometheus/text_serializer.h>

#include <exception>

namespace sbc::controlplane {

class MetricsRegistry::ScrapeCollectable : public prometheus::Collectable {
 public:
  void add(ScrapeSource s) {
    std::lock_guard<std::mutex> g(mu_);  // control thread adds, exposer reads: not a packet path
    sources_.push_back(std::move(s));
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard<std::mutex> g(mu_);
    std::vector<prometheus::MetricFamily> out;
    for (const auto& s : sources_) {
      auto f = s();
      out.insert(out.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ScrapeSource> sources_;
};

MetricsRegistry::MetricsRegistry()
    : registry_(std::make_shared<prometheus::Registry>()),
      scrape_(std::make_shared<ScrapeCollectable>()) {}

MetricsRegistry::~MetricsRegistry() = default;

void MetricsRegistry::add_scrape_source(ScrapeSource source) {
  scrape_->add(std::move(source));
}

Status MetricsRegistry::serve(const std::string& listen_address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen_address, 2);
  } catch (const std::exception& e) {  // civetweb reports a busy port by throwing
    return make_error("metrics: cannot listen on " + listen_address + ": " + e.what());
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(scrape_);
  listen_address_ = listen_address;
  return ok_status();
}

std::vector<prometheus::MetricFamily> MetricsRegistry::collect() const {
  auto out = registry_->Collect();
  auto more = scrape_->Collect();
  out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  return out;
}

std::string MetricsRegistry::render() const {
  prometheus::TextSerializer s;
  return s.Serialize(collect());
}

}  // namespace sbc::controlplane
