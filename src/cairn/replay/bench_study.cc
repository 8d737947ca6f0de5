// The benchmark's event loop: a minimal coordinator over the ReplayExecutor.
//
// One code path serves sequential and parallel replays: with one worker the
// next trial starts when the previous one exits, which is exactly the
// one-after-another protocol of the Optuna peer.
#include "cairn/replay/bench_study.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "cairn/replay_executor.h"

namespace cairn::replay {
namespace {

// Per-trial bookkeeping of the loop.
struct TrialBook {
  size_t curve = 0;
  int64_t steps = 0;      // steps of the replayed curve
  int64_t used = 0;       // steps consumed before the end or the stop
  bool stopped = false;   // the scheduler said stop before the last step
};

// Times calls into the scheduler: the benchmark's `seconds`.
class SchedulerTimer {
 public:
  template <typename F>
  auto operator()(F&& f) {
    auto start = std::chrono::steady_clock::now();
    struct Add {
      SchedulerTimer* t;
      std::chrono::steady_clock::time_point start;
      ~Add() { t->total_ += std::chrono::steady_clock::now() - start; }
    } add{this, start};
    return f();
  }
  double seconds() const { return std::chrono::duration<double>(total_).count(); }

 private:
  std::chrono::steady_clock::duration total_{};
};

class StudyLoop {
 public:
  StudyLoop(std::shared_ptr<const std::vector<CurveRecord>> curves,
            const std::vector<size_t>& order, Scheduler& scheduler)
      : curves_(curves), order_(order), scheduler_(scheduler), executor_(curves, &clock_),
        book_(order.size()) {}

  void Run(int workers) {
    while (next_ < order_.size() && executor_.Running() < workers) Launch();
    while (executor_.Running() > 0) {
      for (const auto& event : executor_.Poll(std::nullopt)) {
        if (auto* r = std::get_if<ReportEvent>(&event)) OnReport(*r);
        if (auto* e = std::get_if<ExitEvent>(&event)) OnExit(*e);
      }
    }
  }

  const std::vector<TrialBook>& book() const { return book_; }
  double seconds() const { return timer_.seconds(); }

 private:
  void Launch() {
    const int64_t id = static_cast<int64_t>(next_);
    TrialBook& b = book_[next_];
    b.curve = order_[next_];
    b.steps = executor_.StepsOf(b.curve);
    LaunchRequest request;
    request.trial_id = id;
    request.number = static_cast<int>(id);
    request.params = (*curves_)[b.curve].params;
    request.env[kReplayCurveEnv] = std::to_string(b.curve);
    ++next_;
    timer_([&] { scheduler_.OnTrialStart(id, request.params); });
    // The index comes from our own order, so the lookup cannot fail.
    (void)executor_.Launch(request);
  }

  void OnReport(const ReportEvent& r) {
    TrialBook& b = book_[static_cast<size_t>(r.trial_id)];
    if (b.stopped) return;  // reported in the same batch after the stop: not run
    ++b.used;
    double value = r.metrics.empty() ? std::nan("") : r.metrics.begin()->second;
    if (!std::isfinite(value)) return;  // a null step costs an epoch, no report
    const int64_t step = r.step.value_or(b.used);
    Decision d = timer_([&] { return scheduler_.OnReport(r.trial_id, step, value); });
    if (d.stop() && b.used < b.steps) {
      b.stopped = true;
      executor_.Stop(r.trial_id);
    }
  }

  void OnExit(const ExitEvent& e) {
    const TrialBook& b = book_[static_cast<size_t>(e.trial_id)];
    TrialState state = b.stopped ? TrialState::kStopped : TrialState::kCompleted;
    timer_([&] { scheduler_.OnTrialEnd(e.trial_id, state); });
    if (next_ < order_.size()) Launch();
  }

  std::shared_ptr<const std::vector<CurveRecord>> curves_;
  const std::vector<size_t>& order_;
  Scheduler& scheduler_;
  SimulatedClock clock_;
  ReplayExecutor executor_;
  std::vector<TrialBook> book_;
  size_t next_ = 0;
  SchedulerTimer timer_;
};

}  // namespace

double FinalValue(const CurveRecord& curve, int64_t steps) {
  for (int64_t i = std::min<int64_t>(steps, curve.values.size()) - 1; i >= 0; --i) {
    if (std::isfinite(curve.values[static_cast<size_t>(i)])) return curve.values[static_cast<size_t>(i)];
  }
  return std::numeric_limits<double>::quiet_NaN();
}

StudyOutcome ReplayStudy(std::shared_ptr<const std::vector<CurveRecord>> curves,
                         const std::vector<size_t>& order, Scheduler& scheduler,
                         Direction direction, int workers) {
  StudyLoop loop(curves, order, scheduler);
  loop.Run(std::max(workers, 1));
  StudyOutcome out;
  out.seconds = loop.seconds();
  std::optional<double> best, worst, found;
  for (const TrialBook& b : loop.book()) {
    // In steps, not reports: a curve recorded every 10th epoch that was
    // stopped at its 3rd report ran 30 epochs.
    const CurveRecord& curve = (*curves)[b.curve];
    out.epochs_used += StepsReached(curve, static_cast<size_t>(b.used));
    out.epochs_full += StepsReached(curve, static_cast<size_t>(b.steps));
    double final = FinalValue((*curves)[b.curve], b.steps);
    if (std::isnan(final)) continue;
    if (!best || IsBetter(direction, final, *best)) best = final;
    if (!worst || IsBetter(direction, *worst, final)) worst = final;
    if (!b.stopped && (!found || IsBetter(direction, final, *found))) found = final;
  }
  if (!best) {  // no curve has a value: nothing to find, nothing lost
    out.found_best = true;
    return out;
  }
  const double spread = std::fabs(*best - *worst);
  // Finding nothing is as bad as picking the worst configuration.
  out.regret = found ? std::fabs(*best - *found) : spread;
  out.regret_norm = spread > 0 ? out.regret / spread : 0.0;
  out.found_best = out.regret == 0.0;
  return out;
}

}  // namespace cairn::replay
