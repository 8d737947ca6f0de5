// Which regime a curve prefix is in, and where to fit it from (internal).
#pragma once

#include <cstddef>
#include <string>

#include "cairn/curve.h"
#include "cairn/curve/points.h"

namespace cairn::curve_internal {

struct RegimeAnalysis {
  CurveRegime regime = CurveRegime::kTooFewPoints;
  size_t onset = 0;       // the main fit starts at this point (late learners > 0)
  size_t best_index = 0;  // diverging: the fall is fitted from here
  double noise = 0.0;     // point noise sigma, metric units
  double gain = 0.0;      // best (smoothed) minus start, "up" units
  std::string note;       // one sentence for people
};

// Rules (docs/curves.md): too few points; NaN/inf at the end -> diverging;
// gain within 3 noise sigmas -> no learning; a fall from the best by more
// than options.diverge_drop of the gain (and 4 sigmas) with 3+ points after
// it -> diverging; else learning, fitted from the onset of improvement.
RegimeAnalysis AnalyseRegime(const Points& points, const CurveFitOptions& options);

}  // namespace cairn::curve_internal
