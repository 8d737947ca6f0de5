// SlurmExecutor with `pack` > 1: several trials per job. Launch buffers
// requests; a full buffer, or the first Poll pack_wait_s after the first
// request, submits them as one job running pack_script.h's script. Each
// packed trial is watched on its own: its end is the exit status the pack
// script writes to its dir, and only when the job ends without one does
// the job's end stand for it. Stop writes the trial's stop file, which the
// script turns into signals to that trial alone.
#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "cairn/slurm/job_record.h"
#include "cairn/slurm/job_script.h"
#include "cairn/slurm/pack_script.h"
#include "cairn/slurm/slurm_executor_impl.h"

namespace cairn::slurm_internal {
namespace {

// How long a job that ended normally may take to show a trial's exit file
// (NFS caches directory entries a few seconds) before the trial is lost.
constexpr double kExitFileSettleS = 10.0;
// When every trial of a running pack was stopped and the script has not
// ended them all this long after their grace period, cancel the job.
constexpr double kPackStopSlackS = 30.0;

// Left over from an earlier run in the same dir, they would end or stop
// the new one at once.
void RemoveStaleFiles(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const char* name : {kExitFile, kStopFile, kPidFile, kDoneFile, kJobRecord}) {
    std::filesystem::remove(dir / name, ec);
  }
}

// The script goes into the first trial's dir, next to its own job script.
Result<std::string> WritePackScript(const std::vector<LaunchRequest>& trials, int gpus_per_trial) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, BuildPackScript(trials, gpus_per_trial));
  std::filesystem::path path = std::filesystem::absolute(trials.front().trial_dir) / kPackScript;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return IoError("cannot write " + path.string());
  std::error_code ec;
  std::filesystem::permissions(path, std::filesystem::perms::owner_all, ec);
  return path.string();
}

}  // namespace

Status SlurmExecutorImpl::Buffer(const LaunchRequest& request) {
  // The trial's own script now, so that a bad request fails its own Launch.
  CAIRN_TRY(WriteScript(request).status());
  if (buffered_.empty()) buffered_since_ = clock_->Now();
  buffered_.push_back(request);
  if (static_cast<int>(buffered_.size()) >= options_.pack) MaybeFlush(/*force=*/true);
  return Status::Ok();
}

void SlurmExecutorImpl::MaybeFlush(bool force) {
  if (buffered_.empty()) return;
  if (!force && clock_->Now() - buffered_since_ < options_.pack_wait_s) return;
  std::vector<LaunchRequest> trials;
  trials.swap(buffered_);
  SubmitPack(std::move(trials));
}

void SlurmExecutorImpl::SubmitPack(std::vector<LaunchRequest> trials) {
  // A controller out of reach loses the trials (run again with the study
  // file) rather than fail them: it is the cluster's state, not theirs.
  auto fail_all = [&](const std::string& why, bool unreachable = false) {
    for (const LaunchRequest& r : trials) {
      early_exits_.push_back(ExitEvent{r.trial_id, unreachable ? ExitKind::kLost : ExitKind::kLaunchFailed,
                                       std::nullopt, std::nullopt, unreachable ? "not submitted: " + why : why,
                                       clock_->Now()});
    }
  };
  for (const LaunchRequest& r : trials) RemoveStaleFiles(r.trial_dir);
  auto script = WritePackScript(trials, options_.gpus_per_trial);
  if (!script.ok()) return fail_all(script.status().message());
  auto ran = runner_->Run(BuildPackSbatchArgv(options_, trials, *script));
  if (!ran.ok()) return fail_all("sbatch: " + ran.status().message());
  if (ran->exit_code != 0) {
    return fail_all(fmt::format("sbatch refused the pack job (exit {}): {}", ran->exit_code, Trimmed(ran->err)),
                    ControllerUnreachable(ran->err));
  }
  auto job_id = ParseSbatchJobId(ran->out);
  if (!job_id.ok()) return fail_all(job_id.status().message());
  int size = static_cast<int>(trials.size());
  for (int i = 0; i < size; ++i) {
    const LaunchRequest& r = trials[i];
    Watch(r, *job_id, LogSize(r.trial_dir), i, size);
    (void)WriteJobRecord(r.trial_dir, {*job_id, i, size});
  }
}

bool SlurmExecutorImpl::StopBuffered(int64_t trial_id) {
  auto it = std::find_if(buffered_.begin(), buffered_.end(),
                         [&](const LaunchRequest& r) { return r.trial_id == trial_id; });
  if (it == buffered_.end()) return false;
  buffered_.erase(it);
  early_exits_.push_back(ExitEvent{trial_id, ExitKind::kStopped, std::nullopt, std::nullopt,
                                   "stopped before its pack was submitted", clock_->Now()});
  finished_[trial_id] = {{"state", "NOT_SUBMITTED"}};
  return true;
}

