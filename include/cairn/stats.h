// Usage statistics of a store: models trained, compute used and saved,
// model sizes, best results and trial states, per study.
//
//   CAIRN_ASSIGN_OR_RETURN(TrialIndex index, TrialIndex::Build(store));
//   nlohmann::json stats = ComputeStats(index);
//   std::cout << RenderStats(stats);
//
// How each number is estimated is described in docs/query.md.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cairn/query.h"

namespace cairn {

// {"studies": [{"study", "objective", "direction", "trials", "models_trained",
//               "states": {state: count}, "compute_hours", "gpu_hours",
//               "saved_hours", "best": {"number", "value"} | null,
//               "model_size": {"source": "metric KEY"|"artifact", "min", "median", "max"} | null}],
//  "per_day": [{"day": "YYYY-MM-DD", "models_trained", "compute_hours"}],
//  "total": {"trials", "models_trained", "compute_hours", "gpu_hours", "saved_hours"}}
//
// A model was trained when its trial started, reported the objective at
// least once and ended (completed, stopped, failed, interrupted); a program
// that was not found or crashed before its first report trained none, but
// its time still counts. Compute hours sum ended - started; GPU-hours weigh
// that by the trial's GPU count. Saved hours estimate, for each stopped
// trial, (target steps - steps done) x its seconds per step, the target
// being the study's budget.max_steps, else the median steps of its
// completed trials. Days are UTC days of the trial's end.
nlohmann::json ComputeStats(const TrialIndex& index);

std::string RenderStats(const nlohmann::json& stats);

}  // namespace cairn
