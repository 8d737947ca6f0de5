// SlurmExecutor: watching jobs (Poll). One loop, no threads: each round
// reads every job's new stdout, and every poll_interval_s one squeue call
// covers all jobs; only jobs that left the active states cost one more call.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "cairn/slurm/pack_script.h"
#include "cairn/slurm/slurm_executor_impl.h"

namespace cairn::slurm_internal {
namespace {

// How often stdout files are read while waiting (seconds).
constexpr double kTailInterval = 0.2;
// How long a job that lost its node or was preempted may take to show up
// in the queue again before, with requeue on, the trial counts as lost.
constexpr double kRequeueSettleS = 30.0;

bool MayBeRequeued(JobState state) { return state == JobState::kNodeFailed || state == JobState::kPreempted; }

}  // namespace

std::vector<ExecutorEvent> SlurmExecutorImpl::Poll(std::optional<double> timeout_s) {
  double start = clock_->Now();
  std::vector<ExecutorEvent> events;
  for (;;) {
    Step(&events);
    if (!events.empty() || (jobs_.empty() && buffered_.empty())) return events;
    double now = clock_->Now();
    double wait = std::min(kTailInterval, std::max(0.0, next_queue_check_ - now));
    if (timeout_s) {
      double left = start + *timeout_s - now;
      if (left <= 0) return events;
      wait = std::min(wait, left);
    }
    SleepFor(wait);
  }
}

void SlurmExecutorImpl::ReadLogs(double now, std::vector<ExecutorEvent>* events) {
  std::set<std::string> printing;  // jobs whose output grew
  for (auto& [id, job] : jobs_) {
    const size_t before = events->size();
    job.tail->Read(now, events);
    if (events->size() > before) printing.insert(job.job_id);
  }
  // Output proves the job runs, though squeue has not said so yet: a stop
  // must then warn the programs (SIGTERM, grace), not cancel a "pending" job
  // (a pack's mates included).
  for (auto& [id, job] : jobs_) {
    if (job.state == JobState::kPending && printing.count(job.job_id)) MarkRunning(job, "RUNNING");
  }
}

void SlurmExecutorImpl::KeepUp() {
  // Past kMaxHeldReports the logs wait on disk, read when the caller is back.
  if (held_.size() < kMaxHeldReports) ReadLogs(clock_->Now(), &held_);
}

void SlurmExecutorImpl::SleepFor(double seconds) {
  pollfd pfd = {wake_[0], POLLIN, 0};
  int ms = static_cast<int>(std::ceil(seconds * 1000));
  if (poll(&pfd, wake_[0] >= 0 ? 1 : 0, ms) > 0) {
    char buf[64];
    while (read(wake_[0], buf, sizeof buf) > 0) {
    }
  }
}

void SlurmExecutorImpl::Step(std::vector<ExecutorEvent>* events) {
  MaybeFlush(/*force=*/false);
  for (; !early_exits_.empty(); early_exits_.pop_front()) events->push_back(std::move(early_exits_.front()));
  for (auto& held : held_) events->push_back(std::move(held));
  held_.clear();
  double now = clock_->Now();
  ReadLogs(now, events);
  // A packed trial's exit file: a stopped trial ends on it, the others
  // when Slurm's view of their job confirms it (CheckQueue, now).
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    it = it->second.pack_index && ReadExit(it->second, events) ? jobs_.erase(it) : std::next(it);
  }
  EnforceTimeouts();
  EscalateStops();
  if (now >= next_queue_check_) {
    CheckQueue(events);
    next_queue_check_ = clock_->Now() + options_.poll_interval_s;
  }
}

