// The predictive scheduler: stop a trial when its final value is unlikely to
// beat the study's current top-k.
//
// After `min_steps`, at every report the trial's final value is predicted
// from how levels at this step turned into final values in the study's own
// completed trials (FinalPredictor), and P = P(final beats the top_k-th best
// completed final). The trial stops when
//   P < p_min                         (hopeless, at any step), or
//   a successive-halving rung (eta = rung_eta) would stop it and P < p_keep
//                                     (a rank loser the curves do not defend).
// So rungs give the frugality of ASHA while the prediction keeps trials whose
// curves, read against this study's completed ones, may still win.
// Prior phase: while fewer than `min_completed` trials have completed there
// is nothing to learn from; the rung rule alone decides (rung_eta > 0) or,
// with rung_eta = 0, a median-like rule: stop when the trial's level is worse
// than the median level of all other trials at this step, once
// `prior_peers` of them reported there.
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "cairn/scheduler.h"
#include "cairn/schedule/asha.h"
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
  // Reduction factor of the successive-halving rungs (min_resource "auto");
  // 0 turns rungs off (then only P < p_min stops, and the prior is median-like).
  int64_t rung_eta = 3;
  // A rung's stop stands only when P is below this.
  double p_keep = 0.5;

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
  AshaRungs rungs_;  // sees every report, so its rungs are complete when asked
};

}  // namespace cairn::schedule
