// The median stopping rule, with Optuna's MedianPruner semantics.
//
// A trial is stopped at step s when the best value it has reported so far is
// strictly worse than the median of the values that COMPLETED trials
// reported at exactly step s (Optuna compares with completed trials only;
// stopped and running ones do not count). Optuna's edge cases are kept:
// no stopping before `startup_trials` completed, before `warmup_steps`, off the
// interval grid, or with fewer than `min_trials_at_step` values at s.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "cairn/scheduler.h"
#include "cairn/schedule/curve_book.h"

namespace cairn::schedule {

struct MedianOptions {
  // No stopping until this many trials completed (Optuna n_startup_trials).
  int64_t startup_trials = 5;
  // No stopping at steps below this (Optuna n_warmup_steps).
  int64_t warmup_steps = 0;
  // Check only at the first report in each interval after the warm-up.
  int64_t interval_steps = 1;
  // Completed trials that must have a value at the step (Optuna n_min_trials).
  int64_t min_trials_at_step = 1;
  // The percentile of the completed values to beat (50 = median).
  double percentile = 50.0;

  // settings, when given, gets every option's value in force.
  static Result<MedianOptions> FromJson(const nlohmann::json& options, nlohmann::json* settings = nullptr);
};

class MedianScheduler final : public Scheduler {
 public:
  MedianScheduler(const SchedulerContext& context, const MedianOptions& options);

  Decision OnReport(int64_t trial_id, int64_t step, double value) override;
  void OnTrialEnd(int64_t trial_id, TrialState state) override;
  std::string Name() const override { return "median"; }

 private:
  bool OnCheckStep(const TrialCurve& curve, int64_t step) const;

  SchedulerContext context_;
  MedianOptions options_;
  CurveBook book_;
};

// numpy.percentile with linear interpolation of `values` (not empty; sorted
// in place). q in [0, 100].
double Percentile(std::vector<double>& values, double q);

}  // namespace cairn::schedule
