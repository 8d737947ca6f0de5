// Input checking and the normalised fitting space (internal).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "cairn/curve.h"
#include "cairn/curve/families.h"

namespace cairn::curve_internal {

// The finite points of a curve, in order.
struct Points {
  std::vector<int64_t> steps;
  std::vector<double> values;
  double step_unit = 1.0;         // median gap between consecutive given steps
  bool ended_non_finite = false;  // the last given value was NaN/inf

  size_t size() const { return steps.size(); }
};

// InvalidArgument for mismatched sizes or steps that do not increase.
Result<Points> FinitePoints(std::span<const int64_t> steps, std::span<const double> values);

// The metric's worst possible value when known (accuracy: lower bound 0).
std::optional<double> BadSideBound(const CurveFitOptions& options);

// The scale for fitting points [begin, end): x = 1 at `begin`, one unit of
// u per observed range, larger u better. `sign` is +1 when larger values are
// better in this fit (a maximised metric, or the fall of a minimised one).
// u = 0 is the worst value seen, or `origin` (the metric's bad-side bound,
// e.g. accuracy 0) when that lies within one range of it: families without
// an additive constant (log power, vapor pressure, hill3) then see the
// metric's natural zero.
CurveScale MakeScale(const Points& points, size_t begin, size_t end, double sign,
                     std::optional<double> origin);

// The normalised points [begin, end) and their plausible asymptote cap.
FitData MakeFitData(const Points& points, size_t begin, size_t end, const CurveScale& scale,
                    const CurveFitOptions& options);

// Fits one family in the normalised space. Never fails: a numerical failure
// gives ok = false with a note.
FamilyFit FitNormalized(CurveFamily family, const FitData& data, const CurveScale& scale,
                        const CurveFitOptions& options);

}  // namespace cairn::curve_internal
