// Executors: start, watch and stop trials. They never decide what to stop.
//
// The coordinator is a single-threaded loop:
//   executor.Launch(request);   ...
//   for (;;) { for (auto& e : executor.Poll(timeout)) handle(e); }
// Poll blocks until at least one event is ready or the timeout passes (for
// the replay executor, "blocks" means the simulated clock jumps to the next
// event). Events of one trial arrive in order: reports, then one ExitEvent.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "cairn/space.h"
#include "cairn/status.h"

namespace cairn {

struct LaunchRequest {
  int64_t trial_id = 0;                // store id; CAIRN_TRIAL_ID
  int number = 0;                      // number within the study
  Params params;                       // CAIRN_PARAMS (JSON)
  std::vector<std::string> argv;       // already expanded; argv[0] is the program
  std::filesystem::path workdir;
  std::filesystem::path trial_dir;     // CAIRN_TRIAL_DIR; stdout/stderr kept here
  std::map<std::string, std::string> env;  // extra variables (on top of Cairn's own)
  std::vector<std::string> gpus;       // device ids for CUDA_VISIBLE_DEVICES; empty = none
  std::optional<double> timeout_s;     // wall-clock limit
  double grace_s = 10.0;               // SIGTERM -> SIGKILL
};

// request.env plus the variables the trial protocol promises a program
// (CAIRN_TRIAL_ID, CAIRN_TRIAL_NUMBER, CAIRN_PARAMS, CAIRN_TRIAL_DIR,
// CUDA_VISIBLE_DEVICES: the request's GPUs, empty for a CPU trial). The
// parent's environment comes on top when spawning; the record trail keeps
// this set as the trial's environment.
std::map<std::string, std::string> TrialEnvironment(const LaunchRequest& request);

// One metrics line (or pattern match) from a trial.
struct ReportEvent {
  int64_t trial_id = 0;
  std::optional<int64_t> step;            // nullopt: the executor had no step key
  std::map<std::string, double> metrics;  // may hold NaN/inf as reported
  double time = 0.0;                      // clock time it was read
};

// How a trial's process ended.
enum class ExitKind {
  kExited,        // exited by itself with exit_code
  kSignaled,      // killed by a signal it did not ask for (crash, OOM killer)
  kStopped,       // Cairn stopped it (Stop() was called)
  kTimedOut,      // exceeded timeout_s and was killed
  kLaunchFailed,  // could not start (no such program, ...); message says why
  kLost,          // the executor lost track of it
};
std::string_view ExitKindName(ExitKind kind);

struct ExitEvent {
  int64_t trial_id = 0;
  ExitKind kind = ExitKind::kExited;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string message;  // "exit 1", "killed by SIGSEGV", "no such file: ...", ...
  double time = 0.0;    // clock time the end was seen (the reap), not when it was returned
};

using ExecutorEvent = std::variant<ReportEvent, ExitEvent>;

// The end of a trial's process as the executor that ran it saw it, kept
// beside its logs (TRIAL_DIR/cairn-exit.json) when it is reaped. A
// coordinator that could not record the end (its store stopped answering
// and it gave up, or it was killed after the process ended) finds it on
// resume, so a trial that finished is not run again. `exit.time` is
// wall-clock seconds here. Written to a temporary file and renamed, so a
// reader sees a whole record or none.
inline constexpr const char* kExitRecordFile = "cairn-exit.json";
Status WriteExitRecord(const std::filesystem::path& trial_dir, const ExitEvent& exit);
// Trial `trial_id`'s record in `trial_dir`; empty when there is none, it
// does not parse, or it names another trial.
std::optional<ExitEvent> ReadExitRecord(const std::filesystem::path& trial_dir, int64_t trial_id);

class Executor {
 public:
  virtual ~Executor() = default;
  // Starts a trial. A launch that fails later (exec error) comes back as an
  // ExitEvent with kLaunchFailed; a non-ok Status means nothing was started.
  virtual Status Launch(const LaunchRequest& request) = 0;
  // Asks a trial to stop: SIGTERM to its process group, SIGKILL after
  // grace_s. Its ExitEvent then has kind kStopped. No-op for unknown ids.
  virtual void Stop(int64_t trial_id) = 0;
  // Stops a trial at once, without the grace period (a second Ctrl-C: the
  // user will not wait for programs that ignore SIGTERM). Its ExitEvent has
  // kind kStopped, as after Stop(). The default is Stop().
  virtual void Kill(int64_t trial_id) { Stop(trial_id); }
  // Waits up to timeout_s (nullopt: until an event) and returns what happened.
  // Returns an empty vector on timeout or when nothing runs.
  virtual std::vector<ExecutorEvent> Poll(std::optional<double> timeout_s) = 0;
  // Number of launched trials whose ExitEvent has not been returned yet.
  virtual int Running() const = 0;
  // The process (group leader) id of a running local trial, for utilization
  // sampling; nullopt for other executors or unknown ids.
  virtual std::optional<int> Pid(int64_t trial_id) const { (void)trial_id; return std::nullopt; }
  // Interrupts a blocking Poll from a signal handler (async-signal-safe).
  virtual void Wake() {}
  // What a caller held up elsewhere (by a store that does not answer)
  // calls while it waits, about twice a second: the trials go on as if it
  // polled. Their output is read now, so a chatty trial does not block on a
  // full pipe and its reports carry when they were printed; ended trials
  // are reaped (their ExitEvents carry when they ended; exit records are
  // written now) and timeouts are enforced. Nothing is returned: the next
  // Poll returns the events. Default: nothing.
  virtual void KeepUp() {}
  // The most reports KeepUp holds for the next Poll; past it the trials
  // wait on their pipes or logs instead of Cairn's memory growing for as
  // long as the store is away.
  static constexpr size_t kMaxHeldReports = 200000;
  // No more launches are coming for now (the budget is spent, or the study
  // is being interrupted): an executor that holds trials back to start them
  // together (a Slurm pack waiting for mates) starts what it holds.
  virtual void NoMoreLaunches() {}
  // What this executor knows about where and how a trial ran, for
  // trial.attrs["executor"] (Slurm: job id, node, state, requeues); an
  // empty object when it has nothing to add or does not know the trial.
  virtual nlohmann::json Describe(int64_t trial_id) const {
    (void)trial_id;
    return nlohmann::json::object();
  }
  // Watches again a trial that a coordinator now gone launched and left
  // running, from what Describe() said of it then (the coordinator stores
  // that in trial.attrs["executor"] right after Launch). On success the
  // trial's events come from Poll as if Launch had started it; reports it
  // made before may come again (the coordinator drops steps it has stored).
  // FailedPrecondition when this executor cannot re-attach (the default:
  // the coordinator then records the trial as lost and runs it again),
  // NotFound when the trial is no longer there.
  virtual Status Reattach(const LaunchRequest& request, const nlohmann::json& described) {
    (void)request;
    (void)described;
    return FailedPrecondition("this executor cannot re-attach to a running trial");
  }
};

}  // namespace cairn
