// A scripted Executor for coordinator tests: each launched trial replays a
// Script chosen from its parameters, one report per Poll turn, in simulated
// time. Records every call so tests can check what the coordinator did.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "cairn/clock.h"
#include "cairn/executor.h"

namespace cairn::testing {

struct Script {
  std::vector<double> values;        // objective per report
  std::vector<int64_t> steps;        // the step of each report; empty: index + 1
  bool no_step_key = false;          // reports carry no step (the program prints none)
  std::string metric = "score";
  ExitKind end = ExitKind::kExited;  // how it ends if not stopped
  int exit_code = 0;
  std::optional<int> signal;
};

class FakeExecutor final : public Executor {
 public:
  // Turns a trial goes on reporting after Stop() before it ends (a fast
  // program ahead of the signal).
  int stop_delay = 0;
  // When set, Launch returns it (and starts nothing): a cluster out of reach.
  std::optional<Status> refuse_launches;
  // Seconds a Poll turn takes (simulated): 1, or what extra_turn_s says for
  // turn n (0-based), e.g. a coordinator held up by its store.
  std::map<int, double> extra_turn_s;
  // Seconds before the end of turn n its reports were read (an executor
  // that read on through KeepUp while its caller was held up).
  std::map<int, double> read_early_s;

  FakeExecutor(SimulatedClock* clock, std::function<Script(const LaunchRequest&)> script_for)
      : clock_(clock), script_for_(std::move(script_for)) {}

  Status Launch(const LaunchRequest& request) override;
  void Stop(int64_t trial_id) override;
  std::vector<ExecutorEvent> Poll(std::optional<double> timeout_s) override;
  int Running() const override { return static_cast<int>(running_.size()); }
  // With describe_jobs, Describe(id) is {"fake_job": job_names[id]}, or
  // {"fake_job": "<id>"} for trials not named there.
  nlohmann::json Describe(int64_t trial_id) const override;
  // Re-attaches to survivors[described["fake_job"]], played from its first
  // step again (as a Slurm job's log is re-read); NotFound for others.
  Status Reattach(const LaunchRequest& request, const nlohmann::json& described) override;

  bool describe_jobs = false;
  std::map<int64_t, std::string> job_names;  // a job id learned after launch (a Slurm pack)
  std::map<std::string, Script> survivors;  // jobs that outlived a coordinator
  std::vector<int64_t> reattached;          // every successful Reattach

  std::vector<LaunchRequest> launched;   // every Launch, in order
  std::vector<int64_t> stopped;          // every Stop, in order
  int max_running = 0;                   // most trials running at once

 private:
  struct Live {
    Script script;
    size_t next = 0;
    bool stop_requested = false;
    int stop_turns_left = 0;  // reports still to come after Stop()
  };
  SimulatedClock* clock_;
  std::function<Script(const LaunchRequest&)> script_for_;
  std::map<int64_t, Live> running_;
  int turns_ = 0;
};

}  // namespace cairn::testing
