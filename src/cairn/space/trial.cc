#include "cairn/trial.h"

#include <array>
#include <utility>

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

}  // namespace cairn
