// Asynchronous successive halving (Li et al. 2020), as Optuna's
// SuccessiveHalvingPruner, and the per-bracket engine of hyperband.
//
// Rung k is reached at step min_resource * eta^(s + k) (s = the minimum
// early-stopping rate). When a trial first reports at or past a rung's step,
// its current value is recorded in that rung and it continues only if the
// value is in the top 1/eta of all values recorded there so far (itself
// included; with fewer than eta values, it must be the best). A trial that
// passes a rung checks the next one at once, as Optuna does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/scheduler.h"

namespace cairn::schedule {

struct AshaOptions {
  // Steps before the first rung; nullopt = "auto": the last step of the
  // first completed trial / 100 (at least 1), fixed from then on.
  std::optional<int64_t> min_resource;
  // eta: a rung keeps the top 1/eta.
  int64_t reduction_factor = 4;
  // s: the first rung is at min_resource * eta^s.
  int64_t min_early_stopping_rate = 0;
  // A rung with this many values or fewer (the trial's own included) stops
  // every trial reaching it (Optuna bootstrap_count; 0 = off).
  int64_t bootstrap_count = 0;

  // settings, when given, gets every option's value in force.
  static Result<AshaOptions> FromJson(const nlohmann::json& options, nlohmann::json* settings = nullptr);
};

// The rungs and their records, without the Scheduler interface (hyperband
// keeps one per bracket).
class AshaRungs {
 public:
  AshaRungs(Direction direction, std::optional<int64_t> max_steps, const AshaOptions& options);

  // `rule` labels the decision ("asha" or "hyperband").
  Decision Report(int64_t trial_id, int64_t step, double value, const std::string& rule);
  // Sets an auto min_resource from the first completed trial's last step.
  void OnCompleted(int64_t last_step);

 private:
  int64_t RungStep(int64_t rung) const;

  Direction direction_;
  std::optional<int64_t> max_steps_;
  AshaOptions options_;
  std::map<int64_t, int64_t> next_rung_;           // trial -> rungs passed
  std::vector<std::vector<double>> rung_values_;   // rung -> values recorded, ascending
};

class AshaScheduler final : public Scheduler {
 public:
  AshaScheduler(const SchedulerContext& context, const AshaOptions& options);
  Decision OnReport(int64_t trial_id, int64_t step, double value) override;
  void OnTrialEnd(int64_t trial_id, TrialState state) override;
  std::string Name() const override { return "asha"; }

 private:
  AshaRungs rungs_;
  std::map<int64_t, int64_t> last_step_;
};

// Optuna's _is_trial_promotable_to_next_rung: is `value` within the top
// max(1, n / eta) of the competing values, `sorted` ascending (value among
// them)?
bool IsPromotable(Direction d, double value, std::span<const double> sorted, int64_t eta);

}  // namespace cairn::schedule
