// /metrics of `omnivox serve`: one tenant's campaigns in the Prometheus text exposition format
// (https://prometheus.io/docs/instrumenting/exposition_formats/), named by Prometheus' rules
// (https://prometheus.io/docs/practices/naming/): counters end in _total, durations are in
// seconds, ratios are 0-1, and no label carries a contact or a call.
#ifndef OMNIVOX_SERVE_METRICS_H_
#define OMNIVOX_SERVE_METRICS_H_

#include <string>
#include <vector>

#include "omnivox/engine.h"
#include "serve/campaign.h"

namespace omnivox::serve {

struct MetricsInput {
  std::string campaign_id;
  CampaignStatistics statistics;
  CampaignMetrics metrics;
  std::size_t calls_in_flight = 0;
};

/// The exposition text of `campaigns` and the tenant's storage errors seen by the API.
std::string render_metrics(const std::vector<MetricsInput>& campaigns,
                           std::uint64_t storage_errors);

}  // namespace omnivox::serve

#endif  // OMNIVOX_SERVE_METRICS_H_
