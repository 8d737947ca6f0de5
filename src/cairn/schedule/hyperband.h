// Hyperband (Li et al. 2018) as Optuna's HyperbandPruner: several ASHA
// brackets that differ in their first rung (bracket b starts stopping at
// min_resource * eta^b), each trial assigned to one bracket and compared only
// with trials of the same bracket.
//
// A trial's bracket is crc32("<seed>_<trial id>") modulo the total budget,
// walked over the brackets' budgets ceil(n * eta^s / (s + 1)), s = n - 1 - b:
// the same weighting as Optuna (which hashes the study name and trial
// number), so aggressive brackets get more trials, and it is deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/scheduler.h"
#include "cairn/schedule/asha.h"

namespace cairn::schedule {

struct HyperbandOptions {
  // Steps before the first rung of bracket 0.
  int64_t min_resource = 1;
  // The steps of a full trial; nullopt = the context's max_steps, or "auto"
  // (the last step of the first completed trial + 1) when that is unknown.
  std::optional<int64_t> max_resource;
  // eta of every bracket.
  int64_t reduction_factor = 3;
  // As AshaOptions::bootstrap_count, per bracket.
  int64_t bootstrap_count = 0;

  // settings, when given, gets every option's value in force.
  static Result<HyperbandOptions> FromJson(const nlohmann::json& options, nlohmann::json* settings = nullptr);
};

class HyperbandScheduler final : public Scheduler {
 public:
  HyperbandScheduler(const SchedulerContext& context, const HyperbandOptions& options);
  Decision OnReport(int64_t trial_id, int64_t step, double value) override;
  void OnTrialEnd(int64_t trial_id, TrialState state) override;
  std::string Name() const override { return "hyperband"; }

  // The bracket of `trial_id`, or nullopt before the brackets exist
  // (max_resource unknown and no trial completed yet).
  std::optional<int> BracketOf(int64_t trial_id) const;
  int num_brackets() const { return static_cast<int>(brackets_.size()); }

 private:
  void Initialize(int64_t max_resource);

  SchedulerContext context_;
  HyperbandOptions options_;
  std::vector<AshaRungs> brackets_;
  std::vector<int64_t> budgets_;
  int64_t total_budget_ = 0;
  std::map<int64_t, int64_t> last_step_;
};

}  // namespace cairn::schedule
