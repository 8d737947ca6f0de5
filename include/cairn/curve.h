// Learning-curve models: parametric fits, an ensemble prediction with an
// interval, and the index of which families predict which kinds of curve.
//
// A curve is a list of (step, value) points of one metric, in the metric's own
// units. Fitting happens in a normalised space where "up is better" and the
// observed values span [0, 1]; predictions are mapped back. See
// docs/curves.md for the families, the weighting and the edge-case rules.
//
//   CurveFitOptions options{.direction = Direction::kMaximize,
//                           .lower_bound = 0.0, .upper_bound = 1.0};
//   CAIRN_ASSIGN_OR_RETURN(CurveModel model, CurveModel::Fit(steps, values, options));
//   CurvePrediction p = model.Predict(/*target_step=*/100);
//   if (p.ok && p.upper < best_so_far) { /* unlikely to win */ }
//
// Thread-safety: CurveModel is immutable after Fit; const methods may be
// called from several threads. Fitting is deterministic (same input, same
// output) and single-threaded. Knows nothing about trials or time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/status.h"
#include "cairn/trial.h"  // Direction

namespace cairn {

// The parametric families of Domhan, Springenberg & Hutter (IJCAI 2015).
// In the normalised space every family rises with x (x = 1 at the first
// fitted point).
enum class CurveFamily {
  kPow3,           // c - a x^-alpha
  kPow4,           // c - (a x + b)^-alpha
  kLogPower,       // a / (1 + (x / e^b)^c), c < 0
  kExp3,           // c - e^(-a x + b)
  kJanoschek,      // alpha - (alpha - beta) e^(-kappa x^delta)
  kWeibull,        // alpha - (alpha - beta) e^(-(kappa x)^delta)
  kMmf,            // alpha - (alpha - beta) / (1 + (kappa x)^delta)
  kIlog2,          // c - a / log(x + 1)
  kVaporPressure,  // exp(a + b / x + c log x)
  kLogLogLinear,   // log(a log x + b)
  kHill3,          // ymax x^eta / (kappa^eta + x^eta)
};

struct CurveFamilyInfo {
  CurveFamily family;
  std::string_view name;     // "pow3", "vapor_pressure", ...
  std::string_view formula;  // for people
  int num_params;
};
// Every family, in enum order.
std::span<const CurveFamilyInfo> AllFamilies();
std::string_view CurveFamilyName(CurveFamily family);
std::optional<CurveFamily> ParseCurveFamily(std::string_view name);

struct CurveFitOptions {
  // Which way is better. Minimised metrics are mirrored before fitting.
  Direction direction = Direction::kMaximize;
  // Known bounds of the metric (accuracy: 0 and 1; a loss: lower 0).
  // Predictions and intervals are clamped into them.
  std::optional<double> lower_bound;
  std::optional<double> upper_bound;
  // Fewer finite points than this: no fit, the last value is predicted with a
  // wide interval and ok = false.
  int min_points = 3;
  // Ceres iterations per family fit; curves are small, fits converge fast.
  int max_iterations = 40;
  // How far beyond the observed range (in units of that range) a family's
  // asymptote or prediction may lie before the fit counts as absurd.
  double max_gain = 4.0;
  // Diverging: the recent values lie below the best by more than this
  // fraction of the gain (and by more than 4 noise sigmas), 3+ points after it.
  double diverge_drop = 0.3;
  // Families to fit; empty means all of AllFamilies().
  std::vector<CurveFamily> families;

  // InvalidArgument naming the field when an option is out of range.
  Status Validate() const;
};

// What the fitted prefix looks like; decides how Predict extrapolates.
enum class CurveRegime {
  kTooFewPoints,  // fewer than min_points finite values: last value, wide interval
  kNoLearning,    // no improvement beyond the noise: flat prediction, narrow interval
  kLearning,      // improving: the ensemble of families extrapolates
  kDiverging,     // fell well below its best, or ended in NaN/inf:
                  // extrapolates the fall, never a rebound
};
std::string_view CurveRegimeName(CurveRegime regime);

// Maps (step, value) to the normalised fitting space and back:
// x = (step - x_origin) / x_unit, u = y_sign * (value - y_ref) / y_scale.
struct CurveScale {
  double x_origin = 0.0;
  double x_unit = 1.0;
  double y_ref = 0.0;
  double y_scale = 1.0;
  double y_sign = 1.0;  // +1 maximise, -1 minimise

