// CurveBook: the curves a scheduler has seen, per trial, with their end state.
//
// Schedulers that compare a running trial with others (median, predictive)
// keep every reported (step, value) here. Steps of one trial increase, so
// lookups by step are binary searches.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "cairn/trial.h"

namespace cairn::schedule {

struct CurvePoint {
  int64_t step = 0;
  double value = 0.0;
};

struct TrialCurve {
  std::vector<CurvePoint> points;         // in increasing step order
  TrialState state = TrialState::kRunning;

  // The value reported at exactly `step`, if any.
  std::optional<double> At(int64_t step) const;
  // The last value reported at a step <= `step`, if any.
  std::optional<double> AtOrBefore(int64_t step) const;
  int64_t last_step() const { return points.empty() ? 0 : points.back().step; }
};

class CurveBook {
 public:
  // Appends a point; a step not above the trial's last one replaces nothing
  // and is ignored (the contract says steps increase).
  void Add(int64_t trial_id, int64_t step, double value);
  void End(int64_t trial_id, TrialState state);

  const TrialCurve* Find(int64_t trial_id) const;
  // Trials ended kCompleted, in the order they ended.
  const std::vector<int64_t>& completed() const { return completed_; }
  const std::map<int64_t, TrialCurve>& trials() const { return trials_; }

 private:
  std::map<int64_t, TrialCurve> trials_;
  std::vector<int64_t> completed_;
};

// The best of `values` in direction `d` (values must not be empty).
double BestOf(Direction d, const std::vector<CurvePoint>& points);

}  // namespace cairn::schedule
