#include "cairn/schedule/asha.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "cairn/schedule/options_reader.h"

namespace cairn::schedule {

Result<AshaOptions> AshaOptions::FromJson(const nlohmann::json& options, nlohmann::json* settings) {
  AshaOptions o;
  OptionsReader r("asha", options);
  int64_t min_resource = 0;
  bool is_auto = true;
  CAIRN_TRY(r.IntOrAuto("min_resource", 1, &min_resource, &is_auto));
  if (!is_auto) o.min_resource = min_resource;
  CAIRN_TRY(r.Int("reduction_factor", 2, &o.reduction_factor));
  CAIRN_TRY(r.Int("min_early_stopping_rate", 0, &o.min_early_stopping_rate));
  CAIRN_TRY(r.Int("bootstrap_count", 0, &o.bootstrap_count));
  CAIRN_TRY(r.Finish());
  if (settings) *settings = r.settings();
  if (o.bootstrap_count > 0 && !o.min_resource) {
    return InvalidArgument("asha scheduler: bootstrap_count > 0 needs a numeric min_resource");
  }
  return o;
}

bool IsPromotable(Direction d, double value, std::span<const double> sorted, int64_t eta) {
  int64_t n = static_cast<int64_t>(sorted.size());
  int64_t idx = std::max<int64_t>(n / eta - 1, 0);
  if (d == Direction::kMaximize) return value >= sorted[n - 1 - idx];
  return value <= sorted[idx];
}

AshaRungs::AshaRungs(Direction direction, std::optional<int64_t> max_steps,
                     const AshaOptions& options)
    : direction_(direction), max_steps_(max_steps), options_(options) {}

int64_t AshaRungs::RungStep(int64_t rung) const {
  // min_resource * eta^(s + rung), saturating: a rung past any real step.
  int64_t step = *options_.min_resource;
  for (int64_t i = 0; i < options_.min_early_stopping_rate + rung; ++i) {
    if (step > std::numeric_limits<int64_t>::max() / options_.reduction_factor) {
      return std::numeric_limits<int64_t>::max();
    }
    step *= options_.reduction_factor;
  }
  return step;
}

void AshaRungs::OnCompleted(int64_t last_step) {
  if (!options_.min_resource) options_.min_resource = std::max<int64_t>(last_step / 100, 1);
}

Decision AshaRungs::Report(int64_t trial_id, int64_t step, double value, const std::string& rule) {
  if (!options_.min_resource) return Decision::Continue();
  // Stopping at the last step saves nothing and would lose a finished model.
  if (max_steps_ && step >= *max_steps_) return Decision::Continue();
  int64_t& rung = next_rung_[trial_id];
  while (step >= RungStep(rung)) {
    if (rung_values_.size() <= static_cast<size_t>(rung)) rung_values_.resize(rung + 1);
    // Kept sorted: a rung of 10,000 values was copied and sorted per report.
    std::vector<double>& recorded = rung_values_[rung];
    recorded.insert(std::upper_bound(recorded.begin(), recorded.end(), value), value);
    int64_t n = static_cast<int64_t>(recorded.size());
    bool promoted = n > options_.bootstrap_count &&
                    IsPromotable(direction_, value, recorded, options_.reduction_factor);
    // The rung is done either way (Optuna records completed_rung_k before
    // judging): a trial that goes on after a stop (a finished trial of an
    // earlier run played to a new rule) is recorded once per rung.
    const int64_t judged = rung++;
    if (!promoted) {
      Decision out;
      out.action = Decision::Action::kStop;
      out.rule = rule;
      const int64_t kept = std::max<int64_t>(1, n / options_.reduction_factor);
      out.reason = fmt::format("value {:.6g} at step {} is not among the best {} of the {} values at rung {} "
                               "(step {}; the top 1/{}, at least one)",
                               value, step, kept, n, judged, RungStep(judged), options_.reduction_factor);
      return out;
    }
  }
  return Decision::Continue();
}

AshaScheduler::AshaScheduler(const SchedulerContext& context, const AshaOptions& options)
    : rungs_(context.direction, context.max_steps, options) {}

Decision AshaScheduler::OnReport(int64_t trial_id, int64_t step, double value) {
  last_step_[trial_id] = step;
  return rungs_.Report(trial_id, step, value, "asha");
}

void AshaScheduler::OnTrialEnd(int64_t trial_id, TrialState state) {
  if (state == TrialState::kCompleted) rungs_.OnCompleted(last_step_[trial_id]);
  last_step_.erase(trial_id);
}

}  // namespace cairn::schedule
