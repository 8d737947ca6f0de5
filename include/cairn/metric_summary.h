// Per-metric summaries of a trial: what `query` filters on (metrics.KEY,
// metrics.KEY.max, ...) and `show` prints, read from the summary the
// coordinator writes into trial.attrs["metrics"] or computed from the points.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/trial.h"

namespace cairn {

// The summary of one metric key of one trial.
struct MetricSummary {
  int64_t steps = 0;            // points reported
  std::optional<double> last;   // the final value ("metrics.KEY")
  std::optional<double> best;   // the objective's, by the study's direction; empty for other metrics
  std::optional<double> min;
  std::optional<double> max;
  // Wall times of the first and last point (absent in older summaries).
  std::optional<double> first_at;
  std::optional<double> last_at;
  // Steps of the first and last point (absent in older summaries). A program
  // that reports every 10th step has 10 points by step 100.
  std::optional<int64_t> first_step;
  std::optional<int64_t> last_step;
  // NaN and infinite points (absent in older summaries: 0). min, max and
  // best are over the points that are not NaN, so a loss that diverged has
  // max inf; last is whatever came last, NaN included.
  int64_t nonfinite = 0;
};

// {key: {"steps","last","best","min","max","nonfinite"}} as the coordinator writes it into
// trial.attrs["metrics"]. Only the study's `objective` has a best (from
// `direction` when not given): another metric's direction is unknown (a loss
// beside an accuracy), so its best stays empty and min/max say what there is.
std::map<std::string, MetricSummary> MetricSummariesFromJson(const nlohmann::json& j, Direction direction,
                                                             const std::string& objective);
// The same summary computed from metric points (any order within a key is
// fine: points are ordered by step here).
std::map<std::string, MetricSummary> SummarizeMetricPoints(std::vector<MetricPoint> points, Direction direction,
                                                           const std::string& objective);

// The JSON the coordinator writes for one summary (non-finite values as
// MetricValueJson spells them); `show` prints it.
nlohmann::json MetricSummaryJson(const MetricSummary& m);

}  // namespace cairn
