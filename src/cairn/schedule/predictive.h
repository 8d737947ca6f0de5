// The predictive scheduler (version 6): stop a trial when its final value is
// unlikely to beat the best final the study has already produced.
//
// Regret rewards only the single best final among trials run to their end,
// so the rule (a) is frugal with trials that cannot become the best and (b)
// lets a trial that may become the best finish. At every report after
// `min_steps` (defaults to 1), the trial's level (RecentMean: the mean of the
// latter half of its reports, its lowest left out, so early noise and
// one-epoch dips do not decide) is turned into a predicted final by what this
// study's curves say (PredictStats: least-squares lines from this step to the
// next rung, rung to rung, learned from every ended trial, and from the last
// rung to the smoothed final, learned from the completed ones; Student-t
// intervals propagated along the chain), and P = P(final beats the top_k-th
// best smoothed completed final). It stops when
//   P < p_min                            (hopeless, at any step), or
//   it loses a successive-halving rung   (not in the top 1/rung_eta, rounded
//   and P < p_keep                        up, of the levels recorded at rung
//                                         step min_resource * rung_eta^k)
// The rungs give ASHA's frugality from the study's first trial on; the
// prediction vetoes rung stops for trials the study's curves defend.
// Prior phase: while fewer than `min_completed` trials have completed, the
// rungs alone decide (rung_eta > 0) or, with rung_eta = 0, a median rule:
// stop when the level is worse than the median of the other trials' levels
// at this step, once `prior_peers` of them reported there.
// A trial the prediction stops between rungs still counts at the next rung
// (rung_count "promoted"), so the rung's bar is the one successive halving
// would have set.
// Parameters (version 6, `params` "use"): when the context names the search
// space, every link is, once it holds enough trials, a regression on the
// level and the trial's parameters (ParamFeatures), and a rung ranks trials
// by what that walk predicts they reach rather than by their levels: the
// widest networks of a search often sit low at the first rungs and end on
// top, and only their parameters say so that early.
// Hedge (off by default, `hedge_every` N): every N-th trial passes every
// rung before a ninth of max_steps, for searches where early ranks are noise.
// Version 5 is {"params": "ignore"}; version 4 adds {"p_min": 0.05,
// "rung_count": "reached"}; version 3.2 adds {"level": "median",
// "rung_round": "down"}.
// See docs/schedulers.md for the measurements behind the defaults.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/scheduler.h"
#include "cairn/schedule/predict_rungs.h"
#include "cairn/schedule/param_features.h"
#include "cairn/schedule/predict_stats.h"

namespace cairn::schedule {

struct PredictiveOptions {
  // Stop at any step when P(final beats the threshold) falls below this.
  double p_min = 0.1;
  // A lost rung stops the trial only when P is below this.
  double p_keep = 0.5;
  // The threshold is the top_k-th best smoothed final of completed trials.
  int64_t top_k = 1;
  // No stopping before this step (rungs still record values earlier).
  int64_t min_steps = 1;
  // Trials that must complete before predictions are made (>= 3).
  int64_t min_completed = 3;
  // With rung_eta = 0: other trials' values at the step needed before the
  // prior median rule may stop.
  int64_t prior_peers = 4;
  // Last levels averaged into a completed trial's final value (the final of
  // a noisy curve is itself noisy; a lucky last point must not set the bar).
  int64_t window = 3;
  // Reduction factor of the rungs; 0 turns rungs off (then only P < p_min
  // stops, and the prior phase uses the median rule).
  int64_t rung_eta = 3;
  // Step of the first rung; later rungs at min_resource * rung_eta^k.
  // "auto" (the default): the step of the study's first report, so a program
  // that reports every 10th step gets rungs at 10, 30, 90 rather than having
  // the rungs at 1, 3 and 9 all judged on its first report.
  int64_t min_resource = 0;
  bool min_resource_auto = true;
  // What rungs and predictions compare: "recent_mean" (RecentMean) or
  // "median" (TrialLevel; version 3.2).
  std::string level = "recent_mean";
  // How a rung's top 1/rung_eta is counted: "up" keeps ceil(n / rung_eta),
  // "down" floor (Optuna's ASHA; version 3.2); both keep at least one.
  std::string rung_round = "up";
  // Who a rung ranks a trial among: "promoted" counts every trial that won
  // the rung before, those the prediction stopped on the way with their
  // level at the stop (what successive halving would have ranked there);
  // "reached" only those that got there (version 4).
  std::string rung_count = "promoted";
  // "use": links learn from the trials' parameters too (ParamFeatures), when
  // the context names the search space; "ignore": values alone (version 5).
  std::string params = "use";
  // Every hedge_every-th trial (by trial id: those whose id % hedge_every is
  // hedge_every - 1) passes every rung before a ninth of max_steps, as
  // Hyperband's careful brackets start their rungs late; the prediction may
  // still call it hopeless. Where every configuration spends its start at
  // chance (ImageNet from scratch), rungs before the curves part keep a
  // random share, and a hedged trial gets past them. 0 (the default): none.
  // Needs max_steps.
  int64_t hedge_every = 0;

