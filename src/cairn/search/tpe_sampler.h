// The Tree-structured Parzen Estimator sampler (Bergstra et al. 2011), with
// Optuna's defaults and univariate estimators.
//
// After n_startup_trials observations, each active parameter is drawn by
// splitting the observed trials into the best gamma(n) ("below") and the
// rest ("above"), fitting a Parzen estimator l(x) to the below values and
// g(x) to the above values of that parameter (only trials where it was
// active), drawing n_ei_candidates from l and keeping the one with the
// largest log l(x) - log g(x).
//
// Told trials whose parameters lie outside the space (InSpace) are not
// observations: in a decomposed study every sub-space's TPE is told every
// trial and models only those inside its box.
#pragma once

#include <limits>
#include <map>
#include <optional>

#include "cairn/sampler.h"
#include "cairn/search/parzen_estimator.h"

namespace cairn::search {

struct TpeOptions {
  int n_startup_trials = 10;  // observations before TPE starts; random until then
  int n_ei_candidates = 24;   // candidates drawn from l(x) per parameter
  // Fraction of observations put below: ceil(gamma * n). Unset: Optuna's
  // default_gamma, min(ceil(0.1 * n), 25).
  std::optional<double> gamma;
  double prior_weight = 1.0;  // weight of each estimator's prior component
};

// How an outcome ranks, lower first (Optuna's (-step, loss) pairs).
// Completed trials: (-inf, loss). Stopped trials, after all completed ones:
// (-last step, loss at that step) from their curve, so later-stopped trials
// rank better; (1, 0) with no curve. loss = value, negated when maximizing.
struct Score {
  double step_key = 0;
  double loss = 0;
};
// The score of an outcome, or nullopt when it is no observation (failed,
// interrupted, lost, still queued/running, or completed without a finite value).
std::optional<Score> ScoreOf(const TrialOutcome& outcome, Direction direction);

// n_below for n observations.
int NumBelow(const TpeOptions& options, size_t n);

// True for the n_below best of `scores` (ties: the earlier index wins).
std::vector<bool> SplitBelow(const std::vector<Score>& scores, int n_below);

class TpeSampler : public Sampler {
 public:
  TpeSampler(SearchSpace space, Direction direction, uint64_t seed, TpeOptions options);

  Params Ask(int number) override;
  void Tell(const TrialOutcome& outcome) override;
  std::string Name() const override { return "tpe"; }

 private:
  struct Observation {
    Params params;
    Score score;
  };
  ParamValue SampleParam(const ParamSpec& spec, const std::vector<const Observation*>& obs,
                         const std::vector<bool>& below, Rng& rng) const;

  SearchSpace space_;
  Direction direction_;
  uint64_t seed_;
  TpeOptions options_;
  ParzenOptions parzen_;
  std::map<int, Params> asked_;              // Ask(n) twice gives the same answer
  std::map<int, Observation> observations_;  // by trial number: oldest first
};

}  // namespace cairn::search
