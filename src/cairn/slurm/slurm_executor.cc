// SlurmExecutor: submitting, attaching and stopping jobs. Watching them is
// in slurm_watch.cc.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "cairn/slurm/job_record.h"
#include "cairn/slurm/job_script.h"
#include "cairn/slurm/pack_script.h"
#include "cairn/slurm/slurm_executor_impl.h"

namespace cairn::slurm_internal {
namespace {

}  // namespace

SlurmExecutorImpl::SlurmExecutorImpl(const SlurmExecutorOptions& options, Clock* clock,
                                     std::unique_ptr<CommandRunner> runner, MetricParser parser)
    : options_(options), clock_(clock), runner_(std::move(runner)), parser_(std::move(parser)) {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
}

SlurmExecutorImpl::~SlurmExecutorImpl() {
  // Trials still buffered were never submitted: nothing to cancel.
  if (options_.cancel_on_destroy && !jobs_.empty()) {
    std::vector<std::string> ids;
    for (const auto& [id, job] : jobs_) {
      if (std::find(ids.begin(), ids.end(), job.job_id) == ids.end()) ids.push_back(job.job_id);
    }
    Cancel(ids);
  }
  for (int fd : wake_) {
    if (fd >= 0) close(fd);
  }
}

Status SlurmExecutorImpl::CheckNew(const LaunchRequest& request) const {
  if (request.argv.empty() || request.argv[0].empty()) {
    return InvalidArgument(fmt::format("trial {}: empty command", request.number));
  }
  if (request.trial_dir.empty()) return InvalidArgument(fmt::format("trial {}: no trial_dir", request.number));
  bool buffered = std::any_of(buffered_.begin(), buffered_.end(),
                              [&](const LaunchRequest& r) { return r.trial_id == request.trial_id; });
  if (jobs_.count(request.trial_id) > 0 || buffered) {
    return AlreadyExists(fmt::format("trial {} is already running", request.number));
  }
  return Status::Ok();
}

Result<std::string> SlurmExecutorImpl::WriteScript(const LaunchRequest& request) const {
  CAIRN_ASSIGN_OR_RETURN(std::string text,
                         BuildJobScript(request, JobEnvironment(request, options_.gpus_per_trial)));
  std::error_code ec;
  std::filesystem::create_directories(request.trial_dir, ec);
  if (ec) return IoError("cannot create trial dir " + request.trial_dir.string() + ": " + ec.message());
  std::filesystem::path path = std::filesystem::absolute(request.trial_dir) / "slurm_job.sh";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return IoError(fmt::format("trial {}: cannot write {}", request.number, path.string()));
  std::filesystem::permissions(path, std::filesystem::perms::owner_all, ec);
  return path.string();
}

Status SlurmExecutorImpl::Launch(const LaunchRequest& request) {
  CAIRN_TRY(CheckNew(request));
  if (options_.pack > 1) return Buffer(request);
  CAIRN_ASSIGN_OR_RETURN(std::string script, WriteScript(request));
  std::vector<std::string> argv = BuildSbatchArgv(options_, request, script);
  auto ran = runner_->Run(argv);
  if (!ran.ok()) return ran.status().WithContext(fmt::format("trial {}: sbatch", request.number));
  if (ran->exit_code != 0) {
    std::string why = fmt::format("trial {}: sbatch refused the job (exit {}): {}", request.number,
                                  ran->exit_code, Trimmed(ran->err));
    // A controller that cannot be reached is the cluster's state, not the
    // trial's: Unavailable (the coordinator stops starting trials).
    return ControllerUnreachable(ran->err) ? Unavailable(why) : FailedPrecondition(why);
  }
  auto job_id = ParseSbatchJobId(ran->out);
  if (!job_id.ok()) return job_id.status().WithContext(fmt::format("trial {}", request.number));
  // The log is opened in append mode: reports already in it (an earlier
  // run in the same dir) are not this job's.
  Watch(request, *job_id, LogSize(request.trial_dir));
  // Only for re-attaching: the store has the id too, so a failure is no reason to stop.
  (void)WriteJobRecord(request.trial_dir, {*job_id, std::nullopt, 1});
  return Status::Ok();
}

Status SlurmExecutorImpl::Attach(const LaunchRequest& request, const std::string& job_id) {
  CAIRN_TRY(CheckNew(request));
  // A packed trial says so in its job record; its end then comes from its
  // exit file, which outlives the job in Slurm's memory.
  std::optional<JobRecord> record = ReadJobRecord(request.trial_dir);
  bool packed = record && record->job_id == job_id && record->pack_index;
  std::optional<JobStatus> status = LookUp(job_id);
  bool ended_packed = packed && ReadExitFile(request.trial_dir / kExitFile).has_value();
  if (!status && !ended_packed) {
    return NotFound(fmt::format("trial {}: Slurm does not know job {}", request.number, job_id));
  }
  if (packed) {
    Watch(request, job_id, 0, record->pack_index, record->pack_size);
  } else {
    Watch(request, job_id, 0);
  }
  if (status) Update(jobs_.at(request.trial_id), *status);
  next_queue_check_ = 0.0;  // look at it on the next Poll
  return Status::Ok();
}

Status SlurmExecutorImpl::Reattach(const LaunchRequest& request, const nlohmann::json& described) {
  std::string job_id;
  if (described.is_object() && described.contains("job_id")) {
    const auto& id = described["job_id"];
    job_id = id.is_string() ? id.get<std::string>() : id.is_number_integer() ? std::to_string(id.get<int64_t>()) : "";
  }
  // A packed trial described before its pack was submitted has no job id
  // in the store; the record in its trial dir has.
  if (job_id.empty()) {
    if (auto record = ReadJobRecord(request.trial_dir)) job_id = record->job_id;
  }
  if (job_id.empty()) {
    return InvalidArgument(fmt::format("trial {}: no Slurm job id to re-attach to (described as {})",
                                       request.number, described.dump()));
  }
  return Attach(request, job_id);
}

void SlurmExecutorImpl::Watch(const LaunchRequest& request, const std::string& job_id, uint64_t offset,
                              std::optional<int> pack_index, int pack_size) {
  WatchedJob job;
  job.trial_id = request.trial_id;
  job.job_id = job_id;
  job.trial_dir = request.trial_dir;
  job.grace_s = request.grace_s;
  if (request.timeout_s && *request.timeout_s > 0) job.timeout_s = request.timeout_s;
  job.pack_index = pack_index;
  job.pack_size = pack_size;
  job.tail = std::make_unique<LogTail>(request.trial_id, request.trial_dir / "stdout.log", &parser_, offset);
  jobs_.emplace(request.trial_id, std::move(job));
  finished_.erase(request.trial_id);
}

void SlurmExecutorImpl::Stop(int64_t trial_id) {
  if (StopBuffered(trial_id)) return;
  auto it = jobs_.find(trial_id);
  if (it == jobs_.end() || it->second.stop_requested) return;
  WatchedJob& job = it->second;
  job.stop_requested = true;
  if (job.pack_index) {
    StopPacked(job);
    return;
  }
  if (job.state == JobState::kPending) {
    // Nothing runs yet: there is no program to warn.
    Cancel({job.job_id});
    job.cancel_sent = true;
    return;
  }
  // --full: without it Slurm does not signal the batch step, which is the
  // trial's program itself (the script execs it).
  Cancel({"--full", "--signal=TERM", job.job_id});
  job.kill_at = clock_->Now() + job.grace_s;
}

void SlurmExecutorImpl::Kill(int64_t trial_id) {
  Stop(trial_id);
  // The job goes at the next loop turn, not after the grace period.
  auto it = jobs_.find(trial_id);
  if (it != jobs_.end() && it->second.kill_at) it->second.kill_at = clock_->Now();
}

void SlurmExecutorImpl::EnforceTimeouts() {
  double now = clock_->Now();
  std::vector<int64_t> due;
  for (const auto& [id, job] : jobs_) {
    if (job.timeout_s && job.running_since && !job.stop_requested && now - *job.running_since >= *job.timeout_s) {
      due.push_back(id);
    }
  }
  for (int64_t id : due) {
    jobs_.at(id).timed_out = true;
    Stop(id);  // SIGTERM, then the job goes after the grace period
  }
}

void SlurmExecutorImpl::EscalateStops() {
  double now = clock_->Now();
  for (auto& [id, job] : jobs_) {
    if (job.kill_at && !job.cancel_sent && now >= *job.kill_at) {
      Cancel({job.job_id});
      // Its pack-mates share the job: one scancel is enough.
      for (auto& [other_id, other] : jobs_) {
        if (other.job_id == job.job_id) other.cancel_sent = true;
      }
    }
  }
}

void SlurmExecutorImpl::Cancel(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"scancel"};
  argv.insert(argv.end(), args.begin(), args.end());
  // A job that ended meanwhile makes scancel fail; the queue check sees the end.
  (void)runner_->Run(argv);
}

