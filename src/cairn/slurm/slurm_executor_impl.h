// The SlurmExecutor's state: one watched job per trial. See
// include/cairn/slurm_executor.h for the contract.
#pragma once

#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/metric_parser.h"
#include "cairn/slurm/command_runner.h"
#include "cairn/slurm/log_tail.h"
#include "cairn/slurm/slurm_parse.h"
#include "cairn/slurm_executor.h"

namespace cairn::slurm_internal {

struct WatchedJob {
  int64_t trial_id = 0;
  std::string job_id;
  std::filesystem::path trial_dir;
  double grace_s = 10.0;
  // Packed trials (`pack` > 1): the trial's slot in its job (from 0) and
  // how many trials share the job; nullopt for a job of its own.
  std::optional<int> pack_index;
  int pack_size = 1;
  std::string state_name = "PENDING";
  JobState state = JobState::kPending;
  std::string node;
  std::string reason;
  int requeues = 0;               // runs Slurm started again (requeue)
  bool stop_requested = false;    // Stop() was called
  // The trial's own time limit (LaunchRequest::timeout_s), kept by the
  // executor from when the job was first seen running: Slurm's time-limit
  // warning may come up to a minute early, and a program that exits 0 on it
  // would end COMPLETED. `timed_out`: this executor stopped it for that.
  std::optional<double> timeout_s;
  std::optional<double> running_since;
  bool timed_out = false;
  std::optional<double> kill_at;  // when to scancel a stopped job for good
  bool cancel_sent = false;
  // When a requeue-able end (NODE_FAIL, PREEMPTED) was first seen: with
  // requeue on, Slurm should put the job back in the queue shortly.
  std::optional<double> requeue_wait_since;
  // A packed trial's exit status, read from its exit file but not yet
  // taken: only a job that Slurm still calls RUNNING (or that ended by
  // itself) vouches that the trial ended on its own and not in a kill of
  // the whole job (requeue, cancel, time limit) that will run it again.
  std::optional<int> exit_status;
  // The exit file of a run that a requeue killed: ignored until rewritten.
  std::optional<std::filesystem::file_time_type> rejected_exit;
  // When a packed trial's job was seen ended without the trial's exit file
  // (which the shared file system may show late).
  std::optional<double> exit_file_wait_since;
  std::unique_ptr<LogTail> tail;
};

// The size of a trial's stdout.log now, 0 when there is none: a job
// submitted now reports after it (the log is appended to across runs).
inline uint64_t LogSize(const std::filesystem::path& trial_dir) {
  std::error_code ec;
  auto size = std::filesystem::file_size(trial_dir / "stdout.log", ec);
  return ec ? 0 : size;
}

class SlurmExecutorImpl final : public SlurmExecutor {
 public:
  // REQUIRES: ValidateSlurmExecutorOptions(options).ok().
  SlurmExecutorImpl(const SlurmExecutorOptions& options, Clock* clock, std::unique_ptr<CommandRunner> runner,
                    MetricParser parser);
  ~SlurmExecutorImpl() override;

  Status Launch(const LaunchRequest& request) override;
  void Stop(int64_t trial_id) override;
  void Kill(int64_t trial_id) override;
  std::vector<ExecutorEvent> Poll(std::optional<double> timeout_s) override;
  int Running() const override;
  void Wake() override;
  void NoMoreLaunches() override { MaybeFlush(/*force=*/true); }
  // Reads the jobs' logs, so reports carry when they were read; the queue
  // and timeouts wait for the next Poll (they run Slurm's commands).
  void KeepUp() override;
  nlohmann::json Describe(int64_t trial_id) const override;
  std::optional<nlohmann::json> JobInfo(int64_t trial_id) const override;
  Status Attach(const LaunchRequest& request, const std::string& job_id) override;
  Status Reattach(const LaunchRequest& request, const nlohmann::json& described) override;

