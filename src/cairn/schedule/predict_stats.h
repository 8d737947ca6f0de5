// PredictStats: what the study's ended trials say about final values, kept
// incrementally so one prediction costs O(number of rungs) however long the
// study.
//
// Final link: for every step s, each completed trial j contributes a pair
// (x_j, F_j): x_j = its value at s (the last reported at or before s) and
// F_j = its smoothed final value (the mean of its last `final_window`
// values; a noisy curve's last point alone over-rewards a lucky spike).
// Running sums of x, F, x^2, xF and F^2 per step give the least-squares line
// F = a + b x at that step, and with it the classical prediction interval
// for a new level: residual spread times sqrt(1 + 1/n + (x - mean x)^2 /
// Sxx), Student-t tail with n - 2 degrees of freedom.
//
// Rung chain (when rungs are set): completed trials are few, and they are
// the rung winners, so their values at an early step are range-restricted.
// Every ended trial (stopped ones too) that reached the next rung r(s) > s
// gives a pair (value at s, value at r(s)); a prediction from step s walks
// s -> r(s) -> next rung -> ... -> the last rung completed trials reached ->
// F, one least-squares line a link, each link's prediction variance added to
// the propagated one (V <- sigma^2 * leverage + slope^2 * V) and the
// Student-t degrees of freedom of the thinnest link. A link with fewer than
// min_samples pairs ends the chain with the direct final link from there.
//
// The running trial's own step noise (the standard deviation of its value
// around its trend) is the starting variance: a trial noisier than the
// others must not be judged by one unlucky point. The threshold to beat is
// the top_k-th best smoothed final of the completed trials.
//
// Parameters (options.features > 0): each link also keeps the sums of a
// ridge regression y ~ 1 + level + features over the same trials. Once a
// link holds samples_per_coefficient samples per coefficient, predictions
// (and ScoreAhead) go through that plane instead of the line: the leverage
// is the plane's, the propagated variance scales by the level's coefficient.
// Fewer samples: the line, as without parameters.
//
// Values are "higher is better": callers negate minimised metrics.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include <Eigen/Dense>

namespace cairn::schedule {

struct StepPrediction {
  double mean = 0.0;   // predicted (smoothed) final value
  double scale = 0.0;  // standard error of that prediction (> 0)
  double dof = 1.0;    // Student-t degrees of freedom
  int64_t samples = 0; // completed trials the final link was fitted on
  int64_t links = 0;   // lines in the chain (1: the direct final link)
  double lower = 0.0;  // central 90 % interval of the final value
  double upper = 0.0;
  // The values at `step` the first line was learned from. A level outside
  // them is an extrapolation: a line fitted on rung winners says little about
  // a trial far below them, however narrow its interval.
  double learned_min = 0.0;
  double learned_max = 0.0;
  bool Extrapolated(double level) const { return level < learned_min || level > learned_max; }

  // P(final > threshold).
  double ProbabilityAbove(double threshold) const;
};

struct PredictStatsOptions {
  // Values averaged into a completed trial's final value.
  int64_t final_window = 3;
  // Completed trials with a value at the step needed before predicting (>= 3).
  int64_t min_samples = 3;
  // A floor on the residual scale, as a fraction of the spread of completed
  // finals: a perfect line through few trials must not claim certainty.
  double min_scale_fraction = 0.02;
  // Rungs of the chain at rung_min_resource * rung_eta^k; rung_eta 0 (or 1):
  // no chain, every prediction uses the direct final link.
  int64_t rung_min_resource = 1;
  int64_t rung_eta = 0;
  // Parameter features each trial brings (ParamFeatures); 0: values alone.
  // With features, a link with enough samples is a ridge regression on
  // (level, features) instead of the line on the level.
  int64_t features = 0;
  // Ridge penalty on the feature coefficients, in samples of a standardised
  // feature. Light on purpose: it keeps the normal matrix invertible (a
  // feature constant among a link's trials) and a coefficient learned from
  // few trials bounded. A heavy one biases the level's slope wherever a
  // parameter moves with the level (wide networks low at step 1 and high at
  // the end): shrunk, the parameter's effect is taken up by a negative slope
  // on the level, which ranks the better of two wide trials below the worse
  // (PredictiveParams.ARungKeepsTheLateLearnersItsParametersPredict fails at 1).
  double ridge = 0.1;
  // A link uses the features once it holds this many samples per
  // coefficient (features + 2 with the level and the intercept).
  double samples_per_coefficient = 2.0;
};

class PredictStats {
 public:
  explicit PredictStats(const PredictStatsOptions& options) : options_(options) {}
  // dense_ points into at_step_: a copy would point into the original.
  PredictStats(const PredictStats&) = delete;
  PredictStats& operator=(const PredictStats&) = delete;
  PredictStats(PredictStats&&) = default;
  PredictStats& operator=(PredictStats&&) = default;

