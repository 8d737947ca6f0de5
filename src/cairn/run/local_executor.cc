// LocalExecutor: one poll() loop over every trial's pipes and pidfds.
//
// Life of a trial: Launch forks it (spawn_posix.cc). Poll reads its output
// into logs and reports, sends SIGTERM/SIGKILL when a stop or timeout is
// due, and notices the main process end while it is still a zombie; then
// it kills the rest of the group (the zombie still holds the group id, so
// the id cannot have been reused), reaps it, reads the pipes to EOF (or
// for drain_s at most) and only then returns the ExitEvent.
#include "cairn/local_executor.h"
#include "cairn/run/close_fd.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cairn/run/child_watch.h"
#include "cairn/run/exit_status.h"
#include "cairn/run/local_executor_impl.h"
#include "cairn/run/spawn_posix.h"
#include "cairn/run/trial_processes.h"

namespace cairn {
namespace run_internal {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// With the SIGCHLD fallback a byte can be taken by another executor; look
// at the children at least this often anyway.
constexpr double kFallbackCheckS = 0.2;

Status ErrnoStatus(const std::string& what) {
  return IoError(what + ": " + std::strerror(errno));
}

// A pipe whose read end (out[0]) does not block.
Status MakeOutputPipe(int out[2]) {
  if (pipe2(out, O_CLOEXEC) != 0) return ErrnoStatus("cannot make a pipe");
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return Status::Ok();
}

Result<int> OpenLog(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot open " + path.string());
  return fd;
}

}  // namespace

LocalExecutorImpl::LocalExecutorImpl(const LocalExecutorOptions& options, Clock* clock)
    : options_(options), clock_(clock) {
  init_status_ = ValidateLocalExecutorOptions(options);
  if (init_status_.ok()) {
    auto parser = MetricParser::Create(options.step_key, options.patterns);
    if (parser.ok()) parser_ = std::make_unique<MetricParser>(std::move(parser).value());
  }
  if (init_status_.ok() && pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    init_status_ = ErrnoStatus("cannot make the executor's wake pipe");
  }
}

LocalExecutorImpl::~LocalExecutorImpl() {
  for (auto& [id, trial] : trials_) {
    // One that already ended by itself (the caller stopped polling while it
    // finished) is reaped as usual, keeping its exit on record.
    if (!trial->reaped) CheckEnded(*trial, clock_->Now());
    if (!trial->reaped) {  // the others die here, unrecorded
      kill(-trial->pid, SIGKILL);
      while (waitpid(trial->pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      CloseFd(&trial->pidfd);
      KillTrialProcesses(trial->marks);
    }
    // Output nobody read yet (the caller stopped polling: it failed, or
    // gave up on its store) goes to the logs, which a resume re-reads.
    trial->out->DrainToLog();
    trial->err->DrainToLog();
  }
  trials_.clear();
  CloseFd(&wake_[0]);
  CloseFd(&wake_[1]);
}

Status LocalExecutorImpl::CheckLaunchable(const LaunchRequest& request) const {
  if (!init_status_.ok()) return init_status_;
  if (request.argv.empty() || request.argv[0].empty()) {
    return InvalidArgument(fmt::format("trial {}: empty command", request.number));
  }
  if (request.trial_dir.empty()) {
    return InvalidArgument(fmt::format("trial {}: no trial_dir", request.number));
  }
  bool pending = std::any_of(pending_.begin(), pending_.end(), [&](const ExecutorEvent& e) {
    return std::get<ExitEvent>(e).trial_id == request.trial_id;
  });
  if (trials_.count(request.trial_id) > 0 || pending) {
    return AlreadyExists(fmt::format("trial {} is already running", request.number));
  }
  return Status::Ok();
}

Status LocalExecutorImpl::Launch(const LaunchRequest& request) {
  CAIRN_TRY(CheckLaunchable(request));
  std::error_code ec;
  std::filesystem::create_directories(request.trial_dir, ec);
  if (ec) return IoError("cannot create trial dir " + request.trial_dir.string() + ": " + ec.message());
  CAIRN_ASSIGN_OR_RETURN(int out_log, OpenLog(request.trial_dir / "stdout.log"));
  auto err_log = OpenLog(request.trial_dir / "stderr.log");
  if (!err_log.ok()) {
    close(out_log);
    return err_log.status();
  }
  auto trial = std::make_unique<Trial>();
  trial->id = request.trial_id;
  trial->trial_dir = request.trial_dir;
  std::filesystem::remove(request.trial_dir / kExitRecordFile, ec);  // an earlier run's
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  Status piped = MakeOutputPipe(out);
  if (piped.ok()) piped = MakeOutputPipe(err);
  const MetricParser* err_parser = options_.parse_stderr ? parser_.get() : nullptr;
  trial->out = std::make_unique<run_internal::TrialOutput>(request.trial_id, out[0], out_log, parser_.get());
  trial->err = std::make_unique<run_internal::TrialOutput>(request.trial_id, err[0], *err_log, err_parser);
  if (!piped.ok()) {
    CloseFd(&out[1]);
    CloseFd(&err[1]);
    return piped.WithContext(fmt::format("trial {}", request.number));
  }
  const std::map<std::string, std::string> trial_env = TrialEnvironment(request);
  trial->marks = TrialMarks(trial_env);
  SpawnSpec spec{.argv = request.argv,
                 .env = MergeEnvironment(trial_env),
                 .workdir = request.workdir.string(),
                 .stdout_fd = out[1],
                 .stderr_fd = err[1]};
  auto spawned = Spawn(spec);
  CloseFd(&out[1]);
  CloseFd(&err[1]);
  if (!spawned.ok()) return spawned.status().WithContext(fmt::format("trial {}", request.number));
  double now = clock_->Now();
  if (!spawned->error.empty()) {
    trial->err->Note("cairn: " + spawned->error);
    pending_.push_back(ExitEvent{.trial_id = request.trial_id,
                                 .kind = ExitKind::kLaunchFailed,
                                 .message = spawned->error,
                                 .time = now});
    return Status::Ok();
  }
  Track(std::move(trial), request, spawned->pid, now);
  return Status::Ok();
}

void LocalExecutorImpl::Track(std::unique_ptr<Trial> trial, const LaunchRequest& request, pid_t pid,
                              double now) {
  trial->pid = pid;
  trial->grace_s = request.grace_s;
  trial->timeout_s = request.timeout_s;
  if (request.timeout_s) trial->timeout_at = now + *request.timeout_s;
  if (options_.use_pidfd) trial->pidfd = OpenPidFd(pid);
  if (trial->pidfd < 0) sigchld_fd_ = SigchldFd();
  trials_[trial->id] = std::move(trial);
}

void LocalExecutorImpl::Stop(int64_t trial_id) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  Signal(*it->second, EndCause::kStopped, clock_->Now());
}

void LocalExecutorImpl::Kill(int64_t trial_id) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second->reaped) return;
  Trial& trial = *it->second;
  if (trial.cause == EndCause::kNone) trial.cause = EndCause::kStopped;
  kill(-trial.pid, SIGKILL);
  trial.kill_at.reset();
}

