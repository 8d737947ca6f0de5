#include "cairn/schedule/curve_book.h"

#include <algorithm>

namespace cairn::schedule {

namespace {
auto LowerBound(const std::vector<CurvePoint>& points, int64_t step) {
  return std::lower_bound(points.begin(), points.end(), step,
                          [](const CurvePoint& p, int64_t s) { return p.step < s; });
}
}  // namespace

std::optional<double> TrialCurve::At(int64_t step) const {
  auto it = LowerBound(points, step);
  if (it == points.end() || it->step != step) return std::nullopt;
  return it->value;
}

std::optional<double> TrialCurve::AtOrBefore(int64_t step) const {
  auto it = std::upper_bound(points.begin(), points.end(), step,
                             [](int64_t s, const CurvePoint& p) { return s < p.step; });
  if (it == points.begin()) return std::nullopt;
  return std::prev(it)->value;
}

void CurveBook::Add(int64_t trial_id, int64_t step, double value) {
  TrialCurve& curve = trials_[trial_id];
  if (!curve.points.empty() && step <= curve.points.back().step) return;
  curve.points.push_back({step, value});
}

void CurveBook::End(int64_t trial_id, TrialState state) {
  TrialCurve& curve = trials_[trial_id];
  if (curve.state == TrialState::kCompleted) return;  // ended twice: keep the first
  curve.state = state;
  if (state == TrialState::kCompleted) completed_.push_back(trial_id);
}

const TrialCurve* CurveBook::Find(int64_t trial_id) const {
  auto it = trials_.find(trial_id);
  return it == trials_.end() ? nullptr : &it->second;
}

double BestOf(Direction d, const std::vector<CurvePoint>& points) {
  double best = points.front().value;
  for (const CurvePoint& p : points) {
    if (IsBetter(d, p.value, best)) best = p.value;
  }
  return best;
}

}  // namespace cairn::schedule
