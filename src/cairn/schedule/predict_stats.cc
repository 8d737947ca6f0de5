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

// The trial's value at step s (steps.front() <= s) is its last value at or
// before s, so gaps (steps never reported) carry the previous value forward.
double ValueAt(const std::vector<int64_t>& steps, const std::vector<double>& values, int64_t s) {
  const auto after = std::upper_bound(steps.begin(), steps.end(), s);
  return values[static_cast<size_t>(after - steps.begin()) - 1];
}

// A spread to floor an interval by: the values' spread, or where they
// have none, a millionth of their magnitude; never 0 (P divides by it). No
// absolute constant: a metric of 1e-40 is judged as one of 1.
double SpreadOrScale(double spread, double magnitude) {
  return std::max({spread, magnitude * 1e-6, std::numeric_limits<double>::min()});
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
                                std::optional<double> given_final,
                                const std::vector<double>& features) {
  if (steps.empty()) return;
  const double final_value = given_final ? *given_final : MeanOfLast(values, options_.final_window);
  finals_.insert(final_value);
  AddEnded({steps, values, HasFeatures(features) ? features : std::vector<double>{}, final_value});
}

void PredictStats::AddStopped(const std::vector<int64_t>& steps, const std::vector<double>& values,
                              const std::vector<double>& features) {
  if (steps.empty() || options_.rung_eta < 2) return;  // stopped trials feed the rung links only
  AddEnded({steps, values, HasFeatures(features) ? features : std::vector<double>{}, std::nullopt});
}

void PredictStats::AddEnded(EndedCurve curve) {
  ended_.push_back(std::move(curve));
  const EndedCurve& added = ended_.back();
  const auto last = at_step_.upper_bound(added.steps.back());
  for (auto it = at_step_.lower_bound(added.steps.front()); it != last; ++it) AddTo(it->second, it->first, added);
}

const PredictStats::StepLinks& PredictStats::At(int64_t step) const {
  const bool dense = step <= kDenseSteps;
  if (dense && step <= static_cast<int64_t>(dense_.size()) && dense_[step - 1] != nullptr) return *dense_[step - 1];
  auto [it, made] = at_step_.try_emplace(step);
  if (made) {
    for (const EndedCurve& curve : ended_) AddTo(it->second, step, curve);
  }
  if (dense) {
    if (static_cast<int64_t>(dense_.size()) < step) dense_.resize(step, nullptr);
    dense_[step - 1] = &it->second;
  }
  return it->second;
}

void PredictStats::AddTo(StepLinks& links, int64_t step, const EndedCurve& curve) const {
  if (step < curve.steps.front() || step > curve.steps.back()) return;
  const double x = ValueAt(curve.steps, curve.values, step);
  const bool with_features = !curve.features.empty();
  if (curve.final_value) {
    links.final_link.Add(x, *curve.final_value);
    if (with_features) links.final_design.Add(Row(x, curve.features), *curve.final_value);
  }
  const int64_t rung = NextRung(step);
  if (rung == 0 || rung > curve.steps.back()) return;
  const double y = ValueAt(curve.steps, curve.values, rung);
  links.rung_link.Add(x, y);
  if (with_features) links.rung_design.Add(Row(x, curve.features), y);
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
  // Relative to the sums, whatever the metric's scale (an absolute bar once
  // dropped every slope of a loss near 1e-6).
  line.has_slope = line.sxx > 1e-12 * s.xx;
  line.slope = line.has_slope ? sxy / line.sxx : 0.0;
  const double sse = std::max(0.0, line.has_slope ? syy - line.slope * sxy : syy);
  line.sigma = std::sqrt(sse / (n - 2));
  return line;
}

bool PredictStats::HasFeatures(const std::vector<double>& features) const {
  return options_.features > 0 && static_cast<int64_t>(features.size()) == options_.features;
}

Eigen::VectorXd PredictStats::Row(double level, const std::vector<double>& features) const {
  Eigen::VectorXd row(static_cast<Eigen::Index>(features.size() + 1));
  row(0) = level;
  for (size_t i = 0; i < features.size(); ++i) row(static_cast<Eigen::Index>(i + 1)) = features[i];
  return row;
}

void PredictStats::DesignSums::Add(const Eigen::VectorXd& row, double y_value) {
  if (n == 0) {
    z = Eigen::VectorXd::Zero(row.size());
    zy = Eigen::VectorXd::Zero(row.size());
    zz = Eigen::MatrixXd::Zero(row.size(), row.size());
  }
  n += 1;
  y += y_value;
  yy += y_value * y_value;
  z += row;
  zy += row * y_value;
  zz.selfadjointView<Eigen::Lower>().rankUpdate(row);
}

