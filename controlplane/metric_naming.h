// The naming rules every metric follows (docs/metrics.md), as a check that
// the unit tests run over everything sbcd registers.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace sbc::controlplane {

// Label names whose values must come from a bounded set (the policy's peers,
// legs, reason enums). Anything else is refused: a source address or a
// dialled number as a label would explode the series count.
bool is_bounded_label(const std::string& name);

// Problems found, one line each; empty when every family follows the rules.
std::vector<std::string> check_metric_names(const std::vector<prometheus::MetricFamily>& families);

}  // namespace sbc::controlplane
