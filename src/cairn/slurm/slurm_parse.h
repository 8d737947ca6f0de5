// Reading what the Slurm client programs print, and what a finished job's
// state means for the trial.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/executor.h"
#include "cairn/status.h"

namespace cairn::slurm_internal {

// The job states that matter to Cairn (squeue/sacct/scontrol spell them in
// capitals; sacct adds " by <uid>" to CANCELLED).
enum class JobState {
  kPending,      // waiting (also REQUEUED, REQUEUE_HOLD, CONFIGURING, ...)
  kRunning,      // running (also COMPLETING, SUSPENDED, SIGNALING, STAGE_OUT, ...)
  kCompleted,    // ended with exit code 0
  kFailed,       // ended with a non-zero exit code or a signal
  kCancelled,    // scancel (by us or by someone else)
  kTimedOut,     // TIMEOUT or DEADLINE
  kOutOfMemory,  // OUT_OF_MEMORY
  kNodeFailed,   // NODE_FAIL, BOOT_FAIL
  kPreempted,    // PREEMPTED
  kUnknown,      // a state this version does not know
};

JobState ParseJobState(std::string_view name);
// True once the job has ended (Slurm may still requeue it).
bool IsFinal(JobState state);

// One job as the client programs describe it.
struct JobStatus {
  std::string job_id;
  std::string state_name;   // as Slurm printed it, e.g. "CANCELLED by 0"
  JobState state = JobState::kUnknown;
  std::string reason;       // "None", "NonZeroExitCode", "Resources", ...
  std::string node;         // "" while pending
  std::optional<int> exit_code;  // final jobs only
  std::optional<int> signal;     // final jobs killed by a signal
  std::optional<int> restarts;   // scontrol only
};

// `squeue --noheader --format=%i|%T|%r|%N` output: job id -> status. Lines
// that do not have four fields are skipped.
std::map<std::string, JobStatus> ParseSqueue(std::string_view text);

// `sacct -j ID --parsable2 --noheader --format=JobID,State,ExitCode,NodeList,Reason`:
// the line of the job itself (not its .batch/.extern steps); the last one
// when a requeued job has several. nullopt when the job is not there.
std::optional<JobStatus> ParseSacct(std::string_view text, const std::string& job_id);

// `scontrol --oneliner show job ID`: JobState, Reason, NodeList, ExitCode,
// Restarts. nullopt when there is no JobId= field.
std::optional<JobStatus> ParseScontrol(std::string_view text);

// "2:0" (code:signal) -> {code, signal}; nullopt for text that is not that.
std::optional<std::pair<int, int>> ParseExitCode(std::string_view text);

// `sbatch --parsable` output: "123" or "123;cluster" -> "123".
Result<std::string> ParseSbatchJobId(std::string_view text);

// A command's stderr without its trailing newlines and spaces, for messages.
std::string Trimmed(std::string text);

// True when sbatch's stderr says the controller cannot be reached (down,
// unknown, timing out): the cluster's state, not the job's fault.
bool ControllerUnreachable(std::string_view sbatch_stderr);

// The trial's ExitEvent for a job that ended in `status`.
// `stopped`: Cairn asked for it to stop (Stop()).
ExitEvent DescribeJobEnd(int64_t trial_id, const JobStatus& status, bool stopped, double time);

}  // namespace cairn::slurm_internal
