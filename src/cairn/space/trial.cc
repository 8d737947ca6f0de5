#include "cairn/trial.h"

#include <array>
#include <utility>

#include "cairn/split.h"

namespace cairn {

namespace {
constexpr std::array<std::pair<TrialState, std::string_view>, 7> kStateNames = {{
    {TrialState::kQueued, "queued"},
    {TrialState::kRunning, "running"},
    {TrialState::kCompleted, "completed"},
    {TrialState::kStopped, "stopped"},
    {TrialState::kFailed, "failed"},
    {TrialState::kInterrupted, "interrupted"},
    {TrialState::kLost, "lost"},
}};
}  // namespace

std::string_view TrialStateName(TrialState state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "?";
}

std::optional<TrialState> ParseTrialState(std::string_view name) {
  for (const auto& [s, n] : kStateNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

bool IsFinal(TrialState state) {
  return state != TrialState::kQueued && state != TrialState::kRunning;
}

std::string_view DirectionName(Direction d) {
  return d == Direction::kMaximize ? "maximize" : "minimize";
}

std::optional<Direction> ParseDirection(std::string_view name) {
  if (name == "maximize" || name == "max") return Direction::kMaximize;
  if (name == "minimize" || name == "min") return Direction::kMinimize;
  return std::nullopt;
}

bool IsCairnTrialFile(std::string_view relative_path) {
  static constexpr std::string_view kNames[] = {
      "cairn-exit.json", "cairn-stop.json", "slurm_job.sh",  "slurm_job.json", "slurm_pack.sh",
      "slurm_pack.log",  "slurm_stop",      "slurm_exit",    "slurm_pid",      "slurm_done"};
  for (std::string_view name : kNames) {
    if (relative_path == name) return true;
    // "<name>.tmp.<pid>": an atomic write cut short.
    if (relative_path.starts_with(name) && relative_path.substr(name.size()).starts_with(".tmp.")) {
      if (IsAllDigits(relative_path.substr(name.size() + 5))) return true;
    }
  }
  return false;
}

}  // namespace cairn