void SlurmExecutorImpl::CheckQueue(std::vector<ExecutorEvent>* events) {
  if (jobs_.empty()) return;
  std::string ids;
  std::set<std::string> seen;
  for (const auto& [id, job] : jobs_) {
    if (seen.insert(job.job_id).second) ids += (ids.empty() ? "" : ",") + job.job_id;
  }
  auto ran = runner_->Run({"squeue", "--jobs=" + ids, "--states=all", "--noheader", "--format=%i|%T|%r|%N"});
  // An unreachable controller is transient: keep every job and ask again.
  // Some versions refuse the whole query when one id was purged; then each
  // job is looked up on its own below.
  if (!ran.ok()) return;
  bool refused = ran->exit_code != 0;
  if (refused && ran->err.find("Invalid job id") == std::string::npos) return;
  std::map<std::string, JobStatus> listed = refused ? std::map<std::string, JobStatus>{} : ParseSqueue(ran->out);
  std::vector<int64_t> ended;
  std::map<std::string, std::optional<JobStatus>> looked_up;  // pack-mates share one look-up
  for (auto& [id, job] : jobs_) {
    auto it = listed.find(job.job_id);
    if (it != listed.end() && !IsFinal(it->second.state)) {
      if (job.pack_index && SettlePacked(job, it->second, events)) {
        ended.push_back(id);
        continue;
      }
      Update(job, it->second);
      continue;
    }
    if (!looked_up.count(job.job_id)) looked_up[job.job_id] = LookUp(job.job_id);
    std::optional<JobStatus> final_status = looked_up[job.job_id];
    if (final_status && !IsFinal(final_status->state)) {  // requeued meanwhile
      if (job.pack_index && SettlePacked(job, *final_status, events)) {
        ended.push_back(id);
        continue;
      }
      Update(job, *final_status);
      continue;
    }
    if (!final_status && it != listed.end()) final_status = it->second;
    if (!final_status) {
      final_status = JobStatus{job.job_id, "VANISHED", JobState::kUnknown, "Slurm no longer knows the job"};
    }
    if (options_.requeue && MayBeRequeued(final_status->state) && !job.stop_requested) {
      double now = clock_->Now();
      if (!job.requeue_wait_since) job.requeue_wait_since = now;
      if (now - *job.requeue_wait_since < kRequeueSettleS) {
        Update(job, *final_status);
        continue;
      }
    }
    if (job.pack_index) {
      if (EndPacked(job, *final_status, events)) ended.push_back(id);
      continue;
    }
    Update(job, *final_status);
    End(job, *final_status, events);
    ended.push_back(id);
  }
  for (int64_t id : ended) jobs_.erase(id);
}

void SlurmExecutorImpl::Update(WatchedJob& job, const JobStatus& status) {
  // Back in the queue after running (or after losing its node): Slurm
  // requeued it (node failure, preemption, `scontrol requeue`).
  if (job.state != JobState::kPending && status.state == JobState::kPending) {
    ++job.requeues;
    job.running_since.reset();  // the program starts again: so does its time
  }
  if (status.state == JobState::kRunning) MarkRunning(job, status.state_name);
  if (!IsFinal(status.state)) job.requeue_wait_since.reset();
  if (status.restarts) job.requeues = std::max(job.requeues, *status.restarts);
  job.state = status.state;
  job.state_name = status.state_name;
  job.reason = status.reason;
  if (!status.node.empty()) job.node = status.node;
}

void SlurmExecutorImpl::MarkRunning(WatchedJob& job, const std::string& state_name) {
  job.state = JobState::kRunning;
  job.state_name = state_name;
  if (!job.running_since) job.running_since = clock_->Now();
}

std::optional<JobStatus> SlurmExecutorImpl::LookUp(const std::string& job_id) {
  if (sacct_usable_) {
    auto ran = runner_->Run({"sacct", "-j", job_id, "--parsable2", "--noheader",
                             "--format=JobID,State,ExitCode,NodeList,Reason"});
    if (ran.ok() && ran->exit_code == 0) {
      // Accounting may lag behind the controller: then ask scontrol.
      if (auto found = ParseSacct(ran->out, job_id)) return found;
    } else if (ran.ok()) {
      sacct_usable_ = false;  // "Slurm accounting storage is disabled"
    }
  }
  auto ran = runner_->Run({"scontrol", "--oneliner", "show", "job", job_id});
  if (!ran.ok() || ran->exit_code != 0) return std::nullopt;
  return ParseScontrol(ran->out);
}

void SlurmExecutorImpl::End(WatchedJob& job, const JobStatus& status, std::vector<ExecutorEvent>* events) {
  Finish(job, DescribeJobEnd(job.trial_id, status, job.stop_requested, clock_->Now()), events);
}

void SlurmExecutorImpl::Finish(WatchedJob& job, ExitEvent exit, std::vector<ExecutorEvent>* events) {
  job.tail->Finish(clock_->Now(), events);
  // Tells a pack that Slurm requeues later not to run this trial again.
  if (job.pack_index) std::ofstream(job.trial_dir / kDoneFile) << "done\n";
  if (job.timed_out && exit.kind == ExitKind::kStopped) {
    // "stopped (Slurm job 7 on n1 ended COMPLETED)" -> "timed out after 20 s (...)"
    exit.kind = ExitKind::kTimedOut;
    std::string_view detail = exit.message;
    if (detail.starts_with("stopped ")) detail.remove_prefix(8);
    exit.message = fmt::format("timed out after {} s {}", *job.timeout_s, detail);
  }
  if (job.requeues > 0) exit.message += fmt::format(", requeued {} time(s)", job.requeues);
  events->push_back(std::move(exit));
  finished_[job.trial_id] = Info(job);
}

}  // namespace cairn::slurm_internal
