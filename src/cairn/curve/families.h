// The parametric curve families: formulas, starting values and bounds
// (internal). Everything here lives in the normalised space of CurveScale:
// x >= 1 at the fitted points, observed values u in [0, 1], up is better.
#pragma once

#include <span>
#include <vector>

#include <ceres/cost_function.h>

#include "cairn/curve.h"

namespace cairn::curve_internal {

// What the initialisers see of the data.
struct FitData {
  std::vector<double> x;  // >= 1, increasing
  std::vector<double> u;  // normalised values
  double u_cap = 5.0;     // the highest plausible asymptote
  double noise = 0.0;     // point noise sigma, normalised units

  double XLast() const { return x.back(); }
  double Start() const;   // mean of the first (up to) 3 values
  double End() const;     // mean of the last (up to) 3 values
};

struct FamilySpec {
  CurveFamilyInfo info;
  // The curve at x for parameters p.
  double (*eval)(const double* p, double x);
  // Writes starting values (within the bounds) to p.
  void (*init)(const FitData& d, double* p);
  // Writes per-parameter lower and upper bounds.
  void (*bounds)(const FitData& d, double* lo, double* hi);
  // A one-point residual u - f(x): new'd, owned by the ceres::Problem.
  ceres::CostFunction* (*make_cost)(double x, double u);
};

// Every family, in CurveFamily order.
std::span<const FamilySpec> FamilySpecs();
const FamilySpec& SpecOf(CurveFamily family);

}  // namespace cairn::curve_internal
