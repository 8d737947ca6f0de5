// The replay executor: plays recorded learning curves in simulated time.
//
// It implements Executor on a SimulatedClock, so the coordinator, samplers
// and schedulers run unchanged against recorded curves, thousands of trials
// in seconds and exactly reproducibly (docs/replay.md).
//
// Launch(request) picks a curve for the trial (CurveLookup) and schedules one
// ReportEvent per step: step i (1-based) is reported at launch time + the
// sum of the first i per-step seconds (one time unit per step when the curve
// has no timings), carrying {metric: values[i-1]} (NaN where the file has
// null). An ExitEvent kExited(0) follows at the time of the last report, or
// kStopped, unrequested, when the record says the curve was cut short
// (RanToItsEnd false), which a coordinator records as a failed trial, not
// as one that completed.
// Poll() jumps the clock to the next event time and returns every event at
// that time, ordered by trial id, then by the trial's own order. Stop(id)
// cancels the trial's remaining events and emits ExitEvent kStopped at the
// current time (returned by the next Poll).
//
//   SimulatedClock clock;
//   ReplayExecutor ex(curves, &clock);
//   CAIRN_TRY(ex.Launch(request));
//   while (ex.Running() > 0) for (auto& e : ex.Poll(std::nullopt)) handle(e);
//
// Thread-safety: none; use from the coordinator's thread, like the clock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "cairn/clock.h"
#include "cairn/curves_file.h"
#include "cairn/executor.h"

namespace cairn {

// The environment variable that names a curve by its 0-based index in the
// file, for fixed orders (benchmarks): request.env["CAIRN_REPLAY_CURVE"].
inline constexpr const char* kReplayCurveEnv = "CAIRN_REPLAY_CURVE";

// Chooses the curve (an index into the executor's curves) a trial replays.
// A non-ok Status makes Launch fail with it.
using CurveLookup = std::function<Result<size_t>(const LaunchRequest& request)>;

// The default lookup: the index in env[kReplayCurveEnv] when set; else the
// first curve whose params equal the request's (numbers compared as
// doubles); else the nearest curve by normalised parameter distance (see
// docs/replay.md; ties go to the lower index). `curves` must not be empty.
CurveLookup MakeDefaultCurveLookup(std::shared_ptr<const std::vector<CurveRecord>> curves);

struct ReplayExecutorOptions {
  // Metric name used in reports; empty: each curve's own `metric`.
  std::string metric_key;
  // Replay at most this many steps of each curve (a shorter study); nullopt: all.
  std::optional<int64_t> max_steps;
  // How a request becomes a curve; empty: MakeDefaultCurveLookup(curves).
  CurveLookup lookup;
};

class ReplayExecutor final : public Executor {
 public:
  // REQUIRES: curves non-empty; `clock` outlives the executor.
  ReplayExecutor(std::shared_ptr<const std::vector<CurveRecord>> curves, SimulatedClock* clock,
                 ReplayExecutorOptions options = {});
  ~ReplayExecutor() override;

  // InvalidArgument when the lookup fails or the trial id is already running.
  Status Launch(const LaunchRequest& request) override;
  void Stop(int64_t trial_id) override;
  // Ignores the wall-clock timeout: the simulated clock jumps instead.
  std::vector<ExecutorEvent> Poll(std::optional<double> timeout_s) override;
  int Running() const override { return static_cast<int>(trials_.size()); }

  // The curve index a running trial replays; nullopt when unknown or ended.
  std::optional<size_t> CurveOf(int64_t trial_id) const;
  // The number of steps trial `curve` replays (after max_steps truncation).
  int64_t StepsOf(size_t curve) const;
  const std::vector<CurveRecord>& curves() const { return *curves_; }

 private:
  struct Trial {
    size_t curve = 0;         // index into curves_
    int64_t steps = 0;        // steps to replay (after truncation)
    int64_t next = 0;         // 0-based step reported next; == steps: the exit is next
    double time = 0.0;        // when the next event happens
    uint64_t generation = 0;  // bumped when Stop() replaces the pending event
    bool stopped = false;     // the next event is the kStopped exit
  };
  struct Pending {
    double time;
    int64_t trial_id;
    uint64_t generation;  // stale when it differs from the trial's
    bool operator>(const Pending& o) const {
      if (time != o.time) return time > o.time;
      return trial_id > o.trial_id;
    }
  };

  void Schedule(int64_t trial_id, Trial& trial);
  ExecutorEvent Emit(int64_t trial_id, Trial& trial);

  std::shared_ptr<const std::vector<CurveRecord>> curves_;
  SimulatedClock* clock_;
  ReplayExecutorOptions options_;
  std::unordered_map<int64_t, Trial> trials_;  // launched, exit not yet returned
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;  // next event per trial
};

}  // namespace cairn
