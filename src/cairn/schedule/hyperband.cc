#include "cairn/schedule/hyperband.h"

#include <zlib.h>

#include <cmath>
#include <string>

#include "cairn/schedule/options_reader.h"

namespace cairn::schedule {

Result<HyperbandOptions> HyperbandOptions::FromJson(const nlohmann::json& options, nlohmann::json* settings) {
  HyperbandOptions o;
  OptionsReader r("hyperband", options);
  CAIRN_TRY(r.Int("min_resource", 1, &o.min_resource));
  int64_t max_resource = 0;
  bool is_auto = true;
  CAIRN_TRY(r.IntOrAuto("max_resource", 1, &max_resource, &is_auto));
  if (!is_auto) o.max_resource = max_resource;
  CAIRN_TRY(r.Int("reduction_factor", 2, &o.reduction_factor));
  CAIRN_TRY(r.Int("bootstrap_count", 0, &o.bootstrap_count));
  CAIRN_TRY(r.Finish());
  if (settings) *settings = r.settings();
  if (o.max_resource && *o.max_resource < o.min_resource) {
    return InvalidArgument("hyperband scheduler: max_resource must be >= min_resource");
  }
  return o;
}

HyperbandScheduler::HyperbandScheduler(const SchedulerContext& context,
                                       const HyperbandOptions& options)
    : context_(context), options_(options) {
  if (!options_.max_resource) options_.max_resource = context.max_steps;
  if (options_.max_resource) Initialize(*options_.max_resource);
}

void HyperbandScheduler::Initialize(int64_t max_resource) {
  const double eta = static_cast<double>(options_.reduction_factor);
  double ratio = static_cast<double>(max_resource) / static_cast<double>(options_.min_resource);
  // Optuna: floor(log(max / min, eta)) + 1 brackets.
  int n = static_cast<int>(std::floor(std::log(ratio) / std::log(eta))) + 1;
  if (n < 1) n = 1;
  for (int b = 0; b < n; ++b) {
    int s = n - 1 - b;
    int64_t budget = static_cast<int64_t>(std::ceil(n * std::pow(eta, s) / (s + 1)));
    budgets_.push_back(budget);
    total_budget_ += budget;
    AshaOptions asha{.min_resource = options_.min_resource,
                     .reduction_factor = options_.reduction_factor,
                     .min_early_stopping_rate = b,
                     .bootstrap_count = options_.bootstrap_count};
    brackets_.emplace_back(context_.direction, context_.max_steps, asha);
  }
}

std::optional<int> HyperbandScheduler::BracketOf(int64_t trial_id) const {
  if (brackets_.empty()) return std::nullopt;
  std::string key = std::to_string(context_.seed) + "_" + std::to_string(trial_id);
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size()));
  int64_t n = static_cast<int64_t>(crc % static_cast<uLong>(total_budget_));
  for (size_t b = 0; b < budgets_.size(); ++b) {
    n -= budgets_[b];
    if (n < 0) return static_cast<int>(b);
  }
  return static_cast<int>(budgets_.size()) - 1;  // unreachable: n < total budget
}

Decision HyperbandScheduler::OnReport(int64_t trial_id, int64_t step, double value) {
  last_step_[trial_id] = step;
  std::optional<int> bracket = BracketOf(trial_id);
  if (!bracket) return Decision::Continue();
  Decision d = brackets_[*bracket].Report(trial_id, step, value, "hyperband");
  if (d.stop()) d.reason = "bracket " + std::to_string(*bracket) + ": " + d.reason;
  return d;
}

void HyperbandScheduler::OnTrialEnd(int64_t trial_id, TrialState state) {
  auto it = last_step_.find(trial_id);
  if (state == TrialState::kCompleted && brackets_.empty() && it != last_step_.end()) {
    Initialize(it->second + 1);  // Optuna's "auto": last step + 1
  }
  if (it != last_step_.end()) last_step_.erase(it);
}

}  // namespace cairn::schedule
