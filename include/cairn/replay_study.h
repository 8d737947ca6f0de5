// "What would another scheduler have done here?": replays a finished study's
// recorded learning curves through the coordinator with another pruner, in
// simulated time, and reports the compute it would have saved and whether
// it would have lost the winner.
//
//   ReplayStudyOptions options{.study = "digits", .pruner = "asha"};
//   CAIRN_ASSIGN_OR_RETURN(nlohmann::json report, ReplayStudy(store, options));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/curves_file.h"
#include "cairn/status.h"
#include "cairn/store.h"

namespace cairn {

struct ReplayStudyOptions {
  std::string study;                 // a study in the store
  std::string pruner = "asha";       // none | median | asha | hyperband | predictive
  nlohmann::json pruner_options = nlohmann::json::object();
  // ReplayStudy: when `pruner` is the rule the study ran with, replay it
  // with the study's recorded options instead of pruner_options (the report
  // says "pruner_options_from": "study").
  bool use_study_pruner_options = false;
  int workers = 0;                   // simulated parallel trials; 0 = the study's own
  // The rules' seed (Hyperband's brackets hang on it). ReplayStudy: absent
  // = the study's own, so its own rule replays as it ran; ReplayCurves: 0.
  std::optional<uint64_t> seed;
  // The steps a full trial runs: what the rules are told, and no value past
  // it is replayed. ReplayStudy: absent = the study's budget.max_steps;
  // ReplayCurves: absent = the longest curve's last step.
  std::optional<int64_t> max_steps;
  bool list_trials = false;          // add "each": every trial's fate
  // The search space rules see (the study's own, read by ReplayStudy);
  // absent: the one the curves' configurations span (SpaceOfCurves).
  std::optional<SearchSpace> space;
};

// The study's trials as curves of its objective, curve i for trial number i
// (a trial that reported nothing is an empty curve, so numbers, and what
// rules derive from them, match the study's): values by step up to the
// study's budget.max_steps (later reports are points only, not the trial's
// value), seconds per step from the report times, and extra {"trial",
// "state"}.
Result<std::vector<CurveRecord>> StudyCurves(Store& store, const std::string& study);

// Replays `curves` (in their order, `workers` at a time) through the real
// coordinator with a ReplayExecutor, a SimulatedClock, a throwaway store and
// the chosen scheduler. Returns {"pruner", "trials", "workers",
// "steps_full", "steps_used", "saved_fraction", "seconds_full",
// "seconds_used", "hours_saved", "best_all": {number, value},
// "best_found": {number, value} | null, "lost_winner": bool, "regret",
// "stopped": N, "winner": {number, state, steps, reports, reason, kept?} | null},
// where "winner" is what the replay did to best_all's trial (steps: the step
// it reached; reports: how many values it reported; reason: the rule's
// words when it was stopped; kept: the rungs it lost and the rule kept it
// past, each {step, rule, reason, ...} as Decision::ToJson). With list_trials, "each": [{number, id, state,
// step, reports, final, reason}] in trial order (state "cut short": it ran
// all the record holds, which ended early): how far the rule let every
// trial run, what it would have ended at (null when the record cut it
// short), and the rule's words for a stop.
Result<nlohmann::json> ReplayCurves(const std::vector<CurveRecord>& curves, const ReplayStudyOptions& options);

// StudyCurves + ReplayCurves, adding the study's recorded outcome for
// comparison ("recorded": {pruner, pruner_options, steps_used, seconds_used}).
Result<nlohmann::json> ReplayStudy(Store& store, const ReplayStudyOptions& options);

}  // namespace cairn
