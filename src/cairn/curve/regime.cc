#include "cairn/curve/regime.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cairn/curve/curve_stats.h"

namespace cairn::curve_internal {
namespace {

std::vector<double> UpValues(const Points& p, Direction d) {
  double sign = d == Direction::kMaximize ? 1.0 : -1.0;
  std::vector<double> up(p.values.size());
  for (size_t i = 0; i < up.size(); ++i) up[i] = sign * p.values[i];
  return up;
}

// The last point of the flat stretch before the curve first clearly rises
// above its start; 0 when it rises within the first few points.
size_t FindOnset(const std::vector<double>& up, double start, double threshold) {
  for (size_t i = 0; i < up.size(); ++i) {
    if (up[i] > start + threshold) return i >= 4 ? i - 1 : 0;
  }
  return 0;
}

}  // namespace

RegimeAnalysis AnalyseRegime(const Points& points, const CurveFitOptions& options) {
  RegimeAnalysis a;
  size_t n = points.size();
  if (points.ended_non_finite) {
    a.regime = CurveRegime::kDiverging;
    a.note = "the curve ended in NaN/inf";
    return a;
  }
  if (n < static_cast<size_t>(options.min_points)) {
    a.note = fmt::format("{} finite points, fewer than {}", n, options.min_points);
    return a;
  }
  std::vector<double> up = UpValues(points, options.direction);
  a.noise = NoiseSigma(up);
  std::vector<double> smooth = RunningMedian3(up);
  double start = Median(std::span<const double>(up).first(std::min<size_t>(3, n)));
  a.best_index = static_cast<size_t>(std::max_element(smooth.begin(), smooth.end()) - smooth.begin());
  a.gain = smooth[a.best_index] - start;
  double tiny = 1e-9 * std::max(1.0, std::abs(start));
  if (a.gain <= std::max(3 * a.noise, tiny)) {
    a.regime = CurveRegime::kNoLearning;
    a.note = fmt::format("no gain beyond the noise (gain {:.4g}, noise {:.4g})", a.gain, a.noise);
    return a;
  }
  double recent = Median(std::span<const double>(up).last(3));
  double drop = smooth[a.best_index] - recent;
  if (a.best_index + 3 < n && drop > std::max(options.diverge_drop * a.gain, 4 * a.noise)) {
    a.regime = CurveRegime::kDiverging;
    a.note = fmt::format("fell {:.4g} from its best ({:.0f}% of its gain)", drop, 100 * drop / a.gain);
    return a;
  }
  a.regime = CurveRegime::kLearning;
  size_t onset = FindOnset(up, start, std::max(3 * a.noise, 0.1 * a.gain));
  a.onset = std::min(onset, n - static_cast<size_t>(options.min_points));
  a.note = a.onset > 0 ? fmt::format("learning from point {} on", a.onset) : "learning";
  return a;
}

}  // namespace cairn::curve_internal
