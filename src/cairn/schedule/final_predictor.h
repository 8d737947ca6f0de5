// FinalPredictor: predicts a running trial's final value from the study's
// own completed curves.
//
// At step s, each completed trial j gives a pair (x_j, F_j): its level at s
// (the mean of its last `window` values up to s, which damps step noise) and
// its final value. A least-squares line F = a + b x through those pairs says
// how levels at s turned into final values in THIS study: it absorbs late
// jumps from learning-rate schedules (a large intercept), saturation (b < 1)
// and the metric's scale. The running trial's level goes through the line;
// the uncertainty is the residual spread of the fit plus the fit's own
// uncertainty at that level (the classical prediction interval), with a
// Student-t tail for small samples.
//
// Values are in "higher is better" units: callers negate minimised metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cairn/schedule/curve_book.h"

namespace cairn::schedule {

struct FinalPrediction {
  double mean = 0.0;   // predicted final value
  double scale = 0.0;  // standard error of that prediction (> 0)
  double dof = 1.0;    // Student-t degrees of freedom of the error
  int samples = 0;     // completed curves the fit used

  // P(final > threshold).
  double ProbabilityAbove(double threshold) const;
  // The central interval holding `mass` of the predictive distribution.
  double Quantile(double q) const;
};

struct FinalPredictorOptions {
  // Values averaged into a curve's level at a step.
  int window = 3;
  // Completed curves needed before predicting.
  int min_samples = 3;
  // A floor on the residual scale, as a fraction of the spread of final
  // values; keeps a perfect fit on few curves from claiming certainty.
  double min_scale_fraction = 0.02;
};

// The mean of the last `window` values at steps <= step (nullopt if none).
std::optional<double> LevelAt(const TrialCurve& curve, int64_t step, int window, double sign);

// Fits the line for `step` on `completed` (each must have a value at or
// before step and a final value) and predicts for `level`. nullopt when there
// are too few curves. `sign` is +1 (maximize) or -1 (minimize).
std::optional<FinalPrediction> PredictFinal(const std::vector<const TrialCurve*>& completed,
                                            int64_t step, double level, double sign,
                                            const FinalPredictorOptions& options);

// Student-t CDF with `dof` degrees of freedom (dof >= 1).
double StudentTCdf(double t, double dof);

}  // namespace cairn::schedule
