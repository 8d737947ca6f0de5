// CurveModel: the regime of a curve, its family fits, and predictions.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "cairn/curve.h"
#include "cairn/curve/curve_stats.h"
#include "cairn/curve/ensemble.h"
#include "cairn/curve/points.h"
#include "cairn/curve/regime.h"

namespace cairn {

using curve_internal::Points;

// A group of fits made on one stretch of the curve, in one scale.
struct FitGroup {
  std::vector<FamilyFit> fits;
  double x_first = 1, x_last = 1, u_cap = 1;
};

struct CurveModel::State {
  CurveFitOptions options;
  Points points;
  curve_internal::RegimeAnalysis analysis;
  FitSummary summary;
  FitGroup main;  // on the curve from its onset, "up" = better
  FitGroup fall;  // diverging: on the fall from the best, "up" = worse
};

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<CurveFamily> FamiliesOf(const CurveFitOptions& o) {
  if (!o.families.empty()) return o.families;
  std::vector<CurveFamily> all;
  for (const auto& info : AllFamilies()) all.push_back(info.family);
  return all;
}

FitGroup FitStretch(const Points& p, size_t begin, double sign, std::optional<double> origin,
                    const CurveFitOptions& o) {
  FitGroup g;
  CurveScale scale = curve_internal::MakeScale(p, begin, p.size(), sign, origin);
  curve_internal::FitData data = curve_internal::MakeFitData(p, begin, p.size(), scale, o);
  g.x_first = data.x.front();
  g.x_last = data.x.back();
  g.u_cap = data.u_cap;
  for (CurveFamily f : FamiliesOf(o)) g.fits.push_back(curve_internal::FitNormalized(f, data, scale, o));
  return g;
}

double Clamp(double v, const CurveFitOptions& o) {
  if (o.lower_bound) v = std::max(v, *o.lower_bound);
  if (o.upper_bound) v = std::min(v, *o.upper_bound);
  return v;
}

// Fills lower/upper from mean and stddev, all clamped to the known bounds.
void SetInterval(CurvePrediction& p, const CurveFitOptions& o) {
  double z = curve_internal::NormalQuantile(0.5 + p.interval / 2);
  p.lower = Clamp(p.mean - z * p.stddev, o);
  p.upper = Clamp(p.mean + z * p.stddev, o);
  p.mean = Clamp(p.mean, o);
}

double Sign(const CurveFitOptions& o) { return o.direction == Direction::kMaximize ? 1.0 : -1.0; }

// The worst value the curve can be said to reach: the bad-side bound when
// known, else the worst finite value seen.
double WorstValue(const CurveModel::State& s) {
  const auto& o = s.options;
  std::optional<double> bound = o.direction == Direction::kMaximize ? o.lower_bound : o.upper_bound;
  if (bound) return *bound;
  const auto& v = s.points.values;
  if (v.empty()) return kNaN;
  return Sign(o) > 0 ? *std::min_element(v.begin(), v.end()) : *std::max_element(v.begin(), v.end());
}

void PredictFallback(const CurveModel::State& s, CurvePrediction& p, std::string why) {
  const auto& v = s.points.values;
  p.ok = false;
  p.note = std::move(why) + "; predicting the last value with a wide interval";
  if (v.empty()) {
    p.mean = p.lower = p.upper = p.stddev = kNaN;
    return;
  }
  p.mean = v.back();
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  p.stddev = std::max({*hi - *lo, 0.5 * std::abs(v.back()), 1.0});
  SetInterval(p, s.options);
}

void PredictFlat(const CurveModel::State& s, CurvePrediction& p) {
  const auto& v = s.points.values;
  size_t m = std::max<size_t>(3, v.size() / 3);
  p.mean = curve_internal::Median(std::span<const double>(v).last(m));
  double noise = s.analysis.noise;
  p.stddev = std::max(noise * std::sqrt(1.0 + 1.0 / static_cast<double>(m)), 1e-12 * std::abs(p.mean));
  p.ok = true;
  p.note = "no learning: " + s.analysis.note;
  SetInterval(p, s.options);
}

void PredictNonFinite(const CurveModel::State& s, CurvePrediction& p) {
  p.mean = p.lower = p.upper = WorstValue(s);
  p.stddev = 0;
  p.ok = std::isfinite(p.mean);
  p.note = "diverged: the curve ended in NaN/inf; predicting the worst value";
}

void PredictEnsemble(const CurveModel::State& s, const FitGroup& g, CurvePrediction& p, std::string_view what) {
  curve_internal::EnsembleEstimate e =
      curve_internal::Combine(g.fits, p.target_step, g.x_first, g.x_last, g.u_cap);
  if (!e.ok) return PredictFallback(s, p, fmt::format("{}: no family fit survived", what));
  p.ok = true;
  p.mean = e.mean;
  p.stddev = e.stddev;
  p.members = std::move(e.members);
  p.note = fmt::format("{}: {} families, led by {} ({:.0f}%)", what, p.members.size(),
                       CurveFamilyName(p.members.front().family), 100 * p.members.front().weight);
  if (e.dropped > 0) p.note += fmt::format("; {} dropped as absurd", e.dropped);
  SetInterval(p, s.options);
}

FitSummary Summarise(const CurveModel::State& s) {
  FitSummary sum;
  sum.regime = s.analysis.regime;
  sum.num_points = static_cast<int>(s.points.size());
  sum.onset_index = static_cast<int>(s.analysis.onset);
  sum.noise = s.analysis.noise;
  sum.ended_non_finite = s.points.ended_non_finite;
  sum.fits = s.main.fits;
  for (const auto& f : sum.fits) sum.num_families_ok += f.ok ? 1 : 0;
  return sum;
}

}  // namespace

