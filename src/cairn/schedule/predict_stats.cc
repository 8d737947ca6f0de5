#include "cairn/schedule/predict_stats.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "cairn/schedule/student_t.h"

namespace cairn::schedule {

double StepPrediction::ProbabilityAbove(double threshold) const {
  return 1.0 - StudentTCdf((threshold - mean) / scale, dof);
}

void PredictStats::Sums::Add(double x_value, double y_value) {
  f_min = n == 0 ? y_value : std::min(f_min, y_value);
  f_max = n == 0 ? y_value : std::max(f_max, y_value);
  x_min = n == 0 ? x_value : std::min(x_min, x_value);
  x_max = n == 0 ? x_value : std::max(x_max, x_value);
  n += 1;
  x += x_value;
  f += y_value;
  xx += x_value * x_value;
  xf += x_value * y_value;
  ff += y_value * y_value;
}

namespace {

// The trial's value at step s is its last value at or before s, so gaps
// (steps never reported) carry the previous value forward. Calls
// fn(s, value at s) for s = steps.front() .. steps.back().
template <typename Fn>
void ForEachStep(const std::vector<int64_t>& steps, const std::vector<double>& values, Fn fn) {
  size_t i = 0;
  for (int64_t s = steps.front(); s <= steps.back(); ++s) {
    while (i + 1 < steps.size() && steps[i + 1] <= s) ++i;
    fn(s, values[i]);
  }
}

}  // namespace

double MeanOfLast(const std::vector<double>& values, int64_t window) {
  const size_t w = static_cast<size_t>(std::max<int64_t>(window, 1));
  const size_t from = values.size() - std::min(w, values.size());
  double sum = 0.0;
  for (size_t i = from; i < values.size(); ++i) sum += values[i];
  return sum / static_cast<double>(values.size() - from);
}

void PredictStats::AddCompleted(const std::vector<int64_t>& steps,
                                const std::vector<double>& values,
                                std::optional<double> given_final) {
  if (steps.empty()) return;
  const double final_value = given_final ? *given_final : MeanOfLast(values, options_.final_window);
  finals_.insert(final_value);

  const int64_t last = steps.back();
  if (static_cast<int64_t>(by_step_.size()) < last) by_step_.resize(last);
  ForEachStep(steps, values, [&](int64_t s, double x) { by_step_[s - 1].Add(x, final_value); });
  AddLinks(steps, values);
}

void PredictStats::AddStopped(const std::vector<int64_t>& steps, const std::vector<double>& values) {
  if (!steps.empty()) AddLinks(steps, values);
}

int64_t PredictStats::NextRung(int64_t step) const {
  if (options_.rung_eta < 2) return 0;
  int64_t rung = std::max<int64_t>(options_.rung_min_resource, 1);
  while (rung <= step) {
    if (rung > std::numeric_limits<int64_t>::max() / options_.rung_eta) return 0;
    rung *= options_.rung_eta;
  }
  return rung;
}

void PredictStats::AddLinks(const std::vector<int64_t>& steps, const std::vector<double>& values) {
  if (options_.rung_eta < 2) return;
  const int64_t last = steps.back();
  // The curve's value at each step it passed, to read the value at a rung.
  std::vector<double> at(static_cast<size_t>(last - steps.front() + 1));
  ForEachStep(steps, values, [&](int64_t s, double x) { at[s - steps.front()] = x; });
  if (static_cast<int64_t>(rung_link_.size()) < last) rung_link_.resize(last);
  for (int64_t s = steps.front(); s <= last; ++s) {
    const int64_t rung = NextRung(s);
    if (rung == 0 || rung > last) break;  // rungs only grow with s
    rung_link_[s - 1].Add(at[s - steps.front()], at[rung - steps.front()]);
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

std::optional<PredictStats::Line> PredictStats::Fit(const Sums& s) const {
  const double n = s.n;
  if (n < static_cast<double>(std::max<int64_t>(options_.min_samples, 3))) return std::nullopt;
  Line line;
  line.n = n;
  line.mean_x = s.x / n;
  line.mean_y = s.f / n;
  // Centred sums; clamped since rounding can leave tiny negatives.
  line.sxx = std::max(0.0, s.xx - n * line.mean_x * line.mean_x);
  const double syy = std::max(0.0, s.ff - n * line.mean_y * line.mean_y);
  const double sxy = s.xf - n * line.mean_x * line.mean_y;
  // With no spread in x the line is flat: every x predicts the mean.
  line.has_slope = line.sxx > 1e-12 * std::max(1.0, s.xx);
  line.slope = line.has_slope ? sxy / line.sxx : 0.0;
  const double sse = std::max(0.0, line.has_slope ? syy - line.slope * sxy : syy);
  line.sigma = std::sqrt(sse / (n - 2));
  return line;
}

const PredictStats::Sums* PredictStats::FinalLink(int64_t step) const {
  return step >= 1 && step <= static_cast<int64_t>(by_step_.size()) ? &by_step_[step - 1] : nullptr;
}

const PredictStats::Sums* PredictStats::RungLink(int64_t step) const {
  return step >= 1 && step <= static_cast<int64_t>(rung_link_.size()) ? &rung_link_[step - 1] : nullptr;
}

double PredictStats::FinalFloor(double mean_final) const {
  const double spread = *finals_.rbegin() - *finals_.begin();
  return options_.min_scale_fraction * std::max(spread, 1e-12 + std::fabs(mean_final) * 1e-6);
}

double PredictStats::Quantile95(double dof) const {
  const size_t d = static_cast<size_t>(dof);
  if (t95_.size() <= d) {
    const size_t old = t95_.size();
    t95_.resize(d + 1);
    for (size_t k = std::max<size_t>(old, 1); k <= d; ++k) t95_[k] = StudentTQuantile(0.95, static_cast<double>(k));
  }
  return t95_[d];
}

std::optional<StepPrediction> PredictStats::Predict(int64_t step, double level,
                                                    double level_noise) const {
  // No prediction where completed trials do not say how steps turn into
  // finals (fewer than min_samples reached this step).
  const Sums* direct = FinalLink(step);
  if (direct == nullptr) return std::nullopt;
  std::optional<Line> final_line = Fit(*direct);
  if (!final_line) return std::nullopt;

  // Walk the rung links while the next rung has both a fitted link from
  // here and a final link of its own; then the final link from where the
  // walk stopped.
  double mean = level, var = level_noise * level_noise, dof = std::numeric_limits<double>::infinity();
  int64_t at = step, links = 0;
  const Sums* first = direct;  // the line the trial's own level goes through
  for (int64_t rung = NextRung(at); rung != 0; rung = NextRung(at)) {
    const Sums* link_sums = RungLink(at);
    const Sums* rung_final = FinalLink(rung);
    if (link_sums == nullptr || rung_final == nullptr) break;
    std::optional<Line> link = Fit(*link_sums);
    if (!link || !Fit(*rung_final)) break;
    if (links == 0) first = link_sums;
    const double sigma = std::max(link->sigma, options_.min_scale_fraction * std::max(link_sums->f_max - link_sums->f_min, 1e-12));
    var = sigma * sigma * link->Leverage(mean) + link->slope * link->slope * var;
    mean = link->mean_y + link->slope * (mean - link->mean_x);
    dof = std::min(dof, link->n - 2);
    at = rung;
    ++links;
  }
  const Line last = at == step ? *final_line : *Fit(*FinalLink(at));
  const double sigma = std::max(last.sigma, FinalFloor(last.mean_y));
  var = sigma * sigma * last.Leverage(mean) + last.slope * last.slope * var;

  StepPrediction p;
  p.mean = last.mean_y + last.slope * (mean - last.mean_x);
  p.scale = std::sqrt(var);
  p.dof = std::min(dof, last.n - 2);
  p.samples = static_cast<int64_t>(last.n);
  p.links = links + 1;
  const double t = Quantile95(p.dof);
  p.lower = p.mean - t * p.scale;
  p.upper = p.mean + t * p.scale;
  p.learned_min = first->x_min;
  p.learned_max = first->x_max;
  return p;
}

std::optional<double> PredictStats::KthBestFinal(int64_t k) const {
  if (k < 1 || k > completed()) return std::nullopt;
  return *std::next(finals_.rbegin(), k - 1);
}

}  // namespace cairn::schedule
