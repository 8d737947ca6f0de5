// ClassifyCurve: the kind of a whole curve, for the index.
#include <algorithm>
#include <cmath>

#include "cairn/curve.h"
#include "cairn/curve/curve_stats.h"

namespace cairn {

using curve_internal::Median;

std::string_view CurveKindName(CurveKind kind) {
  switch (kind) {
    case CurveKind::kNormal: return "normal";
    case CurveKind::kNeverLearns: return "never_learns";
    case CurveKind::kLateLearner: return "late_learner";
    case CurveKind::kDiverges: return "diverges";
    case CurveKind::kNoisy: return "noisy";
  }
  return "unknown";
}

namespace {

// The first point whose smoothed value reaches `level`.
size_t FirstReaching(const std::vector<double>& smooth, double level) {
  for (size_t i = 0; i < smooth.size(); ++i) {
    if (smooth[i] >= level) return i;
  }
  return smooth.size();
}

}  // namespace

CurveKind ClassifyCurve(std::span<const double> values, Direction direction, double file_range,
                        const CurveKindRules& rules) {
  if (!values.empty() && !std::isfinite(values.back())) return CurveKind::kDiverges;
  double sign = direction == Direction::kMaximize ? 1.0 : -1.0;
  std::vector<double> up;
  for (double v : values) {
    if (std::isfinite(v)) up.push_back(sign * v);
  }
  if (up.size() < 2) return CurveKind::kNeverLearns;  // one point shows no learning
  size_t n = up.size();
  double noise = curve_internal::NoiseSigma(up);
  std::vector<double> smooth = curve_internal::RunningMedian3(up);
  // The start and end windows: 5 % and 10 % of the curve, at least 3 points
  // to be robust to one noisy value, but at most a quarter of it, or on a
  // short curve they would be the whole rise (a 3-point curve from 0.1 to
  // 0.9 would start and end at 0.5 and read as diverging).
  auto window = [n](size_t share) { return std::max<size_t>(1, std::min(std::max<size_t>(3, share), n / 4)); };
  const size_t head = window(n / 20), tail = window(n / 10);
  double start = Median(std::span<const double>(up).first(std::min(head, n)));
  double end = Median(std::span<const double>(up).last(std::min(tail, n)));
  double best = *std::max_element(smooth.begin(), smooth.end());
  double gain = best - start;
  if (gain <= std::max(rules.never_learns_gain * file_range, 3 * noise)) return CurveKind::kNeverLearns;
  if (end < best - rules.diverge_loss * gain) return CurveKind::kDiverges;
  size_t onset = FirstReaching(smooth, start + 0.2 * gain);
  // A rise inside or just after the window `start` was taken from is no
  // late start: on a short curve that window is more than late_onset of it.
  const double late = std::max(rules.late_onset * static_cast<double>(n), static_cast<double>(head + 1));
  if (static_cast<double>(onset) >= late) return CurveKind::kLateLearner;
  if (noise > rules.noisy_ratio * gain) return CurveKind::kNoisy;
  return CurveKind::kNormal;
}

}  // namespace cairn
