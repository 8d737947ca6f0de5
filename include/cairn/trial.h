// Trials: their states, directions and the records kept in the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cairn/space.h"

namespace cairn {

// The life of a trial. Exactly these states exist (the CLI, the API and the
// store all map from here).
enum class TrialState {
  kQueued,       // created, waiting for a slot
  kRunning,      // its process (or job, or replay) is alive
  kCompleted,    // ran to its end and exited 0
  kStopped,      // early-stopped by a scheduler (pruned)
  kFailed,       // crashed, non-zero exit, timed out, or reported NaN/inf
  kInterrupted,  // the user stopped the study (Ctrl-C) while it ran
  kLost,         // Cairn lost track of it (coordinator died, heartbeat stopped)
};

std::string_view TrialStateName(TrialState state);
std::optional<TrialState> ParseTrialState(std::string_view name);
// Completed, stopped, failed, interrupted and lost are final.
bool IsFinal(TrialState state);

// Whether a file of a trial's folder (its path relative to the folder) is
// one Cairn keeps there beside what the program made: the local executor's
// exit record, the coordinator's stop record, the Slurm engine's job
// script, job record, pack script and log and markers, and a temporary of
// their atomic writes. Exact names: a program's own "cairn-best.pt" is an
// artifact.
bool IsCairnTrialFile(std::string_view relative_path);

enum class Direction { kMinimize, kMaximize };
std::string_view DirectionName(Direction d);  // "minimize" | "maximize"
std::optional<Direction> ParseDirection(std::string_view name);  // also "min"/"max"
// True when `a` is strictly better than `b` in direction `d`.
inline bool IsBetter(Direction d, double a, double b) {
  return d == Direction::kMaximize ? a > b : a < b;
}

// One reported metric value.
struct MetricPoint {
  int64_t trial_id = 0;
  std::string key;
  int64_t step = 0;
  double value = 0.0;
  double time = 0.0;  // wall-clock seconds since the Unix epoch
};

struct StudyRecord {
  int64_t id = 0;
  std::string name;
  std::string objective;  // metric key
  Direction direction = Direction::kMaximize;
  std::string spec_yaml;  // the study file as given
  nlohmann::json spec_json = nlohmann::json::object();  // parsed spec, for tools
  double created_at = 0.0;
  std::string ark;        // stable identifier (commons); may be empty
  // Open-ended structured data: {"context": <the captured code version,
  // Cairn version and host>, ...}.
  nlohmann::json attrs = nlohmann::json::object();
};

struct TrialRecord {
  int64_t id = 0;            // store-wide id
  int64_t study_id = 0;
  int number = 0;            // 0-based within the study
  TrialState state = TrialState::kQueued;
  Params params;
  std::optional<double> value;  // objective's last reported value
  int64_t steps = 0;            // number of objective reports
  double created_at = 0.0;
  std::optional<double> started_at;
  std::optional<double> ended_at;
  std::string end_reason;       // human words: "exit 0", "killed by SIGSEGV", "median rule: ..."
  std::optional<int> exit_code;
  std::optional<int> signal;
  // Open-ended structured data: the scheduler's decision
  // ({"rule":..., "predicted":..., "lower":..., "upper":...}), argv, host,
  // slurm job id, retries... Kept as JSON so parts can add keys without a
  // schema change.
  nlohmann::json attrs = nlohmann::json::object();
  std::string ark;
  // Which coordinator runs it ("host:pid:start") and when it last said so;
  // lets several coordinators share a study and find lost trials.
  std::string owner;
  std::optional<double> heartbeat_at;
};

// Whether a trial uses up one of its study's budget of trials: re-runs
// (attrs `rerun_of`) and retries (`retry_of`) repeat one and do not.
inline bool UsesBudget(const TrialRecord& trial) {
  return !trial.attrs.contains("rerun_of") && !trial.attrs.contains("retry_of");
}

}  // namespace cairn
