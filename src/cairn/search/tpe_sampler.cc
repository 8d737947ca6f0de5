#include "cairn/search/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cairn/search/param_codec.h"
#include "cairn/search/random_sampler.h"

namespace cairn::search {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// True when the parameter can take a single value, which needs no model.
bool HasOneValue(const ParamSpec& spec) {
  switch (spec.kind) {
    case ParamKind::kCategorical: return spec.choices.size() == 1;
    case ParamKind::kInt: return GridCount(spec) == 1;
    case ParamKind::kFloat: return spec.low == spec.high || (spec.step && GridCount(spec) == 1);
  }
  return false;
}

}  // namespace

std::optional<Score> ScoreOf(const TrialOutcome& outcome, Direction direction) {
  const double sign = direction == Direction::kMinimize ? 1.0 : -1.0;
  if (outcome.state == TrialState::kCompleted) {
    if (!outcome.value || !std::isfinite(*outcome.value)) return std::nullopt;
    return Score{-kInf, sign * *outcome.value};
  }
  if (outcome.state == TrialState::kFailed && outcome.value && !std::isfinite(*outcome.value)) {
    // Diverged: its objective went NaN or infinite, which its parameters did
    // (a crash may be the machine's, so crashes stay ignored). It is evidence
    // of where not to look: an observation ranked after every other.
    return Score{2.0, 0.0};
  }
  if (outcome.state != TrialState::kStopped) return std::nullopt;
  if (!outcome.curve.empty()) {
    // The report at the largest step, as Optuna's max(intermediate_values.items()).
    auto last = *std::max_element(outcome.curve.begin(), outcome.curve.end());
    double loss = std::isnan(last.second) ? kInf : sign * last.second;
    return Score{-static_cast<double>(last.first), loss};
  }
  // No curve: a final value of unknown step ranks as step 0; nothing at all, last.
  if (outcome.value && !std::isnan(*outcome.value)) return Score{0.0, sign * *outcome.value};
  return Score{1.0, 0.0};
}

int NumBelow(const TpeOptions& options, size_t n) {
  const double dn = static_cast<double>(n);
  if (options.gamma) return static_cast<int>(std::ceil(*options.gamma * dn));
  return static_cast<int>(std::min(std::ceil(0.1 * dn), 25.0));
}

std::vector<bool> SplitBelow(const std::vector<Score>& scores, int n_below) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (scores[a].step_key != scores[b].step_key) return scores[a].step_key < scores[b].step_key;
    return scores[a].loss < scores[b].loss;
  });
  std::vector<bool> below(scores.size(), false);
  for (size_t i = 0; i < order.size() && static_cast<int>(i) < n_below; ++i) below[order[i]] = true;
  return below;
}

TpeSampler::TpeSampler(SearchSpace space, Direction direction, uint64_t seed, TpeOptions options)
    : space_(std::move(space)), direction_(direction), seed_(seed), options_(options) {
  parzen_.prior_weight = options_.prior_weight;
}

Params TpeSampler::Ask(int number) {
  auto it = asked_.find(number);
  if (it != asked_.end()) return it->second;
  Rng rng(MixSeed(seed_, static_cast<uint64_t>(number)));
  if (observations_.size() < static_cast<size_t>(std::max(options_.n_startup_trials, 1))) {
    return asked_[number] = DrawRandomParams(space_, rng);
  }
  std::vector<const Observation*> obs;
  std::vector<Score> scores;
  for (const auto& [n, o] : observations_) {
    obs.push_back(&o);
    scores.push_back(o.score);
  }
  const std::vector<bool> below = SplitBelow(scores, NumBelow(options_, obs.size()));
  Params params;
  for (const auto& spec : space_.params) {
    if (space_.IsActive(spec, params)) params[spec.name] = SampleParam(spec, obs, below, rng);
  }
  return asked_[number] = params;
}

ParamValue TpeSampler::SampleParam(const ParamSpec& spec, const std::vector<const Observation*>& obs,
                                   const std::vector<bool>& below, Rng& rng) const {
  if (HasOneValue(spec)) return spec.kind == ParamKind::kCategorical ? spec.choices.front() : Snap(spec, spec.low);
  // Only trials where the parameter was active (and its value still valid) count.
  std::vector<double> good, bad;
  for (size_t i = 0; i < obs.size(); ++i) {
    auto v = obs[i]->params.find(spec.name);
    if (v == obs[i]->params.end()) continue;
    auto x = Encode(spec, v->second);
    if (x) (below[i] ? good : bad).push_back(*x);
  }
  ParzenEstimator l(spec, good, parzen_), g(spec, bad, parzen_);
  double best_x = 0, best_score = -kInf;
  for (int c = 0; c < options_.n_ei_candidates; ++c) {
    double x = l.Sample(rng);
    double score = l.LogPdf(x) - g.LogPdf(x);
    if (c == 0 || score > best_score) {
      best_x = x;
      best_score = score;
    }
  }
  return Decode(spec, best_x);
}

void TpeSampler::Tell(const TrialOutcome& outcome) {
  asked_.try_emplace(outcome.number, outcome.params);
  // A trial outside this space (another sub-space's, in a decomposed study)
  // is no observation: l(x) and g(x) are densities over this space, and
  // clamping its values onto the bounds would pile every such trial onto
  // the edge as a false mode. Trials in the overlap with a neighbour count.
  auto score = InSpace(space_, outcome.params) ? ScoreOf(outcome, direction_) : std::nullopt;
  if (score) {
    observations_[outcome.number] = Observation{outcome.params, *score};
  } else {
    observations_.erase(outcome.number);  // a re-told trial that no longer counts
  }
}

}  // namespace cairn::search
