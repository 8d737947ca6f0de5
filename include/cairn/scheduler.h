// Schedulers: decide whether a running trial continues or stops.
//
// A scheduler sees only curves (step, objective value) and trial ends; it
// never kills anything itself. Values are in the metric's own units; the
// scheduler knows the direction. Deterministic for a seed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/space.h"
#include "cairn/status.h"
#include "cairn/trial.h"

namespace cairn {

struct Decision {
  enum class Action { kContinue, kStop };
  Action action = Action::kContinue;
  std::string rule;                 // "median", "asha", "hyperband", "predictive"
  std::string reason;               // one sentence for people
  std::optional<double> predicted;  // predicted final value (predictive)
  std::optional<double> lower;      // its interval
  std::optional<double> upper;
  std::optional<double> probability;  // P(final beats the threshold)
  std::optional<double> threshold;    // the bar P is about (predictive: the top_k-th best smoothed completed final)
  // The prediction lies outside what its line was learned from (a trial far
  // below the ones that taught it): the decision stands, the numbers are
  // less sure than their interval says.
  bool extrapolated = false;
  // A continue that overrules a stop: the trial lost a rung and the rule
  // kept it (the prediction defends it, or the hedge spares it); `reason`
  // says which. The coordinator records these with the trial, so a study
  // can tell when its best trial is one its rungs would have stopped.
  bool kept = false;

  bool stop() const { return action == Action::kStop; }
  nlohmann::json ToJson() const;
  static Decision Continue() { return {}; }
};

struct SchedulerContext {
  Direction direction = Direction::kMaximize;
  std::optional<int64_t> max_steps;  // the steps a full trial runs, if known
  uint64_t seed = 0;
  // The metric's possible range when known (study file `objective.bounds`):
  // predictions are reported inside it.
  std::optional<double> lower_bound;
  std::optional<double> upper_bound;
  // The study's search space, when known: the predictive rule encodes
  // trials' parameters by it (ParamFeatures). Without it, values alone.
  std::optional<SearchSpace> space;
};

// A study's scheduler. `trial_id` names a trial within the study: the
// coordinator passes the trial's number (0, 1, ...), not its row id in the
// store, so Hyperband's brackets (like Optuna's) and every decision depend
// on the study alone, not on what else the store holds; a replay and the
// benchmark, which also number trials from 0, make the same decisions.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // A trial starts with `params` (the predictive rule learns from them
  // when the context names the search space).
  virtual void OnTrialStart(int64_t trial_id, const Params& params) {
    (void)trial_id;
    (void)params;
  }
  // A new objective value of a running trial. Steps increase per trial.
  // NaN/inf values are not passed here (the coordinator fails such trials).
  virtual Decision OnReport(int64_t trial_id, int64_t step, double value) = 0;
  // The trial ended in `state` (its curve is what OnReport saw).
  virtual void OnTrialEnd(int64_t trial_id, TrialState state) { (void)trial_id; (void)state; }
  virtual std::string Name() const = 0;
};

// name: "none" | "median" | "asha" | "hyperband" | "predictive".
// Unknown names or options are InvalidArgument. `settings`, when given,
// gets every option of the rule with the value in force (given or default).
Result<std::unique_ptr<Scheduler>> MakeScheduler(const std::string& name,
                                                 const SchedulerContext& context,
                                                 const nlohmann::json& options = nlohmann::json::object(),
                                                 nlohmann::json* settings = nullptr);

// The rule's options with the values in force for `options` (defaults for
// {}), e.g. for --help or to record what a replay ran with.
Result<nlohmann::json> SchedulerSettings(const std::string& name,
                                         const nlohmann::json& options = nlohmann::json::object());

}  // namespace cairn
