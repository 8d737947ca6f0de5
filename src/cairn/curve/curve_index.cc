// BuildCurveIndex: which families predict the final value of which kinds of
// curve, from how much of the curve.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <tuple>

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>

#include "cairn/curve.h"
#include "cairn/curve/curve_stats.h"

namespace cairn {
namespace {

constexpr const char* kEnsemble = "ensemble";
constexpr const char* kLastValue = "last_value";
constexpr const char* kStudyLine = "study_line";
constexpr size_t kStudyLineIndex = 2;
constexpr size_t kFirstFamilyIndex = 3;
constexpr double kInterval = 0.9;

struct Sample {
  double abs_error;
  double norm_error;
  bool failed;
  int covered;  // ensemble, study line: 1 inside the 90 % interval, 0 outside; -1 n/a
};

using CellKey = std::tuple<CurveKind, size_t /*fraction index*/, size_t /*predictor index*/>;
using Samples = std::map<CellKey, std::vector<Sample>>;

std::vector<std::string> PredictorNames(const CurveFitOptions& fit) {
  std::vector<std::string> names = {kLastValue, kEnsemble, kStudyLine};
  if (fit.families.empty()) {
    for (const auto& info : AllFamilies()) names.emplace_back(info.name);
  } else {
    for (CurveFamily f : fit.families) names.emplace_back(CurveFamilyName(f));
  }
  return names;
}

std::vector<const LabeledCurve*> Subsample(const std::vector<LabeledCurve>& curves, int max_curves) {
  std::vector<const LabeledCurve*> out;
  size_t n = curves.size();
  size_t m = max_curves > 0 ? std::min(n, static_cast<size_t>(max_curves)) : n;
  for (size_t i = 0; i < m; ++i) out.push_back(&curves[i * n / m]);  // evenly spaced
  return out;
}

double FileRange(const std::vector<const LabeledCurve*>& curves) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto* c : curves) {
    for (double v : c->values) {
      if (!std::isfinite(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  return hi > lo ? hi - lo : 1.0;
}

std::optional<double> LastFinite(std::span<const double> v) {
  for (size_t i = v.size(); i > 0; --i) {
    if (std::isfinite(v[i - 1])) return v[i - 1];
  }
  return std::nullopt;
}

// The first `m` values of `c`, NaN/inf skipped, signed so that higher is better.
std::vector<double> SignedFinitePrefix(const LabeledCurve& c, size_t m) {
  std::vector<double> finite;
  for (size_t i = 0; i < m && i < c.values.size(); ++i) {
    if (std::isfinite(c.values[i])) finite.push_back(c.direction == Direction::kMaximize ? c.values[i] : -c.values[i]);
  }
  return finite;
}

// The signed level of a curve's first `step` values; nullopt when none is finite.
std::optional<double> SignedLevelAt(const LabeledCurve& c, int64_t step) {
  std::vector<double> finite = SignedFinitePrefix(c, static_cast<size_t>(step));
  if (finite.empty()) return std::nullopt;
  return curve_internal::RecentMeanLevel(finite);
}

// One scored curve at one fraction, for the study line.
struct LinePoint {
  CurveKind kind;
  double level;  // RecentMeanLevel of the prefix
  double truth;  // the curve's final value
};

// Scores every single-curve predictor on one curve cut at one fraction;
// returns the prefix's point for the study line (nullopt: nothing finite).
std::optional<LinePoint> ScorePrefix(const LabeledCurve& c, CurveKind kind, size_t fi, double fraction,
                                     double truth, double file_range, const CurveIndexOptions& options,
                                     Samples& samples) {
  size_t n = c.values.size();
  size_t m = std::clamp<size_t>(static_cast<size_t>(std::lround(fraction * n)), 1, n - 1);
  std::span<const double> prefix(c.values.data(), m);
  std::optional<double> last = LastFinite(prefix);
  if (!last) return std::nullopt;
  const std::vector<double> finite = SignedFinitePrefix(c, m);
  const double sign = c.direction == Direction::kMaximize ? 1.0 : -1.0;
  LinePoint point{kind, sign * curve_internal::RecentMeanLevel(finite), truth};
  auto add = [&](size_t pi, double predicted, bool failed, int covered) {
    double err = std::abs(predicted - truth);
    samples[{kind, fi, pi}].push_back({err, err / file_range, failed, covered});
  };
  add(0, *last, false, -1);
  // Too few points to fit a family (10 % of a 20-step curve): only the
  // baseline is scored, not a dozen "failed" fits that repeat it.
  if (static_cast<int>(finite.size()) < options.fit.min_points) return point;
  std::vector<int64_t> steps(m);
  std::iota(steps.begin(), steps.end(), 1);
  CurveFitOptions fit = options.fit;
  fit.direction = c.direction;
  Result<CurveModel> model = CurveModel::Fit(steps, prefix, fit);
  if (!model.ok()) return point;
  CurvePrediction p = model->Predict(static_cast<int64_t>(n));
  bool ens_ok = p.ok && std::isfinite(p.mean);
  add(1, ens_ok ? p.mean : *last, !ens_ok, ens_ok ? (truth >= p.lower && truth <= p.upper) : -1);
  std::vector<std::string> names = PredictorNames(fit);
  for (size_t pi = kFirstFamilyIndex; pi < names.size(); ++pi) {
    std::optional<double> v = model->PredictFamily(*ParseCurveFamily(names[pi]), static_cast<int64_t>(n));
    add(pi, v.value_or(*last), !v.has_value(), -1);
  }
  return point;
}

// The study line: each curve's final predicted from its level at the
// fraction by a least-squares line through every *other* curve's (level,
// final), with the classical prediction interval (Student-t, n - 2 degrees
// of freedom of the line it was learned from). What the predictive
// scheduler does with a study's completed trials (docs/schedulers.md), here
// with every other curve of the file known: the evidence that a study's
// own curves predict better than one curve's shape. Needs 4 curves.
void ScoreStudyLine(const std::vector<LinePoint>& points, size_t fi, double file_range, Samples& samples) {
  const size_t n = points.size();
  if (n < 4) return;
  // Centred sums, so that leaving one point out does not cancel digits.
  double mx = 0, my = 0;
  for (const auto& p : points) mx += p.level, my += p.truth;
  mx /= n, my /= n;
  double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
  for (const auto& p : points) {
    double x = p.level - mx, y = p.truth - my;
    sx += x, sy += y, sxx += x * x, sxy += x * y, syy += y * y;
  }
  const double m = static_cast<double>(n - 1);
  const double dof = m - 2;
  const double t = boost::math::quantile(boost::math::students_t(dof), 0.5 + kInterval / 2);
  for (const auto& p : points) {
    double x = p.level - mx, y = p.truth - my;
    double ax = sx - x, ay = sy - y;  // sums without this curve
    double xbar = ax / m, ybar = ay / m;
    double cxx = (sxx - x * x) - ax * xbar;
    double cxy = (sxy - x * y) - ax * ybar;
    double cyy = (syy - y * y) - ay * ybar;
    double slope = cxx > 1e-12 * std::max(1.0, cyy) ? cxy / cxx : 0.0;
    double predicted = ybar + slope * (x - xbar);
    double sse = std::max(0.0, cyy - slope * cxy);
    double leverage = 1 + 1 / m + (cxx > 0 ? (x - xbar) * (x - xbar) / cxx : 0.0);
    double half = t * std::sqrt(sse / dof * leverage);
    double err = std::abs(predicted - y);
    samples[{p.kind, fi, kStudyLineIndex}].push_back({err, err / file_range, false, err <= half ? 1 : 0});
  }
}

CurveIndexCell Aggregate(const CellKey& key, const std::vector<Sample>& s,
                         const std::vector<std::string>& names, const std::vector<double>& fractions) {
  CurveIndexCell cell;
  cell.kind = std::get<0>(key);
  cell.fraction = fractions[std::get<1>(key)];
  cell.predictor = names[std::get<2>(key)];
  cell.count = static_cast<int>(s.size());
  std::vector<double> abs_err, norm_err;
  int covered = 0, judged = 0;
  for (const auto& x : s) {
    abs_err.push_back(x.abs_error);
    norm_err.push_back(x.norm_error);
    cell.failed += x.failed ? 1 : 0;
    if (x.covered >= 0) ++judged, covered += x.covered;
  }
  cell.mean_abs_error = curve_internal::Mean(abs_err);
  cell.median_abs_error = curve_internal::Median(abs_err);
  cell.mean_norm_error = curve_internal::Mean(norm_err);
  cell.median_norm_error = curve_internal::Median(norm_err);
  if (judged > 0) cell.coverage = static_cast<double>(covered) / judged;
  return cell;
}

// Per kind: predictors by the mean over fractions of their median norm error.
std::map<CurveKind, std::vector<std::string>> Rank(const std::vector<CurveIndexCell>& cells) {
  std::map<CurveKind, std::map<std::string, std::vector<double>>> scores;
  for (const auto& c : cells) scores[c.kind][c.predictor].push_back(c.median_norm_error);
  std::map<CurveKind, std::vector<std::string>> ranking;
  for (const auto& [kind, by_predictor] : scores) {
    std::vector<std::pair<double, std::string>> order;
    for (const auto& [name, v] : by_predictor) order.emplace_back(curve_internal::Mean(v), name);
    std::sort(order.begin(), order.end());
    for (auto& [score, name] : order) ranking[kind].push_back(name);
  }
  return ranking;
}

// The step of value i of `c`.
int64_t StepOf(const LabeledCurve& c, size_t i) {
  return i < c.steps.size() ? c.steps[i] : static_cast<int64_t>(i) + 1;
}

// How many values a rung at `step` has seen of `c`: up to its first report
// at or past the step, where the predictive rule judges it.
size_t ReportsAtRung(const LabeledCurve& c, int64_t step) {
  size_t i = 0;
  while (i < c.values.size() && StepOf(c, i) < step) ++i;
  return i + 1;
}

std::optional<RankStability> RankStabilityAt(const std::vector<const LabeledCurve*>& curves, int64_t step) {
  std::vector<double> levels, finals;
  for (const LabeledCurve* c : curves) {
    // Curves that go on past the rung (judged there before their end).
    const size_t reports = ReportsAtRung(*c, step);
    if (c->values.size() <= reports || !std::isfinite(c->values.back())) continue;
    std::optional<double> level = SignedLevelAt(*c, static_cast<int64_t>(reports));
    if (!level) continue;
    levels.push_back(*level);
    finals.push_back(c->direction == Direction::kMaximize ? c->values.back() : -c->values.back());
  }
  const size_t n = levels.size();
  if (n < 3) return std::nullopt;
  RankStability out;
  out.step = step;
  out.count = static_cast<int>(n);
  out.spearman = curve_internal::SpearmanCorrelation(levels, finals);
  // The best tenth by final, and whether each ranks in the top third by
  // level (ties kept, as a rung keeps them).
  std::vector<size_t> by_final(n);
  std::iota(by_final.begin(), by_final.end(), 0);
  std::sort(by_final.begin(), by_final.end(), [&](size_t a, size_t b) { return finals[a] > finals[b]; });
  const size_t best = std::max<size_t>(1, (n + 9) / 10);
  const size_t keep = (n + 2) / 3;
  size_t kept = 0;
  for (size_t i = 0; i < best; ++i) {
    const double level = levels[by_final[i]];
    size_t better = static_cast<size_t>(std::count_if(levels.begin(), levels.end(), [&](double l) { return l > level; }));
    kept += better < keep ? 1 : 0;
  }
  out.top_kept = static_cast<double>(kept) / static_cast<double>(best);
  return out;
}

// At the predictive rule's default rungs (first, 3 first, 9 first, ...,
// from the first step reported, as its min_resource "auto") below the last
// step reached.
std::vector<RankStability> RankStabilities(const std::vector<const LabeledCurve*>& curves) {
  std::optional<int64_t> first;
  int64_t last = 0;
  for (const LabeledCurve* c : curves) {
    if (c->values.empty()) continue;
    first = std::min(first.value_or(StepOf(*c, 0)), StepOf(*c, 0));
    last = std::max(last, StepOf(*c, c->values.size() - 1));
  }
  std::vector<RankStability> out;
  for (int64_t step = std::max<int64_t>(first.value_or(1), 1); step < last; step *= 3) {
    if (std::optional<RankStability> r = RankStabilityAt(curves, step)) out.push_back(*r);
  }
  return out;
}

}  // namespace

Status CurveIndexOptions::Validate() const {
  if (fractions.empty()) return InvalidArgument("curve index: fractions is empty");
  for (double f : fractions) {
    if (!(f > 0 && f < 1)) return InvalidArgument(fmt::format("curve index: fraction {} not in (0, 1)", f));
  }
  if (max_curves < 0) return InvalidArgument("curve index: max_curves must be >= 0");
  return fit.Validate().WithContext("curve index");
}

Result<CurveIndexReport> BuildCurveIndex(const std::vector<LabeledCurve>& curves,
                                         const CurveIndexOptions& options) {
  CAIRN_TRY(options.Validate());
  CurveIndexReport report;
  report.num_curves = static_cast<int>(curves.size());
  std::vector<const LabeledCurve*> used = Subsample(curves, options.max_curves);
  report.num_used = static_cast<int>(used.size());
  report.file_range = FileRange(used);
  Samples samples;
  std::vector<std::vector<LinePoint>> line_points(options.fractions.size());
  for (const LabeledCurve* c : used) {
    CurveKind kind = ClassifyCurve(c->values, c->direction, report.file_range, options.rules);
    ++report.kind_counts[kind];
    if (c->values.size() < 2 || !std::isfinite(c->values.back())) continue;  // no final value to score
    for (size_t fi = 0; fi < options.fractions.size(); ++fi) {
      std::optional<LinePoint> point =
          ScorePrefix(*c, kind, fi, options.fractions[fi], c->values.back(), report.file_range, options, samples);
      if (point) line_points[fi].push_back(*point);
    }
  }
  for (size_t fi = 0; fi < options.fractions.size(); ++fi) {
    ScoreStudyLine(line_points[fi], fi, report.file_range, samples);
  }
  std::vector<std::string> names = PredictorNames(options.fit);
  for (const auto& [key, s] : samples) report.cells.push_back(Aggregate(key, s, names, options.fractions));
  report.ranking = Rank(report.cells);
  report.rank_stability = RankStabilities(used);
  return report;
}

}  // namespace cairn