  // Adds a completed trial's curve: values[i] is its value at steps[i]
  // (steps increasing, >= 1), signed so that higher is better. Its final is
  // `final_value` when given (a caller whose values are not the curve's own
  // level says what it ended at), else the mean of its last final_window values.
  // `features` are the trial's parameter features (options.features of
  // them), or empty.
  void AddCompleted(const std::vector<int64_t>& steps, const std::vector<double>& values,
                    std::optional<double> final_value = std::nullopt,
                    const std::vector<double>& features = {});
  // Moves the rungs of the chain (before any trial is added: the links
  // already learned would sit at the old rungs).
  void SetRungMinResource(int64_t min_resource) { options_.rung_min_resource = min_resource; }
  // Adds a trial stopped early (its curve so far) to the rung links only.
  // AddCompleted adds completed trials to them itself.
  void AddStopped(const std::vector<int64_t>& steps, const std::vector<double>& values,
                  const std::vector<double>& features = {});

  // The prediction at `step` for a trial whose value there is `level`, with
  // step noise `level_noise` (a standard deviation, 0 if unknown); nullopt
  // while fewer than min_samples completed trials reached `step`.
  std::optional<StepPrediction> Predict(int64_t step, double level, double level_noise = 0.0,
                                       const std::vector<double>& features = {}) const;

  // What trials at `step` with `levels` and `features` are predicted to
  // reach, for ranking them at a rung: from `step` through the rung links
  // whose regression on (level, features) fits, stopping at the first that
  // does not, then through the final link there if its regression fits.
  // Unlike Predict it uses regressions only (a line's slope can be zero or
  // negative on few trials, which would tie or reverse the ranks) and needs
  // no completed trials: rung links learn from stopped trials too, so a rung
  // can rank by it before predictions start. Empty when no link on the way
  // has a regression yet. One walk for all, so the scores compare; where the
  // same links fit, a score equals Predict's mean.
  std::vector<double> ScoreAhead(int64_t step, const std::vector<double>& levels,
                                 const std::vector<std::vector<double>>& features) const;

  // The k-th best smoothed final of completed trials (k >= 1), if that many.
  std::optional<double> KthBestFinal(int64_t k) const;
  int64_t completed() const { return static_cast<int64_t>(finals_.size()); }

