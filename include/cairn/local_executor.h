// LocalExecutor: runs trials as child processes of this machine.
//
// Each trial is fork + exec of request.argv (argv[0] found on PATH as
// execvp would, but never run through a shell) in its own process group,
// in request.workdir, with stdin from /dev/null and the environment
//   parent env + request.env + CAIRN_TRIAL_ID, CAIRN_TRIAL_NUMBER,
//   CAIRN_PARAMS (JSON), CAIRN_TRIAL_DIR, CUDA_VISIBLE_DEVICES
// (request.gpus joined by ","; "" when empty so CPU trials see no GPU).
// stdout and stderr are appended to trial_dir/stdout.log and stderr.log;
// stdout lines (and stderr lines with parse_stderr) go through a
// MetricParser and become ReportEvents. docs/trial-protocol.md has the rules.
//
// One event loop, no thread per trial: Poll() waits on all output pipes, a
// pidfd per child (or a SIGCHLD self-pipe where pidfds are missing) and a
// wake pipe, and handles timeouts itself. Stop() and timeouts send SIGTERM
// to the group and SIGKILL after grace_s. When a trial's main process ends,
// what is left of its group is killed, its output drained, and only then its
// ExitEvent returned, after all its reports. The destructor SIGKILLs and
// reaps every group still running, so no trial outlives Cairn.
//
// Thread-safety: use from one thread, except Wake(), which any thread or a
// signal handler may call. The clock must follow real time (RealClock).
//
//   CAIRN_TRY(ValidateLocalExecutorOptions(options));
//   std::unique_ptr<LocalExecutor> exec = MakeLocalExecutor(options, RealClock::Default());
//   CAIRN_TRY(exec->Launch(request));
//   while (exec->Running() > 0) for (auto& e : exec->Poll(1.0)) handle(e);
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cairn/clock.h"
#include "cairn/executor.h"
#include "cairn/status.h"

namespace cairn {

struct LocalExecutorOptions {
  // Field of a report that holds the step ("epoch", "step"); "" for none.
  std::string step_key = "epoch";
  // RE2 patterns with named groups for programs with their own log format.
  std::vector<std::string> patterns;
  // Also look for reports on stderr (off: stderr carries warnings, progress
  // bars and tracebacks, and programs that print a metric to both streams
  // would report it twice).
  bool parse_stderr = false;
  // After a trial's main process ends and its group is killed, how long to
  // keep reading output held open by processes that left the group (setsid)
  // before closing the pipes.
  double drain_s = 2.0;
  // Use pidfd_open to see children exit; false forces the SIGCHLD self-pipe
  // fallback (for tests, and kernels before 5.3 choose it by themselves).
  bool use_pidfd = true;
};

class LocalExecutor : public Executor {
 public:
  // SIGTERM to every running trial, SIGKILL after each one's grace_s; their
  // ExitEvents come back from Poll with kind kStopped. For Ctrl-C.
  virtual void StopAll() = 0;
};

// InvalidArgument when a pattern does not compile or drain_s < 0.
Status ValidateLocalExecutorOptions(const LocalExecutorOptions& options);

// Never null; converts to std::unique_ptr<Executor>. With options that do not
// validate, or when its wake pipe cannot be made, every Launch returns that
// error. REQUIRES: clock outlives the executor.
std::unique_ptr<LocalExecutor> MakeLocalExecutor(const LocalExecutorOptions& options, Clock* clock);

}  // namespace cairn
