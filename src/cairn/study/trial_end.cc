#include "cairn/study/trial_end.h"

#include <fmt/format.h>

namespace cairn::study_internal {

namespace {

// A trial that ended by itself: exit status decides.
TrialEnd ClassifyNaturalEnd(const ExitEvent& exit) {
  switch (exit.kind) {
    case ExitKind::kExited:
      if (exit.exit_code.value_or(1) == 0) return {TrialState::kCompleted, "exit 0"};
      return {TrialState::kFailed, exit.message.empty() ? "non-zero exit" : exit.message};
    case ExitKind::kSignaled:
    case ExitKind::kTimedOut:
    case ExitKind::kLaunchFailed:
      return {TrialState::kFailed, exit.message};
    case ExitKind::kLost:
      return {TrialState::kLost, exit.message.empty() ? "lost" : exit.message};
    case ExitKind::kStopped:
      // Stopped without a request from us: someone else (scancel, kill).
      return {TrialState::kFailed, exit.message.empty() ? "stopped from outside Cairn" : exit.message};
  }
  return {TrialState::kFailed, exit.message};
}

}  // namespace

std::string_view StopCauseName(StopCause cause) {
  switch (cause) {
    case StopCause::kNone: return "none";
    case StopCause::kScheduler: return "scheduler";
    case StopCause::kNonFinite: return "nonfinite";
    case StopCause::kMaxSteps: return "max_steps";
    case StopCause::kInterrupt: return "interrupt";
  }
  return "none";
}

std::optional<StopCause> StopCauseFromName(std::string_view name) {
  for (StopCause cause : {StopCause::kNone, StopCause::kScheduler, StopCause::kNonFinite, StopCause::kMaxSteps,
                          StopCause::kInterrupt}) {
    if (StopCauseName(cause) == name) return cause;
  }
  return std::nullopt;
}

TrialEnd ClassifyTrialEnd(const ExitEvent& exit, StopCause cause, const std::string& cause_detail) {
  switch (cause) {
    case StopCause::kNone:
      return ClassifyNaturalEnd(exit);
    case StopCause::kScheduler:
      return {TrialState::kStopped, cause_detail};
    case StopCause::kNonFinite:
      return {TrialState::kFailed, cause_detail};
    case StopCause::kMaxSteps:
      return {TrialState::kCompleted, cause_detail};
    case StopCause::kInterrupt:
      // The program had ended by itself before the signal could reach it
      // (its output was still draining): its own exit decides, and a
      // finished model is not run again.
      if (exit.kind == ExitKind::kExited) return ClassifyNaturalEnd(exit);
      return {TrialState::kInterrupted, cause_detail};
  }
  return ClassifyNaturalEnd(exit);
}

TrialEnd WithoutObjective(const TrialEnd& end, const std::string& metric) {
  // The program printed something else, or the patterns miss its lines.
  return {TrialState::kFailed,
          fmt::format("{} without reporting the objective {} (do the study's metrics patterns match its output? "
                      "see stdout.log; a program that prints its metrics to stderr needs "
                      "executor: {{name: local, parse_stderr: true}})",
                      end.reason, metric)};
}

}  // namespace cairn::study_internal