  double X(int64_t step) const { return (static_cast<double>(step) - x_origin) / x_unit; }
  double U(double value) const { return y_sign * (value - y_ref) / y_scale; }
  double Value(double u) const { return y_ref + y_sign * y_scale * u; }
};

// One family fitted to one curve.
struct FamilyFit {
  CurveFamily family = CurveFamily::kPow3;
  bool ok = false;              // converged to finite, plausible parameters
  std::string note;             // why not ok ("non-finite", "absurd asymptote", ...)
  std::vector<double> params;   // in the normalised space, AllFamilies() order of the formula
  CurveScale scale;
  int num_points = 0;           // points fitted
  double rmse = 0.0;            // root mean squared residual, metric units
  double aicc = 0.0;            // corrected Akaike criterion (normalised space)

  // The fitted curve at `step`, metric units (not clamped); NaN when !ok.
  double Predict(int64_t step) const;
};

// Fits one family to the points (steps strictly increasing; NaN/inf values
// are skipped). InvalidArgument for mismatched sizes, unordered steps or
// fewer than options.min_points finite points. A fit that fails numerically
// is returned with ok = false and a note, not as an error.
Result<FamilyFit> FitFamily(CurveFamily family, std::span<const int64_t> steps,
                            std::span<const double> values, const CurveFitOptions& options);

// One family's share of an ensemble prediction.
struct FamilyEstimate {
  CurveFamily family;
  double weight = 0.0;  // sums to 1 over the members
  double value = 0.0;   // its prediction, metric units
};

struct CurvePrediction {
  int64_t target_step = 0;
  double mean = 0.0;     // predicted value at target_step (metric units)
  double lower = 0.0;    // central `interval` (e.g. 90 %) interval
  double upper = 0.0;
  double stddev = 0.0;
  double interval = 0.9;
  bool ok = false;       // false when the prediction is only a fallback
  CurveRegime regime = CurveRegime::kTooFewPoints;
  std::string note;      // one sentence: why this prediction
  std::vector<FamilyEstimate> members;  // the families used, best weight first

  nlohmann::json ToJson() const;
};

struct FitSummary {
  CurveRegime regime = CurveRegime::kTooFewPoints;
  int num_points = 0;        // finite points given
  int onset_index = 0;       // fitted from this finite point on (late learners > 0)
  int num_families_ok = 0;
  double noise = 0.0;        // estimated point noise, metric units
  bool ended_non_finite = false;
  std::vector<FamilyFit> fits;  // every family tried, main fit
  std::string BriefReport() const;  // one line for the CLI
};

class CurveModel {
 public:
  // Fits every family (options.families) to the curve. Steps must be
  // strictly increasing and as many as values. NaN/inf values are skipped;
  // a curve whose last value is NaN/inf is flagged diverged.
  // InvalidArgument for malformed input or options; too few points is not
  // an error (Predict then falls back).
  static Result<CurveModel> Fit(std::span<const int64_t> steps, std::span<const double> values,
                                const CurveFitOptions& options);

  // The predicted value at `target_step` (>= the last step for forecasts;
  // earlier steps give the fitted curve) with a central interval of
  // probability `interval` in (0, 1).
  CurvePrediction Predict(int64_t target_step, double interval = 0.9) const;
  CurveRegime regime() const;
  const FitSummary& Summary() const;
  // One family's own prediction; nullopt when it was not fitted or failed.
  std::optional<double> PredictFamily(CurveFamily family, int64_t target_step) const;

  struct State;  // internal