void LocalExecutorImpl::StopAll() {
  double now = clock_->Now();
  for (auto& [id, trial] : trials_) Signal(*trial, EndCause::kStopped, now);
}

void LocalExecutorImpl::Signal(Trial& trial, EndCause cause, double now) {
  if (trial.reaped || trial.cause != EndCause::kNone) return;
  trial.cause = cause;
  if (trial.grace_s <= 0) {
    kill(-trial.pid, SIGKILL);
    return;
  }
  kill(-trial.pid, SIGTERM);
  trial.kill_at = now + trial.grace_s;
}

int LocalExecutorImpl::Running() const {
  return static_cast<int>(trials_.size() + pending_.size());
}

std::optional<int> LocalExecutorImpl::Pid(int64_t trial_id) const {
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second->reaped) return std::nullopt;
  return it->second->pid;
}

void LocalExecutorImpl::Wake() {
  if (wake_[1] < 0) return;
  char byte = 1;
  ssize_t ignored = write(wake_[1], &byte, 1);  // EAGAIN: a wake-up is already pending
  (void)ignored;
}

std::vector<ExecutorEvent> LocalExecutorImpl::Poll(std::optional<double> timeout_s) {
  std::vector<ExecutorEvent> events;
  events.swap(pending_);
  double deadline = timeout_s ? clock_->Now() + std::max(0.0, *timeout_s) : kInf;
  bool woken = false;
  // Always look at the descriptors once, so that Poll(0) makes progress.
  for (bool first = true;; first = false) {
    double now = clock_->Now();
    HandleTimers(now, &events);
    CollectEnded(&events);
    if (!events.empty() || woken || trials_.empty()) return events;
    if (!first && now >= deadline) return events;
    woken = WaitOnce(std::min(deadline, NextTimer()) - now, &events);
  }
}

