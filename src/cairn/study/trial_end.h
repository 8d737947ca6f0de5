// How a trial's end maps to its final state and the words that say why.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cairn/executor.h"
#include "cairn/scheduler.h"
#include "cairn/trial.h"

namespace cairn::study_internal {

// Why the coordinator asked a trial to stop, if it did.
enum class StopCause {
  kNone,        // nobody asked: the trial ended by itself
  kScheduler,   // a scheduler rule stopped it (pruned)
  kNonFinite,   // the objective was NaN or infinite
  kMaxSteps,    // it reached the study's max_steps
  kInterrupt,   // the user stopped the study
};

// "scheduler", "nonfinite", "max_steps", "interrupt", "none"; and back.
std::string_view StopCauseName(StopCause cause);
std::optional<StopCause> StopCauseFromName(std::string_view name);

struct TrialEnd {
  TrialState state = TrialState::kFailed;
  std::string reason;
};

// The final state of a trial from how its process ended and why (if at all)
// Cairn stopped it. `cause_detail` is the sentence recorded when Cairn
// stopped it (the scheduler's reason, "objective reported nan at step 3").
TrialEnd ClassifyTrialEnd(const ExitEvent& exit, StopCause cause, const std::string& cause_detail);

// A clean end without a single value of the objective `metric` has no
// result to rank: the end as a failure that says what to check.
TrialEnd WithoutObjective(const TrialEnd& end, const std::string& metric);

}  // namespace cairn::study_internal
