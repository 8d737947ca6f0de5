// The predictive scheduler: stop a trial when its final value is unlikely to
// beat the study's current top-k.
//
// After `min_steps`, at every report the trial's final value is predicted
// from how levels at this step turned into final values in the study's own
// completed trials (FinalPredictor). The trial stops when
//   P(final beats the k-th best completed final) < p_min.
// Prior phase: while fewer than `min_completed` trials have completed there
// is nothing to learn from, so the rule is median-like: stop when the trial's
// level is worse than the median level of all other trials (any state) at
// this step, once `prior_peers` of them reported there.
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "cairn/scheduler.h"
#include "cairn/schedule/curve_book.h"
#include "cairn/schedule/final_predictor.h"

namespace cairn::schedule {

struct PredictiveOptions {
  // Stop when P(final beats the threshold) falls below this.
  double p_min = 0.05;
  // The threshold is the top_k-th best final value of completed trials.
  int64_t top_k = 1;
  // No stopping before this step. Default: 3, or max_steps - 1 if smaller.
  int64_t min_steps = 3;
  // Trials that must complete before predictions replace the prior rule.
  int64_t min_completed = 3;
  // Other trials with a value at the step before the prior rule may stop.
  int64_t prior_peers = 4;
  // Steps averaged into a curve's level.
  int64_t window = 3;

  static Result<PredictiveOptions> FromJson(const nlohmann::json& options,
                                            const SchedulerContext& context);
};

class PredictiveScheduler final : public Scheduler {
 public:
  PredictiveScheduler(const SchedulerContext& context, const PredictiveOptions& options);

  Decision OnReport(int64_t trial_id, int64_t step, double value) override;
  void OnTrialEnd(int64_t trial_id, TrialState state) override;
  std::string Name() const override { return "predictive"; }

 private:
  // The top_k-th best final of completed trials, in signed units.
  std::optional<double> Threshold() const;
  Decision PriorRule(int64_t trial_id, int64_t step, double level) const;
  Decision Predict(int64_t step, double level, double threshold) const;
  double sign() const { return context_.direction == Direction::kMaximize ? 1.0 : -1.0; }

  SchedulerContext context_;
  PredictiveOptions options_;
  FinalPredictorOptions predictor_;
  CurveBook book_;
};

}  // namespace cairn::schedule
