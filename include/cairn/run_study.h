// Runs a study file end to end with the real parts: what `cairn run` does,
// usable from any C++ program that links libcairn.
//
//   CAIRN_ASSIGN_OR_RETURN(StudySpec spec, ParseStudyFile("study.yaml"));
//   RunStudyOptions options;
//   options.trials = 5;
//   CAIRN_ASSIGN_OR_RETURN(StudySummary summary, RunStudy(spec, options));
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "cairn/spec.h"
#include "cairn/status.h"
#include "cairn/study.h"

namespace cairn {

struct RunStudyOptions {
  std::string store_url;                 // "" = $CAIRN_STORE or ./.cairn/cairn.db
  std::optional<int> trials;             // overrides the study file's budget
  std::optional<int> parallel;
  std::optional<uint64_t> seed;
  // Search only this sub-space of a decomposed study (the study file's
  // sampler sets subspaces: N; 0 <= subspace < N): sets the sampler option
  // `subspace`. Several coordinators, one per sub-space, share one store.
  std::optional<int> subspace;
  // Run the trials with this executor ("local" or "slurm") instead of the
  // study file's; the file's executor options are dropped when it names
  // another executor.
  std::optional<std::string> executor;
  // Seconds to wait for a store that answers "unavailable" before the
  // study gives up (StorePatience; default 300).
  std::optional<double> store_patience_s;
  const std::atomic<bool>* interrupt = nullptr;  // set to stop the study (Ctrl-C)
  const std::atomic<bool>* kill = nullptr;       // set to kill its trials now (a second Ctrl-C)
  std::function<void(const StudyProgress&)> on_progress;
  std::function<void(const std::string&)> on_message;  // warnings and notes for people
};

// Applies the overrides, opens the store, detects GPUs and runs the study
// with the local executor.
Result<StudySummary> RunStudy(StudySpec spec, const RunStudyOptions& options);

}  // namespace cairn
