#include "cairn/schedule/median.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cairn/schedule/options_reader.h"

namespace cairn::schedule {

Result<MedianOptions> MedianOptions::FromJson(const nlohmann::json& options, nlohmann::json* settings) {
  MedianOptions o;
  OptionsReader r("median", options);
  CAIRN_TRY(r.Int("startup_trials", 0, &o.startup_trials));
  CAIRN_TRY(r.Int("warmup_steps", 0, &o.warmup_steps));
  CAIRN_TRY(r.Int("interval_steps", 1, &o.interval_steps));
  CAIRN_TRY(r.Int("min_trials_at_step", 1, &o.min_trials_at_step));
  CAIRN_TRY(r.Double("percentile", 0.0, 100.0, &o.percentile));
  CAIRN_TRY(r.Finish());
  if (settings) *settings = r.settings();
  return o;
}

double Percentile(std::vector<double>& values, double q) {
  std::sort(values.begin(), values.end());
  double pos = q / 100.0 * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, values.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

MedianScheduler::MedianScheduler(const SchedulerContext& context, const MedianOptions& options)
    : context_(context), options_(options) {}

// Optuna's _is_first_in_interval_step: check only when the previous report
// of this trial lies before the latest grid point warmup + k * interval.
bool MedianScheduler::OnCheckStep(const TrialCurve& curve, int64_t step) const {
  int64_t offset = step - options_.warmup_steps;
  int64_t grid = offset / options_.interval_steps * options_.interval_steps + options_.warmup_steps;
  int64_t previous = curve.points.size() >= 2 ? curve.points[curve.points.size() - 2].step : -1;
  return previous < grid;
}

Decision MedianScheduler::OnReport(int64_t trial_id, int64_t step, double value) {
  book_.Add(trial_id, step, value);
  const int64_t n_completed = static_cast<int64_t>(book_.completed().size());
  if (n_completed == 0 || n_completed < options_.startup_trials) return Decision::Continue();
  if (step < options_.warmup_steps) return Decision::Continue();
  // Stopping at the last step saves nothing and would lose a finished model.
  if (context_.max_steps && step >= *context_.max_steps) return Decision::Continue();
  const TrialCurve& curve = *book_.Find(trial_id);
  if (!OnCheckStep(curve, step)) return Decision::Continue();

  std::vector<double> others;
  for (int64_t id : book_.completed()) {
    if (auto v = book_.Find(id)->At(step)) others.push_back(*v);
  }
  if (static_cast<int64_t>(others.size()) < options_.min_trials_at_step) return Decision::Continue();

  const Direction d = context_.direction;
  double q = d == Direction::kMaximize ? 100.0 - options_.percentile : options_.percentile;
  double threshold = Percentile(others, q);
  double best = BestOf(d, curve.points);
  if (!IsBetter(d, threshold, best)) return Decision::Continue();

  Decision out;
  out.action = Decision::Action::kStop;
  out.rule = "median";
  out.reason = fmt::format("best value {:.6g} is worse than the median {:.6g} of {} completed "
                           "trials at step {}", best, threshold, others.size(), step);
  return out;
}

void MedianScheduler::OnTrialEnd(int64_t trial_id, TrialState state) { book_.End(trial_id, state); }

}  // namespace cairn::schedule
