#include "cairn/schedule/predict_stats.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "cairn/schedule/final_predictor.h"  // StudentTCdf

namespace cairn::schedule {

double StepPrediction::ProbabilityAbove(double threshold) const {
  return 1.0 - StudentTCdf((threshold - mean) / scale, dof);
}

double StudentTQuantile(double p, double dof) {
  // 80 halvings of [-1e4, 1e4] are exact to doubles; the CDF is monotone.
  double lo = -1e4, hi = 1e4;
  for (int i = 0; i < 80; ++i) {
    double mid = 0.5 * (lo + hi);
    (StudentTCdf(mid, dof) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

void PredictStats::AddCompleted(const std::vector<int64_t>& steps,
                                const std::vector<double>& values) {
  if (steps.empty()) return;
  const size_t w = static_cast<size_t>(std::max<int64_t>(options_.final_window, 1));
  const size_t from = values.size() - std::min(w, values.size());
  double final_value = 0.0;
  for (size_t i = from; i < values.size(); ++i) final_value += values[i];
  final_value /= static_cast<double>(values.size() - from);
  finals_.insert(final_value);

  // The trial's value at step s is its last value at or before s, so gaps
  // (steps never reported) carry the previous value forward.
  const int64_t last = steps.back();
  if (static_cast<int64_t>(by_step_.size()) < last) by_step_.resize(last);
  size_t i = 0;
  for (int64_t s = steps.front(); s <= last; ++s) {
    while (i + 1 < steps.size() && steps[i + 1] <= s) ++i;
    const double x = values[i];
    Sums& sums = by_step_[s - 1];
    sums.n += 1;
    sums.x += x;
    sums.f += final_value;
    sums.xx += x * x;
    sums.xf += x * final_value;
    sums.ff += final_value * final_value;
  }
}

void StepNoise::Add(double value) {
  if (seen_ >= 2) {
    const double d2 = value - 2.0 * prev_ + prev2_;
    sum_d2_ += d2 * d2;
  }
  prev2_ = prev_;
  prev_ = value;
  ++seen_;
}

double StepNoise::sigma() const {
  if (seen_ < 3) return 0.0;
  return std::sqrt(sum_d2_ / (6.0 * static_cast<double>(seen_ - 2)));
}

std::optional<StepPrediction> PredictStats::Predict(int64_t step, double level,
                                                    double level_noise) const {
  if (step < 1 || step > static_cast<int64_t>(by_step_.size())) return std::nullopt;
  const Sums& s = by_step_[step - 1];
  const double n = s.n;
  if (n < static_cast<double>(std::max<int64_t>(options_.min_samples, 3))) return std::nullopt;
  const double mx = s.x / n, mf = s.f / n;
  // Centred sums; clamped since rounding can leave tiny negatives.
  const double sxx = std::max(0.0, s.xx - n * mx * mx);
  const double sff = std::max(0.0, s.ff - n * mf * mf);
  const double sxf = s.xf - n * mx * mf;
  // With no spread in levels the line is flat: every level predicts the mean.
  const bool has_slope = sxx > 1e-12 * std::max(1.0, s.xx);
  const double slope = has_slope ? sxf / sxx : 0.0;
  const double sse = std::max(0.0, has_slope ? sff - slope * sxf : sff);
  const double spread = *finals_.rbegin() - *finals_.begin();
  double sigma = std::sqrt(sse / (n - 2));
  sigma = std::max(sigma, options_.min_scale_fraction *
                              std::max(spread, 1e-12 + std::fabs(mf) * 1e-6));
  const double leverage = 1.0 + 1.0 / n + (has_slope ? (level - mx) * (level - mx) / sxx : 0.0);

  StepPrediction p;
  p.mean = mf + slope * (level - mx);
  p.scale = std::sqrt(sigma * sigma * leverage + slope * slope * level_noise * level_noise);
  p.dof = n - 2;
  p.samples = static_cast<int64_t>(n);
  const size_t dof = static_cast<size_t>(p.dof);
  if (t95_.size() <= dof) {
    const size_t old = t95_.size();
    t95_.resize(dof + 1);
    for (size_t d = std::max<size_t>(old, 1); d <= dof; ++d) {
      t95_[d] = StudentTQuantile(0.95, static_cast<double>(d));
    }
  }
  p.lower = p.mean - t95_[dof] * p.scale;
  p.upper = p.mean + t95_[dof] * p.scale;
  return p;
}

std::optional<double> PredictStats::KthBestFinal(int64_t k) const {
  if (k < 1 || k > completed()) return std::nullopt;
  return *std::next(finals_.rbegin(), k - 1);
}

}  // namespace cairn::schedule
