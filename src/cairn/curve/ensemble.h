// Combining family fits into one predictive distribution (internal).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cairn/curve.h"

namespace cairn::curve_internal {

struct EnsembleEstimate {
  bool ok = false;     // at least one family survived
  double mean = 0.0;   // metric units
  double stddev = 0.0; // metric units
  std::vector<FamilyEstimate> members;  // best weight first
  int dropped = 0;     // ok fits dropped as absurd at this target
};

// Fits must share one CurveScale (they came from the same points).
// Weights: exp(-AICc / 2), normalised. Variance: the weighted mix of each
// family's residual variance, inflated by how far the target lies beyond
// the fitted span (a straight line's prediction-variance factor), plus the
// spread of the family means.
// `u_cap`: predictions above it (normalised) are absurd and dropped.
EnsembleEstimate Combine(std::span<const FamilyFit> fits, int64_t target_step, double x_first,
                         double x_last, double u_cap);

}  // namespace cairn::curve_internal