void LocalExecutorImpl::HandleTimers(double now, std::vector<ExecutorEvent>* events) {
  for (auto& [id, trial] : trials_) {
    if (!trial->reaped) {
      EnforceLimits(*trial, now);
    } else if (!trial->drain_until) {
      // Reaped while the caller waited elsewhere (KeepUp): the wait for
      // the pipes' end starts now that it reads them.
      trial->drain_until = now + options_.drain_s;
    } else if (now >= *trial->drain_until) {
      // Something outside the group still holds the pipes; stop waiting for it.
      trial->out->Close(now, events);
      trial->err->Close(now, events);
    }
  }
}

double LocalExecutorImpl::NextTimer() const {
  double next = kInf;
  for (const auto& [id, trial] : trials_) {
    if (!trial->reaped) {
      if (trial->timeout_at && trial->cause == EndCause::kNone) next = std::min(next, *trial->timeout_at);
      if (trial->kill_at) next = std::min(next, *trial->kill_at);
      if (trial->pidfd < 0) next = std::min(next, clock_->Now() + kFallbackCheckS);
    } else if (trial->drain_until) {
      next = std::min(next, *trial->drain_until);
    }
  }
  return next;
}

bool LocalExecutorImpl::WaitOnce(double wait_s, std::vector<ExecutorEvent>* events) {
  std::vector<pollfd> fds;
  std::vector<std::pair<Trial*, int>> owners;  // per fds entry after the first two: trial, what
  fds.push_back({wake_[0], POLLIN, 0});
  fds.push_back({sigchld_fd_, POLLIN, 0});  // -1 is skipped by poll
  for (auto& [id, trial] : trials_) {
    Trial* t = trial.get();
    if (t->out->open()) { fds.push_back({t->out->fd(), POLLIN, 0}); owners.push_back({t, 0}); }
    if (t->err->open()) { fds.push_back({t->err->fd(), POLLIN, 0}); owners.push_back({t, 1}); }
    if (t->pidfd >= 0) { fds.push_back({t->pidfd, POLLIN, 0}); owners.push_back({t, 2}); }
  }
  int timeout_ms = std::isinf(wait_s) ? -1 : static_cast<int>(std::ceil(std::max(0.0, wait_s) * 1000));
  int ready = poll(fds.data(), fds.size(), timeout_ms);
  if (ready <= 0) {
    CheckFallbackChildren();
    return false;
  }
  double now = clock_->Now();
  bool woken = fds[0].revents != 0;
  if (woken) DrainFd(wake_[0]);
  if (fds[1].revents != 0) DrainFd(sigchld_fd_);
  for (size_t i = 2; i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    auto [trial, what] = owners[i - 2];
    if (what == 0) trial->out->Read(now, events);
    if (what == 1) trial->err->Read(now, events);
    if (what == 2) CheckEnded(*trial, now);
  }
  CheckFallbackChildren();
  return woken;
}

void LocalExecutorImpl::EnforceLimits(Trial& trial, double now) {
  // A program that exited on its own while nobody polled (the caller was
  // held up, e.g. waiting for its store) did not time out.
  if (trial.timeout_at && now >= *trial.timeout_at) CheckEnded(trial, now);
  if (trial.reaped) return;
  if (trial.timeout_at && now >= *trial.timeout_at) Signal(trial, EndCause::kTimedOut, now);
  if (trial.kill_at && now >= *trial.kill_at) {
    kill(-trial.pid, SIGKILL);
    trial.kill_at.reset();
  }
}