void SlurmExecutorImpl::Wake() {
  if (wake_[1] >= 0) {
    char byte = 1;
    (void)!write(wake_[1], &byte, 1);
  }
}

nlohmann::json SlurmExecutorImpl::Info(const WatchedJob& job) {
  nlohmann::json info = {{"job_id", job.job_id}, {"node", job.node},         {"state", job.state_name},
                         {"reason", job.reason}, {"requeues", job.requeues}};
  if (job.pack_index) {
    info["pack_index"] = *job.pack_index;
    info["pack_size"] = job.pack_size;
  }
  return info;
}

int SlurmExecutorImpl::Running() const {
  return static_cast<int>(jobs_.size() + buffered_.size() + early_exits_.size());
}

std::optional<nlohmann::json> SlurmExecutorImpl::JobInfo(int64_t trial_id) const {
  if (auto it = jobs_.find(trial_id); it != jobs_.end()) return Info(it->second);
  for (const LaunchRequest& r : buffered_) {
    if (r.trial_id == trial_id) return nlohmann::json{{"state", "BUFFERED"}, {"pack_size", options_.pack}};
  }
  if (auto it = finished_.find(trial_id); it != finished_.end()) return it->second;
  return std::nullopt;
}

nlohmann::json SlurmExecutorImpl::Describe(int64_t trial_id) const {
  auto info = JobInfo(trial_id);
  if (!info) return nlohmann::json::object();
  nlohmann::json out = {{"kind", "slurm"}};
  out.update(*info);
  return out;
}

Result<std::unique_ptr<SlurmExecutor>> MakeSlurmExecutorWithRunner(const SlurmExecutorOptions& options,
                                                                   Clock* clock,
                                                                   std::unique_ptr<CommandRunner> runner) {
  CAIRN_TRY(ValidateSlurmExecutorOptions(options));
  CAIRN_ASSIGN_OR_RETURN(MetricParser parser, MetricParser::Create(options.step_key, options.patterns));
  return std::unique_ptr<SlurmExecutor>(
      std::make_unique<SlurmExecutorImpl>(options, clock, std::move(runner), std::move(parser)));
}

}  // namespace cairn::slurm_internal

namespace cairn {

Result<std::unique_ptr<SlurmExecutor>> MakeSlurmExecutor(const SlurmExecutorOptions& options, Clock* clock) {
  return slurm_internal::MakeSlurmExecutorWithRunner(options, clock,
                                                     std::make_unique<slurm_internal::ProcessRunner>());
}

}  // namespace cairn
