// ReplayExecutor: an event queue over recorded curves on a simulated clock.
//
// The queue holds one entry per running trial (its next event), not every
// step of every trial, so replaying 10,000 trials of 100 steps costs one heap
// operation per event and Stop() is O(log n): it bumps the trial's
// generation, which turns its queued entry stale, and queues the exit.
#include "cairn/replay_executor.h"

#include <cmath>

#include <fmt/format.h>

namespace cairn {
namespace {

// Seconds of step `i` (0-based) of `curve`; one time unit when unknown.
double StepSeconds(const CurveRecord& curve, int64_t i) {
  if (curve.seconds.empty()) return 1.0;
  return curve.seconds[static_cast<size_t>(i)];
}

}  // namespace

ReplayExecutor::ReplayExecutor(std::shared_ptr<const std::vector<CurveRecord>> curves,
                               SimulatedClock* clock, ReplayExecutorOptions options)
    : curves_(std::move(curves)), clock_(clock), options_(std::move(options)) {
  if (!options_.lookup) options_.lookup = MakeDefaultCurveLookup(curves_);
}

ReplayExecutor::~ReplayExecutor() = default;

int64_t ReplayExecutor::StepsOf(size_t curve) const {
  const CurveRecord& c = (*curves_)[curve];
  auto reports = static_cast<int64_t>(c.values.size());
  if (!options_.max_steps || *options_.max_steps < 0) return reports;
  // The values at steps up to max_steps (the steps increase).
  while (reports > 0 && StepAt(c, static_cast<size_t>(reports - 1)) > *options_.max_steps) --reports;
  return reports;
}

Status ReplayExecutor::Launch(const LaunchRequest& request) {
  if (trials_.count(request.trial_id) != 0) {
    return InvalidArgument(fmt::format("replay: trial {} is already running", request.trial_id));
  }
  auto curve = options_.lookup(request);
  if (!curve.ok()) return curve.status().WithContext(fmt::format("replay: trial {}", request.trial_id));
  if (*curve >= curves_->size()) {
    return InvalidArgument(fmt::format("replay: trial {}: curve index {} out of range (file has {})",
                                       request.trial_id, *curve, curves_->size()));
  }
  Trial trial;
  trial.curve = *curve;
  trial.steps = StepsOf(*curve);
  trial.time = clock_->Now();
  if (trial.steps > 0) trial.time += StepSeconds((*curves_)[trial.curve], 0);
  auto [it, inserted] = trials_.emplace(request.trial_id, trial);
  Schedule(request.trial_id, it->second);
  return Status::Ok();
}

void ReplayExecutor::Schedule(int64_t trial_id, Trial& trial) {
  queue_.push(Pending{trial.time, trial_id, trial.generation});
}

void ReplayExecutor::Stop(int64_t trial_id) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second.stopped) return;
  Trial& trial = it->second;
  trial.stopped = true;
  ++trial.generation;
  trial.time = clock_->Now();
  Schedule(trial_id, trial);
}

// Returns the trial's next event and moves its cursor past it.
ExecutorEvent ReplayExecutor::Emit(int64_t trial_id, Trial& trial) {
  if (trial.stopped || trial.next >= trial.steps) {
    ExitEvent exit;
    exit.trial_id = trial_id;
    exit.time = trial.time;
    // Steps as the curve numbers them (a program that reported every 5th
    // step stopped after 3 reports is at step 15), not reports.
    const CurveRecord& record = (*curves_)[trial.curve];
    const int64_t last_step = StepsReached(record, static_cast<size_t>(trial.steps));
    if (trial.stopped) {
      exit.kind = ExitKind::kStopped;
      exit.message = fmt::format("stopped at step {} of {}", StepsReached(record, static_cast<size_t>(trial.next)),
                                 last_step);
    } else if (!RanToItsEnd(record)) {
      // The record ends here because something stopped the run: it must not
      // teach the rules a final value (a coordinator records it as failed).
      exit.kind = ExitKind::kStopped;
      exit.message = fmt::format("cut short in the record ({}) at step {}", record.extra.value("state", "?"), last_step);
    } else {
      exit.kind = ExitKind::kExited;
      exit.exit_code = 0;
      exit.message = "exit 0";
    }
    return exit;
  }
  const CurveRecord& curve = (*curves_)[trial.curve];
  ReportEvent report;
  report.trial_id = trial_id;
  report.step = StepAt(curve, static_cast<size_t>(trial.next));
  report.time = trial.time;
  const std::string& key = options_.metric_key.empty() ? curve.metric : options_.metric_key;
  report.metrics.emplace(key, curve.values[static_cast<size_t>(trial.next)]);
  ++trial.next;
  // The exit follows at the time of the last report.
  if (trial.next < trial.steps) trial.time += StepSeconds(curve, trial.next);
  return report;
}

std::vector<ExecutorEvent> ReplayExecutor::Poll(std::optional<double> /*timeout_s*/) {
  std::vector<ExecutorEvent> events;
  auto live = [this](const Pending& p) {
    auto it = trials_.find(p.trial_id);
    return it != trials_.end() && it->second.generation == p.generation;
  };
  while (!queue_.empty() && !live(queue_.top())) queue_.pop();
  if (queue_.empty()) return events;
  const double now = queue_.top().time;
  clock_->AdvanceTo(now);
  // Zero-second steps put a trial's next event at the same time: it is
  // pushed back and returned in this batch too.
  while (!queue_.empty() && queue_.top().time <= now) {
    Pending p = queue_.top();
    queue_.pop();
    auto it = trials_.find(p.trial_id);
    if (it == trials_.end() || it->second.generation != p.generation) continue;
    events.push_back(Emit(p.trial_id, it->second));
    if (std::holds_alternative<ExitEvent>(events.back())) {
      trials_.erase(it);
    } else {
      Schedule(p.trial_id, it->second);
    }
  }
  return events;
}

std::optional<size_t> ReplayExecutor::CurveOf(int64_t trial_id) const {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return std::nullopt;
  return it->second.curve;
}

}  // namespace cairn