std::optional<PredictStats::Plane> PredictStats::FitPlane(const DesignSums* s) const {
  if (s == nullptr || s->n == 0) return std::nullopt;
  // Exact: refit whenever the sums changed. (Refitting only as they grew by
  // 5 % cut a stress case from 13 s to 5 s but moved Enduro's regret from
  // 53.9 to 69.2: decisions must not hang on a cache.)
  if (s->fitted_n != s->n) {
    s->fitted = Solve(*s);
    s->fitted_n = s->n;
  }
  return s->fitted;
}

std::optional<PredictStats::Plane> PredictStats::Solve(const DesignSums& s) const {
  const Eigen::Index d = s.z.size();
  const double n = s.n;
  if (n < options_.samples_per_coefficient * static_cast<double>(d + 1)) return std::nullopt;
  Plane plane;
  plane.n = n;
  plane.mean_z = s.z / n;
  plane.mean_y = s.y / n;
  Eigen::MatrixXd szz = s.zz.selfadjointView<Eigen::Lower>();
  szz -= n * plane.mean_z * plane.mean_z.transpose();
  const Eigen::VectorXd szy = s.zy - n * plane.mean_z * plane.mean_y;
  const double syy = std::max(0.0, s.yy - n * plane.mean_y * plane.mean_y);
  // A column without spread among these trials (every level equal, a
  // category none of them had) says nothing, and its centred sum is
  // rounding noise that would make the matrix indefinite: left out, with a
  // zero coefficient. The same relative test as the line's slope. Without
  // spread in the level the plane has nothing to go through: the line.
  auto spread = [&](Eigen::Index j) { return szz(j, j) > 1e-12 * s.zz(j, j); };
  if (!spread(0)) return std::nullopt;
  std::vector<Eigen::Index> kept{0};
  for (Eigen::Index j = 1; j < d; ++j) {
    if (spread(j)) kept.push_back(j);
  }
  const Eigen::Index k = static_cast<Eigen::Index>(kept.size());
  // Ridge on the features, scaled to each one's spread (the same shrinkage
  // whatever a feature's units); the level is not shrunk.
  Eigen::MatrixXd a(k, k);
  Eigen::VectorXd b(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    b(i) = szy(kept[i]);
    for (Eigen::Index j = 0; j < k; ++j) a(i, j) = szz(kept[i], kept[j]);
    if (i > 0) a(i, i) += options_.ridge * szz(kept[i], kept[i]) / n;
  }
  plane.normal.compute(a);
  if (plane.normal.info() != Eigen::Success || !plane.normal.isPositive()) return std::nullopt;
  const Eigen::VectorXd beta = plane.normal.solve(b);
  if (!beta.allFinite()) return std::nullopt;
  plane.beta = Eigen::VectorXd::Zero(d);
  for (Eigen::Index i = 0; i < k; ++i) plane.beta(kept[i]) = beta(i);
  plane.kept = std::move(kept);
  const double sse = std::max(0.0, syy - 2.0 * plane.beta.dot(szy) + plane.beta.dot(szz * plane.beta));
  plane.dof = n - static_cast<double>(k) - 1.0;
  plane.sigma = std::sqrt(sse / plane.dof);
  return plane;
}

double PredictStats::Plane::Leverage(const Eigen::VectorXd& row) const {
  Eigen::VectorXd r(static_cast<Eigen::Index>(kept.size()));
  for (size_t i = 0; i < kept.size(); ++i) r(static_cast<Eigen::Index>(i)) = row(kept[i]) - mean_z(kept[i]);
  return 1.0 + 1.0 / n + r.dot(normal.solve(r));
}

bool PredictStats::Through(const Sums& sums, const DesignSums* design, const std::vector<double>& features,
                           double floor, double* mean, double* var, double* dof) const {
  if (HasFeatures(features)) {
    if (std::optional<Plane> plane = FitPlane(design)) {
      const Eigen::VectorXd row = Row(*mean, features);
      const double sigma = std::max(plane->sigma, floor);
      *var = sigma * sigma * plane->Leverage(row) + plane->beta(0) * plane->beta(0) * *var;
      *mean = plane->At(row);
      *dof = std::min(*dof, plane->dof);
      return true;
    }
  }
  std::optional<Line> line = Fit(sums);
  if (!line) return false;
  const double sigma = std::max(line->sigma, floor);
  *var = sigma * sigma * line->Leverage(*mean) + line->slope * line->slope * *var;
  *mean = line->mean_y + line->slope * (*mean - line->mean_x);
  *dof = std::min(*dof, line->n - 2);
  return true;
}