 private:
  struct Sums {
    double n = 0, x = 0, f = 0, xx = 0, xf = 0, ff = 0;
    double f_min = 0, f_max = 0;  // range of the responses (link floors)
    double x_min = 0, x_max = 0;  // range of the levels (extrapolation)
    void Add(double x, double y);
  };
  // A least-squares line y = mean_y + slope * (x - mean_x) and its residual
  // spread (before any floor).
  struct Line {
    double n = 0, mean_x = 0, mean_y = 0, slope = 0, sxx = 0, sigma = 0;
    bool has_slope = false;
    double Leverage(double x) const { return 1.0 + 1.0 / n + (has_slope ? (x - mean_x) * (x - mean_x) / sxx : 0.0); }
  };
  std::optional<Line> Fit(const Sums& s) const;
  struct Plane {
    double n = 0, mean_y = 0, sigma = 0, dof = 0;
    Eigen::VectorXd mean_z, beta;  // beta 0 for left-out columns
    std::vector<Eigen::Index> kept;  // the columns fitted
    Eigen::LDLT<Eigen::MatrixXd> normal;  // of their centred, penalised normal matrix
    double At(const Eigen::VectorXd& row) const { return mean_y + beta.dot(row - mean_z); }
    // 1 + 1/n + r' A^-1 r over the fitted columns (a solve, O(d^2): an
    // explicit inverse cost as much as the fit at every refit).
    double Leverage(const Eigen::VectorXd& row) const;
  };
  // Sums of a ridge regression y ~ 1 + z, z = (level, features), and its
  // last fit: the sums change only when a trial ends, predictions come at
  // every report.
  struct DesignSums {
    double n = 0, y = 0, yy = 0;
    Eigen::VectorXd z, zy;
    Eigen::MatrixXd zz;
    void Add(const Eigen::VectorXd& row, double y_value);
    mutable double fitted_n = -1;  // n when `fitted` was computed
    mutable std::optional<Plane> fitted;
  };
  std::optional<Plane> Solve(const DesignSums& s) const;
  std::optional<Plane> FitPlane(const DesignSums* s) const;
  Eigen::VectorXd Row(double level, const std::vector<double>& features) const;
  // One step of a chain through a link: (mean, var) -> the next, with the
  // plane when it fits, else the line; false when neither fits.
  bool Through(const Sums& sums, const DesignSums* design, const std::vector<double>& features,
               double floor, double* mean, double* var, double* dof) const;
  // The first rung step after `step`, or 0 without rungs.
  int64_t NextRung(int64_t step) const;
  bool HasFeatures(const std::vector<double>& features) const;
  const DesignSums* FinalDesign(int64_t step) const;
  const DesignSums* RungDesign(int64_t step) const;
  const Sums* FinalLink(int64_t step) const;
  const Sums* RungLink(int64_t step) const;
  double FinalFloor(double mean_final) const;
  double Quantile95(double dof) const;

  // An ended trial's curve, kept so that a step asked about for the first
  // time is summed from every trial that ended before.
  struct EndedCurve {
    std::vector<int64_t> steps;
    std::vector<double> values;
    std::vector<double> features;          // empty without usable features
    std::optional<double> final_value;     // completed trials only
  };
  // The links at one step: the final link (completed trials' value there
  // and final) and the rung link (value there and at the next rung), with
  // the same pairs and the trials' features (options.features > 0 only).
  struct StepLinks {
    Sums final_link, rung_link;
    DesignSums final_design, rung_design;
  };
  // The links at `step` (>= 1), made from the ended trials when first asked.
  const StepLinks& At(int64_t step) const;
  // Adds `curve`'s pairs at `step` to `links`, where it has them.
  void AddTo(StepLinks& links, int64_t step, const EndedCurve& curve) const;
  void AddEnded(EndedCurve curve);

  PredictStatsOptions options_;
  std::vector<EndedCurve> ended_;
  // Only the steps asked about or reported are kept (sparse: a program that
  // reports its global iteration, steps 1000, 2000, ..., costs per report,
  // not per step number). Sums are added in the order trials ended either
  // way, so a step's sums do not depend on when it was first asked about.
  mutable std::map<int64_t, StepLinks> at_step_;
  // at_step_'s entries by step - 1 for steps up to kDenseSteps: a report
  // looks its step up in O(1) (the map alone cost half again as much time
  // when every report is predicted).
  static constexpr int64_t kDenseSteps = 1 << 16;
  mutable std::vector<StepLinks*> dense_;
  std::multiset<double> finals_;
  // t quantile 0.95 per integer dof, computed once each (bisection is slow).
  mutable std::vector<double> t95_;
};

// The mean of the last `window` (>= 1) of `values` (not empty).
double MeanOfLast(const std::vector<double>& values, int64_t window);

// Step noise of a curve from its second differences: for white noise of
// standard deviation sigma around a smooth trend, E[(x_t - 2 x_{t-1} +
// x_{t-2})^2] = 6 sigma^2, and a smooth trend adds little.
class StepNoise {
 public:
  void Add(double value);
  double sigma() const;

 private:
  double prev_ = 0.0, prev2_ = 0.0;
  int64_t seen_ = 0;
  double sum_d2_ = 0.0;
};

}  // namespace cairn::schedule