 private:
  Status CheckNew(const LaunchRequest& request) const;
  Result<std::string> WriteScript(const LaunchRequest& request) const;
  // Starts watching a submitted job; `pack_index`/`pack_size` for a packed trial.
  void Watch(const LaunchRequest& request, const std::string& job_id, uint64_t offset,
             std::optional<int> pack_index = std::nullopt, int pack_size = 1);
  // Packing (slurm_pack.cc): Launch keeps requests until `pack` are there
  // or pack_wait_s has passed since the first, then submits them as one job.
  Status Buffer(const LaunchRequest& request);
  void MaybeFlush(bool force);
  void SubmitPack(std::vector<LaunchRequest> trials);
  void StopPacked(WatchedJob& job);
  bool StopBuffered(int64_t trial_id);
  // Reads a packed trial's exit file once it is there. A stopped trial ends
  // on it at once (true); otherwise the status waits for the job's state.
  bool ReadExit(WatchedJob& job, std::vector<ExecutorEvent>* events);
  // A packed trial whose job Slurm lists as still active (`status`): true
  // when its exit status could be taken and it ended.
  bool SettlePacked(WatchedJob& job, const JobStatus& status, std::vector<ExecutorEvent>* events);
  // A packed trial whose job has ended (`status`): true when it ended too.
  bool EndPacked(WatchedJob& job, const JobStatus& status, std::vector<ExecutorEvent>* events);
  void EndByExitStatus(WatchedJob& job, std::vector<ExecutorEvent>* events);
  std::string Where(const WatchedJob& job) const;
  // One round: read outputs, escalate stops, ask squeue when it is time.
  void Step(std::vector<ExecutorEvent>* events);
  // Reads every job's new output into *events; a job that printed runs.
  void ReadLogs(double now, std::vector<ExecutorEvent>* events);
  void CheckQueue(std::vector<ExecutorEvent>* events);
  void Update(WatchedJob& job, const JobStatus& status);
  // sacct when accounting works, else scontrol; nullopt when Slurm forgot the job.
  std::optional<JobStatus> LookUp(const std::string& job_id);
  void End(WatchedJob& job, const JobStatus& status, std::vector<ExecutorEvent>* events);
  // Records that `job` runs (and since when, for its timeout).
  void MarkRunning(WatchedJob& job, const std::string& state_name);
  // Stops every job that has run past its trial's timeout_s (timed_out).
  void EnforceTimeouts();
  void EscalateStops();
  void Cancel(const std::vector<std::string>& args);
  void SleepFor(double seconds);
  static nlohmann::json Info(const WatchedJob& job);
  // Finishes the trial's output, returns `exit` after its reports, keeps
  // its JobInfo. The caller erases it from jobs_.
  void Finish(WatchedJob& job, ExitEvent exit, std::vector<ExecutorEvent>* events);

  SlurmExecutorOptions options_;
  Clock* clock_;
  std::unique_ptr<CommandRunner> runner_;
  MetricParser parser_;
  std::map<int64_t, WatchedJob> jobs_;           // running, by trial id
  std::map<int64_t, nlohmann::json> finished_;   // JobInfo of ended trials
  std::vector<LaunchRequest> buffered_;          // launched, waiting for their pack
  double buffered_since_ = 0.0;                  // when the first of them came
  std::deque<ExitEvent> early_exits_;            // ends decided outside Poll (stop before submit, sbatch refusal)
  std::vector<ExecutorEvent> held_;              // reports KeepUp read, for the next Poll
  double next_queue_check_ = 0.0;
  bool sacct_usable_ = true;  // false once sacct said accounting is off
  int wake_[2] = {-1, -1};
};

// The executor with a scripted Slurm, for tests.
Result<std::unique_ptr<SlurmExecutor>> MakeSlurmExecutorWithRunner(const SlurmExecutorOptions& options,
                                                                   Clock* clock,
                                                                   std::unique_ptr<CommandRunner> runner);

}  // namespace cairn::slurm_internal