const PredictStats::DesignSums* PredictStats::FinalDesign(int64_t step) const {
  return step >= 1 ? &At(step).final_design : nullptr;
}

const PredictStats::DesignSums* PredictStats::RungDesign(int64_t step) const {
  return step >= 1 ? &At(step).rung_design : nullptr;
}

const PredictStats::Sums* PredictStats::FinalLink(int64_t step) const {
  return step >= 1 ? &At(step).final_link : nullptr;
}

const PredictStats::Sums* PredictStats::RungLink(int64_t step) const {
  return step >= 1 ? &At(step).rung_link : nullptr;
}

double PredictStats::FinalFloor(double mean_final) const {
  const double spread = *finals_.rbegin() - *finals_.begin();
  return options_.min_scale_fraction * SpreadOrScale(spread, std::fabs(mean_final));
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

std::optional<StepPrediction> PredictStats::Predict(int64_t step, double level, double level_noise,
                                                    const std::vector<double>& features) const {
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
    if (!Fit(*link_sums) || !Fit(*rung_final)) break;
    if (links == 0) first = link_sums;
    const double floor =
        options_.min_scale_fraction * SpreadOrScale(link_sums->f_max - link_sums->f_min,
                                                    std::max(std::fabs(link_sums->f_max), std::fabs(link_sums->f_min)));
    Through(*link_sums, RungDesign(at), features, floor, &mean, &var, &dof);
    at = rung;
    ++links;
  }
  const Sums& last = *FinalLink(at);
  const Line last_line = at == step ? *final_line : *Fit(last);
  double final_dof = dof;
  Through(last, FinalDesign(at), features, FinalFloor(last_line.mean_y), &mean, &var, &final_dof);

  StepPrediction p;
  p.mean = mean;
  p.scale = std::sqrt(var);
  p.dof = final_dof;
  p.samples = static_cast<int64_t>(last_line.n);
  p.links = links + 1;
  const double t = Quantile95(p.dof);
  p.lower = p.mean - t * p.scale;
  p.upper = p.mean + t * p.scale;
  p.learned_min = first->x_min;
  p.learned_max = first->x_max;
  return p;
}

std::vector<double> PredictStats::ScoreAhead(int64_t step, const std::vector<double>& levels,
                                             const std::vector<std::vector<double>>& features) const {
  if (options_.features == 0) return {};
  // Each link maps (value, features) to the next value affinely, so the walk
  // is one affine map: score = constant + slope * level + weights . features,
  // composed once and applied to every trial in O(features).
  const Eigen::Index p = options_.features;
  double constant = 0.0, slope = 1.0;
  Eigen::VectorXd weights = Eigen::VectorXd::Zero(p);
  bool any = false;
  auto compose = [&](const Plane& plane) {
    // next = mean_y + b0 (value - mz0) + b' (phi - mz'), value = constant + slope level + weights phi
    const double b0 = plane.beta(0);
    const Eigen::VectorXd b = plane.beta.tail(p);
    constant = plane.mean_y + b0 * (constant - plane.mean_z(0)) - b.dot(plane.mean_z.tail(p));
    slope = b0 * slope;
    weights = b0 * weights + b;
    any = true;
  };
  int64_t at = step;
  for (int64_t rung = NextRung(at); rung != 0; rung = NextRung(at)) {
    std::optional<Plane> link = FitPlane(RungDesign(at));
    if (!link) break;
    compose(*link);
    at = rung;
  }
  if (std::optional<Plane> final_link = FitPlane(FinalDesign(at))) compose(*final_link);
  if (!any) return {};
  std::vector<double> scores(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    if (!HasFeatures(features[i])) return {};
    scores[i] = constant + slope * levels[i] + weights.dot(Eigen::Map<const Eigen::VectorXd>(features[i].data(), p));
  }
  return scores;
}

std::optional<double> PredictStats::KthBestFinal(int64_t k) const {
  if (k < 1 || k > completed()) return std::nullopt;
  return *std::next(finals_.rbegin(), k - 1);
}

}  // namespace cairn::schedule