  // settings, when given, gets every option's value in force.
  static Result<PredictiveOptions> FromJson(const nlohmann::json& options,
                                            const SchedulerContext& context, nlohmann::json* settings = nullptr);
};

// A trial's level after its reports `raw` (version 3.2's, and always the one
// its smoothed final is read from): the median of its last 1, 3, 5, 7 or 9
// reported values (signed), the window growing by two every 10 reports. On
// the plateau of a long schedule a one-epoch dip moves it little; early, when
// curves change fast, it is the raw value. The cap keeps a late jump (a step
// decay) from lagging more than 4 reports. Counted in reports, not steps: a
// program that reports every 10th step would otherwise be smoothed over 9
// reports (80 steps) by step 100, and its "final" would lag far behind where
// a rising curve ended.
double TrialLevel(const std::vector<double>& raw);

// What rungs and predictions compare by default (version 4): the mean of the
// latter half of a trial's n reported values (signed; the last max(1, n / 2)),
// its lowest left out once there are 3 or more. Trials are compared at equal
// steps, so its lag is shared; what it buys is rank stability where early
// validation values swing by several points from epoch to epoch (real
// NAS-Bench-201 curves: the eventual best ranks 19th of 200 on its raw value
// at step 9), and leaving the lowest out keeps a one-epoch collapse (the
// common outlier of high-learning-rate validation curves) from deciding.
// Amortised O(1) a report (prefix sums and a sliding-window minimum), so a
// trial that reports every iteration costs no more per report than one that
// reports every epoch.
class RecentMean {
 public:
  // Adds the next reported value; returns the level after it.
  double Add(double value);

 private:
  std::vector<double> values_;
  std::vector<double> prefix_{0.0};  // prefix_[i] = sum of the first i values
  std::deque<size_t> window_min_;    // indices of increasing values in the window
};

// `p` for a stop reason that compares it with `bar`: three significant
// digits, more when fewer would print a number on the other side of the bar.
std::string ProbabilityText(double p, double bar);

class PredictiveScheduler final : public Scheduler {
 public:
  PredictiveScheduler(const SchedulerContext& context, const PredictiveOptions& options);

  void OnTrialStart(int64_t trial_id, const Params& params) override;
  Decision OnReport(int64_t trial_id, int64_t step, double value) override;
  void OnTrialEnd(int64_t trial_id, TrialState state) override;
  std::string Name() const override { return "predictive"; }

 private:
  struct Curve {
    std::vector<int64_t> steps;
    std::vector<double> raw;      // reported values, signed: higher is better
    RecentMean recent;
    std::vector<double> medians;  // TrialLevel at each step (the final is read from these)
    std::vector<double> values;   // the compared level at each step (options.level)
    StepNoise noise;
    std::vector<double> features;  // the trial's parameters, encoded (empty: none)
  };
  // Sets the rungs up at the study's first report when min_resource is auto.
  void EnsureRungs(int64_t first_step);
  // A hedged trial before the first rung it can lose (hedge_every).
  bool Hedged(int64_t trial_id, int64_t step) const {
    return options_.hedge_every > 0 && trial_id % options_.hedge_every == options_.hedge_every - 1 &&
           step < hedge_until_;
  }
  Decision PriorMedian(int64_t step, double level);
  Decision PriorRungs(const std::optional<RungVerdict>& verdict, int64_t step);
  Decision Predict(int64_t step, const Curve& curve, const std::optional<RungVerdict>& verdict);
  std::string RungText(const RungVerdict& v, int64_t step) const;
  double Clamp(double value) const;  // into the metric's bounds, when known
  double sign() const { return context_.direction == Direction::kMaximize ? 1.0 : -1.0; }

  SchedulerContext context_;
  PredictiveOptions options_;
  // The string options, read once (a report must not compare strings).
  bool median_level_;           // level "median"
  bool count_stopped_at_rungs_;  // rung_count "promoted"
  int64_t hedge_until_;          // a ninth of max_steps, rounded up (hedge_every)
  ParamFeatures features_;  // empty without a space or with params "ignore"
  PredictStats stats_;
  std::optional<PredictRungs> rungs_;                // absent when rung_eta = 0
  std::unordered_map<int64_t, Curve> running_;       // curves of trials not yet ended
  std::map<int64_t, std::vector<double>> values_at_step_;  // rung_eta = 0 only: sorted, signed, by step
};

}  // namespace cairn::schedule
