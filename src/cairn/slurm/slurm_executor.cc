// SlurmExecutor: submitting, attaching and stopping jobs. Watching them is
// in slurm_watch.cc.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "cairn/slurm/job_script.h"
#include "cairn/slurm/slurm_executor_impl.h"

namespace cairn::slurm_internal {
namespace {

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

uint64_t FileSize(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

}  // namespace

SlurmExecutorImpl::SlurmExecutorImpl(const SlurmExecutorOptions& options, Clock* clock,
                                     std::unique_ptr<CommandRunner> runner, MetricParser parser)
    : options_(options), clock_(clock), runner_(std::move(runner)), parser_(std::move(parser)) {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
}

SlurmExecutorImpl::~SlurmExecutorImpl() {
  if (options_.cancel_on_destroy && !jobs_.empty()) {
    std::vector<std::string> ids;
    for (const auto& [id, job] : jobs_) ids.push_back(job.job_id);
    Cancel(ids);
  }
  for (int fd : wake_) {
    if (fd >= 0) close(fd);
  }
}

Status SlurmExecutorImpl::CheckNew(const LaunchRequest& request) const {
  if (request.argv.empty() || request.argv[0].empty()) {
    return InvalidArgument(fmt::format("trial {}: empty command", request.trial_id));
  }
  if (request.trial_dir.empty()) return InvalidArgument(fmt::format("trial {}: no trial_dir", request.trial_id));
  if (jobs_.count(request.trial_id) > 0) {
    return AlreadyExists(fmt::format("trial {} is already running", request.trial_id));
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
  if (!out) return IoError(fmt::format("trial {}: cannot write {}", request.trial_id, path.string()));
  std::filesystem::permissions(path, std::filesystem::perms::owner_all, ec);
  return path.string();
}

Status SlurmExecutorImpl::Launch(const LaunchRequest& request) {
  CAIRN_TRY(CheckNew(request));
  CAIRN_ASSIGN_OR_RETURN(std::string script, WriteScript(request));
  std::vector<std::string> argv = BuildSbatchArgv(options_, request, script);
  auto ran = runner_->Run(argv);
  if (!ran.ok()) return ran.status().WithContext(fmt::format("trial {}: sbatch", request.trial_id));
  if (ran->exit_code != 0) {
    return Unavailable(fmt::format("trial {}: sbatch refused the job (exit {}): {}", request.trial_id,
                                   ran->exit_code, Trimmed(ran->err)));
  }
  auto job_id = ParseSbatchJobId(ran->out);
  if (!job_id.ok()) return job_id.status().WithContext(fmt::format("trial {}", request.trial_id));
  // The log is opened in append mode: reports already in it (an earlier
  // run in the same dir) are not this job's.
  Watch(request, *job_id, FileSize(request.trial_dir / "stdout.log"));
  return Status::Ok();
}

Status SlurmExecutorImpl::Attach(const LaunchRequest& request, const std::string& job_id) {
  CAIRN_TRY(CheckNew(request));
  std::optional<JobStatus> status = LookUp(job_id);
  if (!status) return NotFound(fmt::format("trial {}: Slurm does not know job {}", request.trial_id, job_id));
  Watch(request, job_id, 0);
  Update(jobs_.at(request.trial_id), *status);
  next_queue_check_ = 0.0;  // look at it on the next Poll
  return Status::Ok();
}

void SlurmExecutorImpl::Watch(const LaunchRequest& request, const std::string& job_id, uint64_t offset) {
  WatchedJob job;
  job.trial_id = request.trial_id;
  job.job_id = job_id;
  job.grace_s = request.grace_s;
  job.tail = std::make_unique<LogTail>(request.trial_id, request.trial_dir / "stdout.log", &parser_, offset);
  jobs_.emplace(request.trial_id, std::move(job));
  finished_.erase(request.trial_id);
}

void SlurmExecutorImpl::Stop(int64_t trial_id) {
  auto it = jobs_.find(trial_id);
  if (it == jobs_.end() || it->second.stop_requested) return;
  WatchedJob& job = it->second;
  job.stop_requested = true;
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

void SlurmExecutorImpl::EscalateStops() {
  double now = clock_->Now();
  for (auto& [id, job] : jobs_) {
    if (job.kill_at && !job.cancel_sent && now >= *job.kill_at) {
      Cancel({job.job_id});
      job.cancel_sent = true;
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
  return {{"job_id", job.job_id}, {"node", job.node},         {"state", job.state_name},
          {"reason", job.reason}, {"requeues", job.requeues}};
}

std::optional<nlohmann::json> SlurmExecutorImpl::JobInfo(int64_t trial_id) const {
  if (auto it = jobs_.find(trial_id); it != jobs_.end()) return Info(it->second);
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
