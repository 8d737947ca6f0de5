#include "cairn/schedule/predictive.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "cairn/schedule/options_reader.h"

namespace cairn::schedule {

Result<PredictiveOptions> PredictiveOptions::FromJson(const nlohmann::json& options,
                                                      const SchedulerContext& context, nlohmann::json* settings) {
  PredictiveOptions o;
  OptionsReader r("predictive", options);
  CAIRN_TRY(r.Double("p_min", 0.0, 1.0, &o.p_min));
  CAIRN_TRY(r.Double("p_keep", 0.0, 1.0, &o.p_keep));
  CAIRN_TRY(r.Int("top_k", 1, &o.top_k));
  CAIRN_TRY(r.Int("min_steps", 1, &o.min_steps));
  CAIRN_TRY(r.Int("min_completed", 3, &o.min_completed));
  CAIRN_TRY(r.Int("prior_peers", 1, &o.prior_peers));
  CAIRN_TRY(r.Int("window", 1, &o.window));
  CAIRN_TRY(r.Int("rung_eta", 0, &o.rung_eta));
  CAIRN_TRY(r.IntOrAuto("min_resource", 1, &o.min_resource, &o.min_resource_auto));
  CAIRN_TRY(r.Choice("level", {"recent_mean", "median"}, &o.level));
  CAIRN_TRY(r.Choice("rung_round", {"up", "down"}, &o.rung_round));
  CAIRN_TRY(r.Choice("rung_count", {"promoted", "reached"}, &o.rung_count));
  CAIRN_TRY(r.Choice("params", {"use", "ignore"}, &o.params));
  CAIRN_TRY(r.Int("hedge_every", 0, &o.hedge_every));
  if (o.rung_eta == 1) {
    return InvalidArgument("predictive scheduler option rung_eta: must be 0 or >= 2, got 1");
  }
  if (o.hedge_every > 0 && !context.max_steps) {
    return InvalidArgument(fmt::format("predictive scheduler option hedge_every: {} needs the study's max_steps "
                                       "(a hedged trial passes every rung before a ninth of it); set max_steps or "
                                       "hedge_every 0", o.hedge_every));
  }
  CAIRN_TRY(r.Finish());
  if (settings) *settings = r.settings();
  return o;
}

PredictiveScheduler::PredictiveScheduler(const SchedulerContext& context,
                                         const PredictiveOptions& options)
    : context_(context),
      options_(options),
      median_level_(options.level == "median"),
      count_stopped_at_rungs_(options.rung_count == "promoted"),
      hedge_until_(context.max_steps ? (*context.max_steps + 8) / 9 : 0),
      features_(options.params == "use" && context.space ? ParamFeatures(*context.space) : ParamFeatures()),
      stats_(PredictStatsOptions{.final_window = options.window,
                                 .min_samples = options.min_completed,
                                 .rung_min_resource = std::max<int64_t>(options.min_resource, 1),
                                 .rung_eta = options.rung_eta,
                                 .features = static_cast<int64_t>(features_.size())}) {
  if (!options_.min_resource_auto) EnsureRungs(options_.min_resource);
}

void PredictiveScheduler::EnsureRungs(int64_t first_step) {
  if (options_.rung_eta < 2 || rungs_) return;
  const int64_t min_resource = std::max<int64_t>(first_step, 1);
  rungs_.emplace(min_resource, options_.rung_eta, options_.rung_round == "up");
  if (features_.size() > 0) {
    rungs_->SetScorer([this](int64_t step, const std::vector<double>& levels,
                             const std::vector<std::vector<double>>& features) {
      return stats_.ScoreAhead(step, levels, features);
    });
  }
  stats_.SetRungMinResource(min_resource);
}

std::string PredictiveScheduler::RungText(const RungVerdict& v, int64_t step) const {
  // Trials stopped before the rung are ranked there too (rung_count
  // "promoted"); say so, or "rank 19 of 26" reads as 26 trials that got there.
  const std::string stopped =
      v.stopped_before ? fmt::format("; the {} include {} trial{} stopped before step {}, ranked at {} last level",
                                     v.recorded, v.stopped_before, v.stopped_before == 1 ? "" : "s", v.rung_step,
                                     v.stopped_before == 1 ? "its" : "their")
                       : "";
  // A program that reports every 10th step is judged at rung step 9 on its
  // report at step 10: then both steps are named.
  const std::string judged_at = step == v.rung_step ? "" : fmt::format(" at step {}", step);
  // Ranked by what the trials are predicted to reach (level and
  // parameters), a rank is not the order of their values: say so.
  const std::string by =
      v.scored ? "; ranked by the value each is predicted to reach from its level and parameters" : "";
  return fmt::format("rank {} of {} at rung {} (step {}, keeps the top {}{}{}){}", v.rank, v.recorded, v.rung,
                     v.rung_step, v.kept, stopped, by, judged_at);
}

double TrialLevel(const std::vector<double>& raw) {
  constexpr size_t kMaxWindow = 9;
  const size_t n = raw.size();
  const size_t k = std::min<size_t>({n, 1 + 2 * (n / 10), kMaxWindow});
  std::array<double, kMaxWindow> last{};
  std::copy(raw.end() - static_cast<std::ptrdiff_t>(k), raw.end(), last.begin());
  std::nth_element(last.begin(), last.begin() + k / 2, last.begin() + k);
  return last[k / 2];
}

double RecentMean::Add(double value) {
  values_.push_back(value);
  prefix_.push_back(prefix_.back() + value);
  const size_t n = values_.size();
  const size_t k = std::max<size_t>(1, n / 2);
  const size_t from = n - k;  // never decreases as n grows
  while (!window_min_.empty() && values_[window_min_.back()] >= value) window_min_.pop_back();
  window_min_.push_back(n - 1);
  while (window_min_.front() < from) window_min_.pop_front();
  const double sum = prefix_[n] - prefix_[from];
  if (k < 3) return sum / static_cast<double>(k);
  return (sum - values_[window_min_.front()]) / static_cast<double>(k - 1);
}

std::string ProbabilityText(double p, double bar) {
  // Three digits, or as many more as it takes for the printed number to sit
  // on the same side of the bar as the number decided on ("0.5 < p_keep 0.5"
  // read false for a P of 0.49999999).
  std::string text = fmt::format("{:.3g}", p);
  for (int digits = 4; digits <= 17 && (std::stod(text) < bar) != (p < bar); ++digits) {
    text = fmt::format("{:.{}g}", p, digits);
  }
  return text;
}

double PredictiveScheduler::Clamp(double value) const {
  // The linear links know nothing of a metric's range; the final cannot leave
  // it, so neither do the reported prediction and interval. P is unchanged:
  // mass beyond a bound lands on the bound, on the same side of any threshold.
  if (context_.lower_bound) value = std::max(value, *context_.lower_bound);
  if (context_.upper_bound) value = std::min(value, *context_.upper_bound);
  return value;
}

Decision PredictiveScheduler::PriorMedian(int64_t step, double level) {
  std::vector<double>& others = values_at_step_[step];
  const size_t n = others.size();
  Decision out = Decision::Continue();
  if (static_cast<int64_t>(n) >= options_.prior_peers) {
    const double median = n % 2 ? others[n / 2] : 0.5 * (others[n / 2 - 1] + others[n / 2]);
    if (level < median) {
      out.action = Decision::Action::kStop;
      out.rule = "predictive";
      out.reason = fmt::format("prior rule ({} completed trial(s) of the {} it needs to predict): value {:.6g} is worse "
                               "than the median {:.6g} of {} trials at step {}",
                               stats_.completed(), options_.min_completed, sign() * level,
                               sign() * median, n, step);
    }
  }
  others.insert(std::upper_bound(others.begin(), others.end(), level), level);
  return out;
}

Decision PredictiveScheduler::PriorRungs(const std::optional<RungVerdict>& verdict, int64_t step) {
  if (!verdict || verdict->promoted) return Decision::Continue();
  Decision out;
  out.action = Decision::Action::kStop;
  out.rule = "predictive";
  out.reason = fmt::format("prior rule ({} completed trial(s) of the {} it needs to predict): {}", stats_.completed(),
                           options_.min_completed, RungText(*verdict, step));
  return out;
}

Decision PredictiveScheduler::Predict(int64_t step, const Curve& curve,
                                      const std::optional<RungVerdict>& verdict) {
  const double level = curve.values.back();
  const std::optional<double> threshold = stats_.KthBestFinal(options_.top_k);
  const std::optional<StepPrediction> p =
      threshold ? stats_.Predict(step, level, curve.noise.sigma(), curve.features) : std::nullopt;
  // Past the steps completed trials reached (or fewer than top_k of them):
  // nothing to predict from, so the rungs decide alone.
  if (!p) return PriorRungs(verdict, step);

  const double prob = p->ProbabilityAbove(*threshold);
  Decision out;
  out.rule = "predictive";
  out.predicted = Clamp(sign() * p->mean);
  out.lower = Clamp(std::min(sign() * p->lower, sign() * p->upper));
  out.upper = Clamp(std::max(sign() * p->lower, sign() * p->upper));
  out.probability = prob;
  out.threshold = sign() * *threshold;
  out.extrapolated = p->Extrapolated(level);
  const bool lost_rung = verdict && !verdict->promoted;
  const bool hopeless = prob < options_.p_min;
  const bool rung_stop = !hopeless && lost_rung && prob < options_.p_keep;
  out.action = hopeless || rung_stop ? Decision::Action::kStop : Decision::Action::kContinue;
  // A plain "continue" is the common case and nobody reads its reason (the
  // coordinator keeps decisions that stop); formatting it would dominate the
  // cost of a report. Stops and vetoed rung losses say why.
  if (!hopeless && !lost_rung) return out;
  // "P(final > 0.9642) = 0.012 < p_min 0.1 at step 3; predicted 0.93 [0.9,
  // 0.95] from 5 completed trials": the comparison beside P, four digits
  // (the bar is the best smoothed completed final, not a raw value).
  const double bound = hopeless ? options_.p_min : options_.p_keep;
  const std::string probability =
      fmt::format("P(final {} {:.4g}) = {} {} {} {:.3g} at step {}", sign() > 0 ? ">" : "<", *out.threshold,
                  ProbabilityText(prob, bound), prob < bound ? "<" : ">=", hopeless ? "p_min" : "p_keep", bound,
                  step);
  std::string basis = fmt::format(
      "predicted {:.4g} [{:.4g}, {:.4g}] from {} completed trials{}", *out.predicted, *out.lower, *out.upper,
      p->samples,
      p->links == 2 ? " through 1 rung link"
                    : p->links > 2 ? fmt::format(" through {} rung links", p->links - 1) : "");
  if (out.extrapolated) {
    // Said, not acted on: the decision stands, the number is less sure than
    // its interval says.
    const double lo = std::min(sign() * p->learned_min, sign() * p->learned_max);
    const double hi = std::max(sign() * p->learned_min, sign() * p->learned_max);
    // Four digits, or as many as it takes for the level not to print as
    // the end of the range it lies outside ("2.25 lies outside 2.185 to 2.25").
    const double own = sign() * level, nearest = own < lo ? lo : hi;
    int digits = 4;
    while (digits < 17 && fmt::format("{:.{}g}", own, digits) == fmt::format("{:.{}g}", nearest, digits)) ++digits;
    basis += fmt::format(" (extrapolated: its level {:.{}g} lies outside the {:.{}g} to {:.{}g} of the trials "
                         "the line was learned from)", own, digits, lo, digits, hi, digits);
  }
  if (hopeless) {
    out.reason = fmt::format("hopeless: {}; {}", probability, basis);
  } else if (rung_stop) {
    out.reason = fmt::format("{} and {}; {}", RungText(*verdict, step), probability, basis);
  } else {
    out.kept = true;
    out.reason = fmt::format("kept although {}: {}; {}", RungText(*verdict, step), probability, basis);
  }
  return out;
}

void PredictiveScheduler::OnTrialStart(int64_t trial_id, const Params& params) {
  Curve& curve = running_[trial_id];
  if (features_.size() > 0) curve.features = features_.Encode(params);
}

Decision PredictiveScheduler::OnReport(int64_t trial_id, int64_t step, double value) {
  Curve& curve = running_[trial_id];
  // The contract says steps increase; a repeated or older step is ignored.
  if (step < 1 || (!curve.steps.empty() && step <= curve.steps.back())) {
    return Decision::Continue();
  }
  EnsureRungs(step);
  curve.raw.push_back(sign() * value);
  curve.medians.push_back(TrialLevel(curve.raw));
  const double level = median_level_ ? curve.medians.back() : curve.recent.Add(curve.raw.back());
  curve.steps.push_back(step);
  curve.values.push_back(level);
  curve.noise.Add(level);
  // Rungs see every report, so their records are complete when asked.
  std::optional<RungVerdict> verdict;
  if (rungs_) verdict = rungs_->Report(trial_id, step, level, curve.features);
  const bool prior = stats_.completed() < options_.min_completed;
  Decision median = (prior && !rungs_) ? PriorMedian(step, level) : Decision::Continue();

  if (step < options_.min_steps) return Decision::Continue();
  // Stopping at the last step saves nothing and would lose a finished model.
  if (context_.max_steps && step >= *context_.max_steps) return Decision::Continue();
  // A hedged trial passes the rungs before hedge_until_ whatever its rank;
  // the prediction may still stop it.
  std::optional<RungVerdict> lost_hedged;
  if (verdict && !verdict->promoted && Hedged(trial_id, step)) {
    lost_hedged = verdict;
    verdict->promoted = true;
  }
  Decision out = prior ? (rungs_ ? PriorRungs(verdict, step) : median) : Predict(step, curve, verdict);
  if (lost_hedged && !out.stop()) {
    out.rule = "predictive";
    out.kept = true;
    out.reason = fmt::format("kept by the hedge (one trial in {} passes the rungs before step {}) although {}",
                             options_.hedge_every, hedge_until_, RungText(*lost_hedged, step));
  }
  return out;
}

void PredictiveScheduler::OnTrialEnd(int64_t trial_id, TrialState state) {
  auto it = running_.find(trial_id);
  if (it == running_.end()) return;  // never started nor reported, or ended twice
  // Completed curves teach the final links and the rung links; stopped ones
  // the rung links they reached (how a value turns into the next rung's).
  // The final is read from the median levels whatever is compared: the bar
  // to beat is where the curve ended, not an average of its latter half.
  const Curve& c = it->second;
  if (state == TrialState::kCompleted) {
    stats_.AddCompleted(c.steps, c.values, MeanOfLast(c.medians, options_.window), c.features);
  }
  if (state == TrialState::kStopped) {
    stats_.AddStopped(c.steps, c.values, c.features);
    if (rungs_ && count_stopped_at_rungs_ && !c.values.empty()) {
      rungs_->RecordStopped(trial_id, c.values.back(), c.features);
    }
  }
  running_.erase(it);
  if (rungs_) rungs_->Forget(trial_id);
}

}  // namespace cairn::schedule
