#include "cairn/curve/points.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "cairn/curve/curve_stats.h"

namespace cairn::curve_internal {

Result<Points> FinitePoints(std::span<const int64_t> steps, std::span<const double> values) {
  if (steps.size() != values.size()) {
    return InvalidArgument(fmt::format("curve: {} steps but {} values", steps.size(), values.size()));
  }
  Points p;
  std::vector<double> gaps;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i > 0 && steps[i] <= steps[i - 1]) {
      return InvalidArgument(fmt::format("curve: step {} at index {} does not increase (previous {})",
                                         steps[i], i, steps[i - 1]));
    }
    if (i > 0) gaps.push_back(static_cast<double>(steps[i] - steps[i - 1]));
    if (!std::isfinite(values[i])) continue;
    p.steps.push_back(steps[i]);
    p.values.push_back(values[i]);
  }
  p.step_unit = gaps.empty() ? 1.0 : std::max(Median(gaps), 1e-12);
  p.ended_non_finite = !values.empty() && !std::isfinite(values.back());
  return p;
}

std::optional<double> BadSideBound(const CurveFitOptions& o) {
  return o.direction == Direction::kMaximize ? o.lower_bound : o.upper_bound;
}

CurveScale MakeScale(const Points& points, size_t begin, size_t end, double sign,
                     std::optional<double> origin) {
  CurveScale s;
  s.x_unit = points.step_unit;
  s.x_origin = static_cast<double>(points.steps[begin]) - s.x_unit;
  auto [lo, hi] = std::minmax_element(points.values.begin() + begin, points.values.begin() + end);
  s.y_sign = sign;
  s.y_ref = sign > 0 ? *lo : *hi;  // the worst value maps to u = 0
  // A flat stretch still gets a usable scale; its fits are then meaningless
  // but finite, and the regime rules catch it first.
  s.y_scale = std::max(*hi - *lo, 1e-12 * std::max(1.0, std::abs(*hi)));
  if (origin) {
    double below = sign * (s.y_ref - *origin);  // how far the worst value lies above the origin
    if (below >= 0 && below <= s.y_scale) s.y_ref = *origin;
  }
  return s;
}

FitData MakeFitData(const Points& points, size_t begin, size_t end, const CurveScale& scale,
                    const CurveFitOptions& options) {
  FitData d;
  for (size_t i = begin; i < end; ++i) {
    d.x.push_back(scale.X(points.steps[i]));
    d.u.push_back(scale.U(points.values[i]));
  }
  double u_best = *std::max_element(d.u.begin(), d.u.end());
  d.u_cap = u_best + options.max_gain;
  // A known best bound (accuracy 1.0, loss 0.0) caps the asymptote sooner.
  std::optional<double> best = scale.y_sign > 0 ? options.upper_bound : options.lower_bound;
  if (best) d.u_cap = std::clamp(scale.U(*best), u_best, d.u_cap);
  d.noise = NoiseSigma(d.u);
  return d;
}

}  // namespace cairn::curve_internal
