// The SlurmExecutor's state: one watched job per trial. See
// include/cairn/slurm_executor.h for the contract.
#pragma once

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
  double grace_s = 10.0;
  std::string state_name = "PENDING";
  JobState state = JobState::kPending;
  std::string node;
  std::string reason;
  int requeues = 0;               // runs Slurm started again (requeue)
  bool stop_requested = false;    // Stop() was called
  std::optional<double> kill_at;  // when to scancel a stopped job for good
  bool cancel_sent = false;
  // When a requeue-able end (NODE_FAIL, PREEMPTED) was first seen: with
  // requeue on, Slurm should put the job back in the queue shortly.
  std::optional<double> requeue_wait_since;
  std::unique_ptr<LogTail> tail;
};

class SlurmExecutorImpl final : public SlurmExecutor {
 public:
  // REQUIRES: ValidateSlurmExecutorOptions(options).ok().
  SlurmExecutorImpl(const SlurmExecutorOptions& options, Clock* clock, std::unique_ptr<CommandRunner> runner,
                    MetricParser parser);
  ~SlurmExecutorImpl() override;

  Status Launch(const LaunchRequest& request) override;
  void Stop(int64_t trial_id) override;
  std::vector<ExecutorEvent> Poll(std::optional<double> timeout_s) override;
  int Running() const override { return static_cast<int>(jobs_.size()); }
  void Wake() override;
  nlohmann::json Describe(int64_t trial_id) const override;
  std::optional<nlohmann::json> JobInfo(int64_t trial_id) const override;
  Status Attach(const LaunchRequest& request, const std::string& job_id) override;

 private:
  Status CheckNew(const LaunchRequest& request) const;
  Result<std::string> WriteScript(const LaunchRequest& request) const;
  void Watch(const LaunchRequest& request, const std::string& job_id, uint64_t offset);
  // One round: read outputs, escalate stops, ask squeue when it is time.
  void Step(std::vector<ExecutorEvent>* events);
  void CheckQueue(std::vector<ExecutorEvent>* events);
  void Update(WatchedJob& job, const JobStatus& status);
  // sacct when accounting works, else scontrol; nullopt when Slurm forgot the job.
  std::optional<JobStatus> LookUp(const std::string& job_id);
  void End(WatchedJob& job, const JobStatus& status, std::vector<ExecutorEvent>* events);
  void EscalateStops();
  void Cancel(const std::vector<std::string>& args);
  void SleepFor(double seconds);
  static nlohmann::json Info(const WatchedJob& job);

  SlurmExecutorOptions options_;
  Clock* clock_;
  std::unique_ptr<CommandRunner> runner_;
  MetricParser parser_;
  std::map<int64_t, WatchedJob> jobs_;           // running, by trial id
  std::map<int64_t, nlohmann::json> finished_;   // JobInfo of ended trials
  double next_queue_check_ = 0.0;
  bool sacct_usable_ = true;  // false once sacct said accounting is off
  int wake_[2] = {-1, -1};
};

// The executor with a scripted Slurm, for tests.
Result<std::unique_ptr<SlurmExecutor>> MakeSlurmExecutorWithRunner(const SlurmExecutorOptions& options,
                                                                   Clock* clock,
                                                                   std::unique_ptr<CommandRunner> runner);

}  // namespace cairn::slurm_internal