void LocalExecutorImpl::KeepUp() {
  const double now = clock_->Now();
  for (auto& [id, trial] : trials_) {
    ReadHeldUp(*trial, now);
    if (trial->reaped) continue;
    EnforceLimits(*trial, now);  // a timeout holds while the caller waits
    if (!trial->reaped) CheckEnded(*trial, now);
    // Nobody reads the pipes until the caller polls again: their drain
    // window starts then (HandleTimers), or output still in them is lost.
    if (trial->reaped) trial->drain_until.reset();
  }
}

void LocalExecutorImpl::ReadHeldUp(Trial& trial, double now) {
  // A few chunks a stream a call: at two calls a second that keeps up with
  // any program that logs less than a megabyte a second, and one that logs
  // more waits on its pipe as it would anyway (as all do past
  // kMaxHeldReports).
  constexpr int kChunksPerCall = 4;
  for (TrialOutput* stream : {trial.out.get(), trial.err.get()}) {
    for (int i = 0; i < kChunksPerCall && stream->open() && pending_.size() < kMaxHeldReports; ++i) {
      stream->Read(now, &pending_);
    }
  }
}

void LocalExecutorImpl::CheckFallbackChildren() {
  double now = clock_->Now();
  for (auto& [id, trial] : trials_) {
    if (!trial->reaped && trial->pidfd < 0) CheckEnded(*trial, now);
  }
}

void LocalExecutorImpl::CheckEnded(Trial& trial, double now) {
  bool gone = false;
  if (trial.reaped || !HasEnded(trial.pid, &gone)) return;
  if (!gone) {
    // Leftovers of the group (a grandchild holding our pipes) go with it.
    kill(-trial.pid, SIGKILL);
    while (waitpid(trial.pid, &trial.wait_status, 0) < 0 && errno == EINTR) {
    }
  }
  // And those that left the group (setsid, a daemon): a trial's processes
  // end with it, or they keep its GPU and its pipes.
  KillTrialProcesses(trial.marks);
  trial.lost = gone;
  trial.reaped = true;
  trial.reaped_at = now;
  trial.kill_at.reset();
  trial.drain_until = now + options_.drain_s;
  CloseFd(&trial.pidfd);
  if (!gone) RecordExit(trial);
}

void LocalExecutorImpl::RecordExit(const Trial& trial) const {
  ExitEvent exit = DescribeExit({.trial_id = trial.id,
                                 .wait_status = trial.wait_status,
                                 .cause = trial.cause,
                                 .timeout_s = trial.timeout_s,
                                 .time = clock_->WallTime()});
  // Best effort: the caller records the end itself; this is for when it cannot.
  (void)WriteExitRecord(trial.trial_dir, exit);
}

void LocalExecutorImpl::CollectEnded(std::vector<ExecutorEvent>* events) {
  for (auto it = trials_.begin(); it != trials_.end();) {
    Trial& trial = *it->second;
    if (!trial.reaped || trial.out->open() || trial.err->open()) {
      ++it;
      continue;
    }
    events->push_back(DescribeExit({.trial_id = trial.id,
                                    .wait_status = trial.wait_status,
                                    .lost = trial.lost,
                                    .cause = trial.cause,
                                    .timeout_s = trial.timeout_s,
                                    .time = trial.reaped_at}));
    it = trials_.erase(it);
  }
}

}  // namespace run_internal

Status ValidateLocalExecutorOptions(const LocalExecutorOptions& options) {
  if (!(options.drain_s >= 0)) return InvalidArgument(fmt::format("drain_s {} must be >= 0", options.drain_s));
  return MetricParser::Create(options.step_key, options.patterns).status();
}

std::unique_ptr<LocalExecutor> MakeLocalExecutor(const LocalExecutorOptions& options, Clock* clock) {
  return std::make_unique<run_internal::LocalExecutorImpl>(options, clock);
}

}  // namespace cairn
