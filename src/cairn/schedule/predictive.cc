#include "cairn/schedule/predictive.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "cairn/schedule/median.h"
#include "cairn/schedule/options_reader.h"

namespace cairn::schedule {

Result<PredictiveOptions> PredictiveOptions::FromJson(const nlohmann::json& options,
                                                      const SchedulerContext& context) {
  PredictiveOptions o;
  if (context.max_steps) o.min_steps = std::max<int64_t>(1, std::min<int64_t>(3, *context.max_steps - 1));
  OptionsReader r("predictive", options);
  CAIRN_TRY(r.Double("p_min", 0.0, 1.0, &o.p_min));
  CAIRN_TRY(r.Int("top_k", 1, &o.top_k));
  CAIRN_TRY(r.Int("min_steps", 1, &o.min_steps));
  CAIRN_TRY(r.Int("min_completed", 3, &o.min_completed));
  CAIRN_TRY(r.Int("prior_peers", 1, &o.prior_peers));
  CAIRN_TRY(r.Int("window", 1, &o.window));
  CAIRN_TRY(r.Int("rung_eta", 0, &o.rung_eta));
  if (o.rung_eta == 1) {
    return InvalidArgument("predictive scheduler option rung_eta: must be 0 or >= 2");
  }
  CAIRN_TRY(r.Double("p_keep", 0.0, 1.0, &o.p_keep));
  CAIRN_TRY(r.Finish());
  return o;
}

PredictiveScheduler::PredictiveScheduler(const SchedulerContext& context,
                                         const PredictiveOptions& options)
    : context_(context),
      options_(options),
      rungs_(context.direction, context.max_steps,
             AshaOptions{.reduction_factor = std::max<int64_t>(options.rung_eta, 2)}) {
  predictor_.window = static_cast<int>(options.window);
  predictor_.min_samples = static_cast<int>(options.min_completed);
}

std::optional<double> PredictiveScheduler::Threshold() const {
  std::vector<double> finals;
  for (int64_t id : book_.completed()) {
    const TrialCurve* c = book_.Find(id);
    if (!c->points.empty()) finals.push_back(sign() * c->points.back().value);
  }
  if (static_cast<int64_t>(finals.size()) < options_.top_k) return std::nullopt;
  std::nth_element(finals.begin(), finals.begin() + (options_.top_k - 1), finals.end(),
                   std::greater<double>());
  return finals[options_.top_k - 1];
}

Decision PredictiveScheduler::PriorRule(int64_t trial_id, int64_t step, double level) const {
  std::vector<double> peers;
  for (const auto& [id, curve] : book_.trials()) {
    if (id == trial_id || curve.last_step() < step) continue;
    if (auto x = LevelAt(curve, step, predictor_.window, sign())) peers.push_back(*x);
  }
  if (static_cast<int64_t>(peers.size()) < options_.prior_peers) return Decision::Continue();
  double median = Percentile(peers, 50.0);
  if (level >= median) return Decision::Continue();
  Decision out;
  out.action = Decision::Action::kStop;
  out.rule = "predictive";
  out.reason = fmt::format("prior rule ({} of {} trials completed): level {:.6g} is worse than "
                           "the median {:.6g} of {} trials at step {}", book_.completed().size(),
                           options_.min_completed, sign() * level, sign() * median, peers.size(),
                           step);
  return out;
}

Decision PredictiveScheduler::Predict(int64_t step, double level, double threshold) const {
  std::vector<const TrialCurve*> completed;
  for (int64_t id : book_.completed()) completed.push_back(book_.Find(id));
  std::optional<FinalPrediction> p = PredictFinal(completed, step, level, sign(), predictor_);
  if (!p) return Decision::Continue();
  double prob = p->ProbabilityAbove(threshold);
  double lo = p->Quantile(0.05), hi = p->Quantile(0.95);
  Decision out;
  out.rule = "predictive";
  out.predicted = sign() * p->mean;
  out.lower = std::min(sign() * lo, sign() * hi);
  out.upper = std::max(sign() * lo, sign() * hi);
  out.probability = prob;
  bool stop = prob < options_.p_min;
  out.action = stop ? Decision::Action::kStop : Decision::Action::kContinue;
  out.reason = fmt::format("P(final {} {:.6g}) = {:.3g} {} {:.3g} at step {}; predicted {:.6g} "
                           "[{:.6g}, {:.6g}] from {} completed trials",
                           sign() > 0 ? ">" : "<", sign() * threshold, prob, stop ? "<" : ">=",
                           options_.p_min, step, *out.predicted, *out.lower, *out.upper,
                           p->samples);
  return out;
}

Decision PredictiveScheduler::OnReport(int64_t trial_id, int64_t step, double value) {
  book_.Add(trial_id, step, value);
  Decision asha = rungs_.Report(trial_id, step, value, "predictive");
  if (step < options_.min_steps) return Decision::Continue();
  // Stopping at the last step saves nothing and would lose a finished model.
  if (context_.max_steps && step >= *context_.max_steps) return Decision::Continue();
  const TrialCurve& curve = *book_.Find(trial_id);
  double level = *LevelAt(curve, step, predictor_.window, sign());
  if (static_cast<int64_t>(book_.completed().size()) < options_.min_completed) {
    if (options_.rung_eta > 1) {
      if (asha.stop()) asha.reason = "prior rule (too few completed trials): " + asha.reason;
      return asha;
    }
    return PriorRule(trial_id, step, level);
  }
  std::optional<double> threshold = Threshold();
  if (!threshold) return Decision::Continue();
  Decision d = Predict(step, level, *threshold);
  if (options_.rung_eta > 1 && !d.stop() && asha.stop() && d.probability &&
      *d.probability < options_.p_keep) {
    d.action = Decision::Action::kStop;
    d.reason = fmt::format("{} and P < {:.3g}: {}", asha.reason, options_.p_keep, d.reason);
  }
  return d;
}

void PredictiveScheduler::OnTrialEnd(int64_t trial_id, TrialState state) {
  book_.End(trial_id, state);
  if (state == TrialState::kCompleted) rungs_.OnCompleted(book_.Find(trial_id)->last_step());
}

}  // namespace cairn::schedule