Result<CurveModel> CurveModel::Fit(std::span<const int64_t> steps, std::span<const double> values,
                                   const CurveFitOptions& options) {
  CAIRN_TRY(options.Validate());
  auto state = std::make_shared<State>();
  state->options = options;
  CAIRN_ASSIGN_OR_RETURN(state->points, curve_internal::FinitePoints(steps, values));
  state->analysis = curve_internal::AnalyseRegime(state->points, options);
  const Points& p = state->points;
  CurveRegime r = state->analysis.regime;
  // Every regime with enough points gets the family fits, so the index and
  // the summary can show what each family would have said.
  if (p.size() >= static_cast<size_t>(options.min_points)) {
    state->main = FitStretch(p, state->analysis.onset, Sign(options), curve_internal::BadSideBound(options),
                             options);
  }
  if (r == CurveRegime::kDiverging && !p.ended_non_finite) {
    state->fall = FitStretch(p, state->analysis.best_index, -Sign(options), std::nullopt, options);
  }
  state->summary = Summarise(*state);
  return CurveModel(std::move(state));
}

CurvePrediction CurveModel::Predict(int64_t target_step, double interval) const {
  const CurveModel::State& s = *state_;
  CurvePrediction p;
  p.target_step = target_step;
  p.interval = std::clamp(interval, 1e-6, 1 - 1e-9);
  p.regime = s.analysis.regime;
  switch (p.regime) {
    case CurveRegime::kTooFewPoints:
      PredictFallback(s, p, "too few points: " + s.analysis.note);
      break;
    case CurveRegime::kNoLearning:
      PredictFlat(s, p);
      break;
    case CurveRegime::kLearning:
      PredictEnsemble(s, s.main, p, s.analysis.note);
      break;
    case CurveRegime::kDiverging:
      if (s.points.ended_non_finite) {
        PredictNonFinite(s, p);
      } else {
        PredictEnsemble(s, s.fall, p, "diverging: " + s.analysis.note);
      }
      break;
  }
  return p;
}

CurveRegime CurveModel::regime() const { return state_->analysis.regime; }

const FitSummary& CurveModel::Summary() const { return state_->summary; }

std::optional<double> CurveModel::PredictFamily(CurveFamily family, int64_t target_step) const {
  const FitGroup& g = state_->main;
  for (const auto& f : g.fits) {
    if (f.family != family) continue;
    // The ensemble of one applies the same absurdity checks as Predict.
    curve_internal::EnsembleEstimate e =
        curve_internal::Combine(std::span(&f, 1), target_step, g.x_first, g.x_last, g.u_cap);
    if (!e.ok) return std::nullopt;
    return Clamp(e.mean, state_->options);
  }
  return std::nullopt;
}

}  // namespace cairn