void SlurmExecutorImpl::StopPacked(WatchedJob& job) {
  // The pack script sees the file within a second and signals this trial
  // alone. A pending job sees it when it starts, and skips the trial.
  std::ofstream(job.trial_dir / kStopFile) << "stop\n";
  bool all_stopped = std::all_of(jobs_.begin(), jobs_.end(), [&](const auto& entry) {
    return entry.second.job_id != job.job_id || entry.second.stop_requested;
  });
  if (!all_stopped) return;
  if (job.state == JobState::kPending) {
    Cancel({job.job_id});  // nothing of it runs yet
    for (auto& [id, other] : jobs_) {
      if (other.job_id == job.job_id) other.cancel_sent = true;
    }
    return;
  }
  // In case the script cannot end them (a hung file system): the job goes.
  job.kill_at = clock_->Now() + job.grace_s + kPackStopSlackS;
}

bool SlurmExecutorImpl::ReadExit(WatchedJob& job, std::vector<ExecutorEvent>* events) {
  if (job.exit_status) return false;
  std::filesystem::path path = job.trial_dir / kExitFile;
  std::optional<int> status = ReadExitFile(path);
  if (!status) return false;
  std::error_code ec;
  auto written = std::filesystem::last_write_time(path, ec);
  if (job.rejected_exit && !ec && written == *job.rejected_exit) return false;
  job.exit_status = status;
  // Cairn stopped it: however it ended, it was stopped, and its stop file
  // keeps a requeued job from running it again.
  if (job.stop_requested) {
    EndByExitStatus(job, events);
    return true;
  }
  next_queue_check_ = 0.0;  // ask Slurm about its job now
  return false;
}

bool SlurmExecutorImpl::SettlePacked(WatchedJob& job, const JobStatus& status, std::vector<ExecutorEvent>* events) {
  if (!job.exit_status) return false;
  if (status.state == JobState::kPending) {
    // Requeued: the exit file is that of a run Slurm killed; the next run
    // of the job runs the trial again and writes a new one.
    std::error_code ec;
    auto written = std::filesystem::last_write_time(job.trial_dir / kExitFile, ec);
    if (!ec) job.rejected_exit = written;
    job.exit_status.reset();
    return false;
  }
  // COMPLETING, SIGNALING, ...: the job is ending; its final state decides.
  if (status.state_name != "RUNNING") return false;
  Update(job, status);  // the node, for the message
  EndByExitStatus(job, events);
  return true;
}

bool SlurmExecutorImpl::EndPacked(WatchedJob& job, const JobStatus& status, std::vector<ExecutorEvent>* events) {
  if (ReadExit(job, events)) return true;
  // Ended by itself (the script ran to its end) or forgotten by Slurm: the
  // exit file is all there is to know. Killed (time limit, cancel, node
  // failure): the job's end is the trial's, whatever the file says.
  bool ran_out = status.state == JobState::kCompleted || status.state == JobState::kFailed;
  if ((ran_out || status.state == JobState::kUnknown) && job.exit_status) {
    EndByExitStatus(job, events);
    return true;
  }
  if (ran_out && !job.stop_requested) {
    // The script ends after writing every exit file: wait for it to show.
    double now = clock_->Now();
    if (!job.exit_file_wait_since) job.exit_file_wait_since = now;
    if (now - *job.exit_file_wait_since < kExitFileSettleS) return false;
    Update(job, status);
    Finish(job,
           ExitEvent{job.trial_id, ExitKind::kLost, std::nullopt, std::nullopt,
                     fmt::format("{} ended {} without the trial's exit status", Where(job), status.state_name), now},
           events);
    return true;
  }
  Update(job, status);
  ExitEvent exit = DescribeJobEnd(job.trial_id, status, job.stop_requested, clock_->Now());
  exit.message += fmt::format(" (slot {} of {})", *job.pack_index + 1, job.pack_size);
  Finish(job, std::move(exit), events);
  return true;
}

void SlurmExecutorImpl::EndByExitStatus(WatchedJob& job, std::vector<ExecutorEvent>* events) {
  int status = job.exit_status.value_or(0);
  job.state_name = status == 0 ? "COMPLETED" : "FAILED";  // this trial's, not the job's
  job.state = status == 0 ? JobState::kCompleted : JobState::kFailed;
  Finish(job, PackedTrialEnd(job.trial_id, status, job.stop_requested, Where(job), clock_->Now()), events);
}

std::string SlurmExecutorImpl::Where(const WatchedJob& job) const {
  std::string where = fmt::format("Slurm job {}", job.job_id);
  if (!job.node.empty()) where += " on " + job.node;
  if (job.pack_index) where += fmt::format(", slot {} of {}", *job.pack_index + 1, job.pack_size);
  return where;
}

}  // namespace cairn::slurm_internal
