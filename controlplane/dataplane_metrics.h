// The dataplane's counters as Prometheus families (docs/metrics.md), built at
// scrape time from a DataplaneStats snapshot; every drop reason of every leg
// is present, zero or not, so rate() starts from zero.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "dataplane/dataplane_stats.h"

namespace sbc::controlplane {

std::vector<prometheus::MetricFamily> dataplane_metric_families(
    const dataplane::DataplaneStats& stats);

}  // namespace sbc::controlplane