 private:
  explicit CurveModel(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// ---- The index: which families predict which kinds of curve ----

// The kinds of curve the index reports on. Rules: docs/curves.md.
enum class CurveKind {
  kNormal,       // learns and settles
  kNeverLearns,  // no gain beyond noise
  kLateLearner,  // flat for a while, then learns
  kDiverges,     // loses most of what it gained by the end, or ends NaN/inf
  kNoisy,        // learns, but point noise is large against the gain
};
std::string_view CurveKindName(CurveKind kind);

struct CurveKindRules {
  // Never learns: gain (best smoothed - start) below this fraction of the
  // file's range, or below 3 noise sigmas.
  double never_learns_gain = 0.05;
  // Diverges: the end lies below best - this fraction of the gain.
  double diverge_loss = 0.5;
  // Late learner: the curve first reaches 20 % of its gain after this
  // fraction of its length.
  double late_onset = 0.15;
  // Noisy: point noise above this fraction of the gain.
  double noisy_ratio = 0.1;
};

// Classifies a whole curve (one point per step). `file_range` is the range
// of values over the curve's file, for the never-learns rule.
CurveKind ClassifyCurve(std::span<const double> values, Direction direction, double file_range,
                        const CurveKindRules& rules = {});

struct LabeledCurve {
  std::string id;
  std::vector<double> values;  // values[i] at step steps[i] (i + 1 without steps); NaN allowed
  Direction direction = Direction::kMaximize;
  // The step of each value, increasing (a program that reports every 5th
  // epoch: 5, 10, ...); empty: 1, 2, ... Rank stability is judged at steps.
  std::vector<int64_t> steps = {};
};

struct CurveIndexOptions {
  // Fit on these leading fractions of each curve; predict its final value.
  std::vector<double> fractions = {0.1, 0.25, 0.5};
  // Use at most this many curves (evenly spaced, deterministic); 0 = all.
  int max_curves = 0;
  CurveKindRules rules;
  // Fit options; direction is taken from each curve.
  CurveFitOptions fit;
  Status Validate() const;
};

// One (kind, predictor, fraction) cell. Predictor is a family name,
// "ensemble" (CurveModel::Predict), "last_value" (the baseline) or
// "study_line" (a line through the other curves' level at the fraction and
// final value: what the predictive scheduler learns from a study; needs 4
// curves). A failed family fit is scored as if it predicted the last
// observed value.
struct CurveIndexCell {
  CurveKind kind = CurveKind::kNormal;
  std::string predictor;
  double fraction = 0.0;
  int count = 0;           // curves scored
  int failed = 0;          // fits that failed or were dropped
  double mean_abs_error = 0.0;
  double median_abs_error = 0.0;
  double mean_norm_error = 0.0;    // abs error / the file's range
  double median_norm_error = 0.0;
  double coverage = -1.0;  // ensemble, study_line: share of finals inside the 90 % interval; -1 n/a
};

// How well the curves' levels at one step rank their finals: where a first
// rung may sit. The level is the predictive scheduler's (the mean of the
// latter half of the values so far, its lowest left out from 3 on).
struct RankStability {
  int64_t step = 0;
  int count = 0;          // curves longer than `step` that have a final value
  double spearman = 0.0;  // rank correlation of level and final; NaN when all levels tie
  // Share of the best tenth of finals (at least one curve) whose level at
  // `step` is within the top third: what a successive-halving rung there
  // (reduction factor 3, ties kept) would keep of the eventual best.
  double top_kept = 0.0;
};

struct CurveIndexReport {
  int num_curves = 0;  // given
  int num_used = 0;    // after max_curves
  double file_range = 0.0;
  std::map<CurveKind, int> kind_counts;
  std::vector<CurveIndexCell> cells;
  // At steps f, 3f, 9f, 27f, ... (the predictive rule's default rungs: f is
  // the first step reported, 1 for curves without steps) below the last
  // step reached, with 3 or more curves.
  std::vector<RankStability> rank_stability;
  // Per kind: predictors best first (mean over fractions of median norm error).
  std::map<CurveKind, std::vector<std::string>> ranking;

  // The first rank-stability step whose rung keeps at least `share` of the
  // best tenth (top_kept): where a first rung (a rule's min_resource) may
  // sit without stopping most of the eventual best. nullopt when no step
  // keeps that many, or there is no table.
  std::optional<RankStability> FirstSafeRung(double share = kSafeRungShare) const;
  static constexpr double kSafeRungShare = 0.8;

  nlohmann::json ToJson() const;
  std::string ToTable() const;  // plain text, one row per cell, plus rankings
};

Result<CurveIndexReport> BuildCurveIndex(const std::vector<LabeledCurve>& curves,
                                         const CurveIndexOptions& options);

}  // namespace cairn
