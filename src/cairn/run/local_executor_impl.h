// The LocalExecutor behind MakeLocalExecutor (see cairn/local_executor.h).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/clock.h"
#include "cairn/local_executor.h"
#include "cairn/metric_parser.h"
#include "cairn/run/exit_status.h"
#include "cairn/run/trial_output.h"

namespace cairn::run_internal {

class LocalExecutorImpl final : public LocalExecutor {
 public:
  LocalExecutorImpl(const LocalExecutorOptions& options, Clock* clock);
  ~LocalExecutorImpl() override;

  Status Launch(const LaunchRequest& request) override;
  void Stop(int64_t trial_id) override;
  void Kill(int64_t trial_id) override;
  void StopAll() override;
  std::vector<ExecutorEvent> Poll(std::optional<double> timeout_s) override;
  int Running() const override;
  std::optional<int> Pid(int64_t trial_id) const override;
  void Wake() override;
  // Reads the pipes (ReadHeldUp), reaps, and enforces timeouts
  // (EnforceLimits): they hold while the caller waits.
  void KeepUp() override;

 private:
  struct Trial {
    int64_t id = 0;
    std::filesystem::path trial_dir;
    std::vector<std::string> marks;      // TrialMarks: finds descendants that left the group
    pid_t pid = -1;                      // also the process group id
    int pidfd = -1;                      // -1: watched through SIGCHLD instead
    std::unique_ptr<TrialOutput> out;
    std::unique_ptr<TrialOutput> err;
    double grace_s = 0.0;
    std::optional<double> timeout_s;
    std::optional<double> timeout_at;    // clock time of the timeout
    std::optional<double> kill_at;       // clock time SIGKILL is due
    std::optional<double> drain_until;   // after reaping: last moment to wait for EOF
    double reaped_at = 0.0;              // clock time of the reap: when it was seen to end
    EndCause cause = EndCause::kNone;
    bool reaped = false;                 // the main process is gone and waited for
    bool lost = false;                   // ... by someone else
    int wait_status = 0;
  };

  Status CheckLaunchable(const LaunchRequest& request) const;
  void Track(std::unique_ptr<Trial> trial, const LaunchRequest& request, pid_t pid, double now);
  // SIGTERM now (SIGKILL when grace_s <= 0) and SIGKILL at now + grace_s.
  void Signal(Trial& trial, EndCause cause, double now);
  void HandleTimers(double now, std::vector<ExecutorEvent>* events);
  // A running trial's timeout and its SIGKILL after the grace period.
  void EnforceLimits(Trial& trial, double now);
  // The clock time of the next timer, infinity when none.
  double NextTimer() const;
  // One poll() of at most wait_s; true when Wake() was called.
  bool WaitOnce(double wait_s, std::vector<ExecutorEvent>* events);
  void CheckEnded(Trial& trial, double now);
  // Leaves the reaped trial's exit record beside its logs (WriteExitRecord):
  // the process's end is known even when the caller never records it.
  void RecordExit(const Trial& trial) const;
  void CheckFallbackChildren();
  // KeepUp's share of the pipes: what they hold now, into pending_.
  void ReadHeldUp(Trial& trial, double now);
  // Moves trials that are reaped and drained to ExitEvents.
  void CollectEnded(std::vector<ExecutorEvent>* events);

  LocalExecutorOptions options_;
  Clock* clock_;
  Status init_status_;
  std::unique_ptr<MetricParser> parser_;
  int wake_[2] = {-1, -1};
  int sigchld_fd_ = -1;                 // set once a trial needs the fallback
  std::map<int64_t, std::unique_ptr<Trial>> trials_;
  std::vector<ExecutorEvent> pending_;  // launch failures and reports read by KeepUp, for the next Poll
};

}  // namespace cairn::run_internal
