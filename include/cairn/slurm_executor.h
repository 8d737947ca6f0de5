// SlurmExecutor: runs each trial as a Slurm batch job, or K trials per job
// with `pack: K`.
//
// Launch writes a job script into the trial dir (trial_dir/slurm_job.sh)
// that exports the trial protocol's variables (CAIRN_TRIAL_ID, CAIRN_PARAMS,
// ...) and `exec`s the trial's argv, every word single-quoted, so no
// parameter value is ever read as shell syntax. It is submitted with
// `sbatch --parsable` (output to trial_dir/stdout.log and stderr.log, opened
// in append mode so a requeued job continues the same files). The trial dir
// and workdir must be on a file system the compute nodes share.
//
// Watching: Poll() tails each job's stdout.log (offsets kept, partial lines
// held back) through the run part's MetricParser, and every poll_interval_s
// asks `squeue` for the state of all watched jobs. A job that has left the
// queue's active states is looked up once more, with `sacct` when Slurm
// keeps accounting and with `scontrol show job` when it does not; its stdout
// is drained, then its ExitEvent is returned:
//   COMPLETED                 -> kExited (exit code 0)
//   FAILED                    -> kExited with the code, or kSignaled
//   OUT_OF_MEMORY             -> kSignaled (SIGKILL, "out of memory")
//   TIMEOUT, DEADLINE         -> kTimedOut
//   anything after Stop()     -> kStopped
//   CANCELLED (not by Cairn), NODE_FAIL, PREEMPTED, BOOT_FAIL, vanished -> kLost
// With requeue on (the default), Slurm puts a job hit by a node failure or
// preemption back in the queue; the executor keeps watching it, counts the
// restart, and the trial resumes from what it saved in CAIRN_TRIAL_DIR.
//
// Stop(id) sends SIGTERM to the job's processes (`scancel --full
// --signal=TERM`) and cancels the job (`scancel`) grace_s later.
//
// Packing (pack = K > 1): Launch writes the trial's own job script but
// keeps the request; K waiting requests, or the first Poll pack_wait_s
// after the first of them, go out as one job (one node, K tasks, K times
// the per-trial GPUs and memory) that runs a pack script (slurm_pack.sh in
// the first trial's dir). It starts each trial's slurm_job.sh in a session
// of its own, with its own output files and its share of the allocation's
// CUDA_VISIBLE_DEVICES, and writes each one's exit status to
// trial_dir/slurm_exit. A packed trial ends on that status once squeue
// shows its job still RUNNING (or ended COMPLETED/FAILED): a status
// written while Slurm kills the whole job is not the trial's own end, and
// the job's end (TIMEOUT, CANCELLED, NODE_FAIL, requeue) is used instead.
// Stop writes trial_dir/slurm_stop, which the pack script turns into
// SIGTERM to that trial's process group and SIGKILL grace_s later; its
// pack-mates go on. Cairn writes trial_dir/slurm_done once it recorded a
// trial's end, so that a requeued pack runs only the other trials again.
// JobInfo/Describe of a packed trial add pack_index and pack_size.
//
// Re-attaching: Reattach (Executor) takes the job id from the description
// the coordinator stored, or from trial_dir/slurm_job.json (written when
// sbatch answers; the only place a packed trial described before its pack
// went out has it), then does what Attach does.
// docs/slurm.md has the details, the options and the test cluster.
//
// Thread-safety: use from one thread, except Wake(). The clock must follow
// real time (RealClock).
//
//   CAIRN_ASSIGN_OR_RETURN(SlurmExecutorOptions options, SlurmOptionsFromJson(spec.executor_options));
//   CAIRN_ASSIGN_OR_RETURN(auto exec, MakeSlurmExecutor(options, RealClock::Default()));
//   CAIRN_TRY(exec->Launch(request));
//   while (exec->Running() > 0) for (auto& e : exec->Poll(1.0)) handle(e);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/clock.h"
#include "cairn/executor.h"
#include "cairn/status.h"

namespace cairn {

struct SlurmExecutorOptions {
  // sbatch --partition / --account / --qos; "" leaves Slurm's default.
  std::string partition;
  std::string account;
  std::string qos;
  // sbatch --time, in seconds (Slurm rounds up to minutes); nullopt: the
  // partition's default. A trial's own timeout_s, when shorter, wins.
  std::optional<int64_t> time_s;
  // sbatch --gres=gpu:N; 0 asks for no GPU (and CUDA_VISIBLE_DEVICES is set
  // empty). With N > 0 Slurm chooses the devices and sets the variable.
  int gpus_per_trial = 0;
  // sbatch --cpus-per-task; 0 leaves Slurm's default.
  int cpus_per_trial = 0;
  // sbatch --mem ("4G", "500M", "2048"); "" leaves Slurm's default.
  std::string mem;
  // Extra sbatch arguments, passed as given (each one argv word).
  std::vector<std::string> sbatch_args;
  // Trials per allocation: 1 submits one job per trial; K > 1 submits up
  // to K trials as one job (one node, K times the per-trial GPUs, CPUs and
  // memory), each trial on its own share of the GPUs.
  int pack = 1;
  // With pack > 1: how long (seconds) a launched trial may wait for others
  // to fill its pack before it is submitted with fewer. 0 submits at the
  // next Poll (the coordinator launches all it can before it polls).
  double pack_wait_s = 0.0;
  // sbatch --requeue (true) or --no-requeue.
  bool requeue = true;
  // Seconds between squeue queries (the controller's load); stdout files
  // are read more often.
  double poll_interval_s = 2.0;
  // For the metric parser: the step field and RE2 patterns (see metric_parser.h).
  std::string step_key = "epoch";
  std::vector<std::string> patterns;
  // The study's name, for job names "cairn-<study>-<number>".
  std::string study_name = "study";
  // Cancel the jobs still watched when the executor is destroyed. A crashed
  // coordinator cancels nothing, so Attach() can pick its jobs up again.
  bool cancel_on_destroy = true;
};

// Reads the study file's `executor:` options map. Keys: partition, account,
// qos, time ("HH:MM:SS", "D-HH:MM:SS" or minutes), gpus_per_trial,
// cpus_per_trial, mem, sbatch (list of strings), pack, pack_wait (seconds),
// requeue, poll_interval (seconds), step_key, patterns. Any other key, or a value of
// the wrong type or range, is InvalidArgument naming the key.
Result<SlurmExecutorOptions> SlurmOptionsFromJson(const nlohmann::json& executor_options);

// InvalidArgument naming the field when an option is out of range or a
// pattern does not compile.
Status ValidateSlurmExecutorOptions(const SlurmExecutorOptions& options);

class SlurmExecutor : public Executor {
 public:
  // What Slurm said about the trial's job: {"job_id", "node", "state",
  // "reason", "requeues"}; nullopt for trials this executor never saw.
  virtual std::optional<nlohmann::json> JobInfo(int64_t trial_id) const = 0;
  // Watches an existing job (after a coordinator restart) as if Launch had
  // submitted it. Reads its stdout.log from the start, so no report is lost
  // (earlier ones come again; the coordinator ignores non-increasing steps).
  // A packed trial is recognized by trial_dir/slurm_job.json. NotFound when
  // Slurm does not know the job (unless a packed trial's exit file says how
  // it ended).
  virtual Status Attach(const LaunchRequest& request, const std::string& job_id) = 0;
};

// Fails with InvalidArgument when the options do not validate.
// REQUIRES: clock outlives the executor.
Result<std::unique_ptr<SlurmExecutor>> MakeSlurmExecutor(const SlurmExecutorOptions& options, Clock* clock);

}  // namespace cairn
