// Samplers: ask/tell search over a SearchSpace, deterministic for a seed.
//
// A sampler never touches processes or the store. The coordinator (or any
// C++ program) asks for the parameters of trial `number`, runs it however it
// likes and tells the outcome. Trials may be told out of order and several
// may be pending at once (parallel trials).
//
//   auto sampler = MakeSampler("tpe", space, Direction::kMaximize, /*seed=*/1);
//   Params p = (*sampler)->Ask(0);
//   (*sampler)->Tell({0, p, TrialState::kCompleted, f(p), {}});
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/space.h"
#include "cairn/status.h"
#include "cairn/trial.h"

namespace cairn {

struct TrialOutcome {
  int number = 0;
  Params params;
  TrialState state = TrialState::kCompleted;
  std::optional<double> value;  // final objective value, if any
  // Intermediate objective values by step (TPE may use those of stopped trials).
  std::vector<std::pair<int64_t, double>> curve;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  // Parameters for trial `number`; only active parameters are set.
  virtual Params Ask(int number) = 0;
  // The outcome of a trial previously asked (or loaded from the store on resume).
  virtual void Tell(const TrialOutcome& outcome) = 0;
  virtual std::string Name() const = 0;
  // How many distinct parameter sets the sampler gives before it repeats
  // itself (the grid's size: trial n and n + size get the same set);
  // nullopt when unbounded. A coordinator may stop after that many trials.
  virtual std::optional<int64_t> Capacity() const { return std::nullopt; }
};

// name: "random" | "tpe" | "grid" (more may be registered by later parts).
// options: sampler-specific (for tpe: n_startup_trials, n_ei_candidates, gamma,
// prior_weight, multivariate=false; for grid: grid_points, shuffle; none for
// random), plus, for every sampler, domain decomposition: subspaces (N, a
// power of two), overlap (default 0.25) and subspace (search only that one
// of the N; unset: trial n asks sub-space n mod N). See docs/samplers.md.
// Unknown names or options, and spaces a sampler cannot search (log with
// low <= 0, empty choices, a float grid without grid_points...), are
// InvalidArgument naming the option or parameter.
Result<std::unique_ptr<Sampler>> MakeSampler(const std::string& name,
                                             const SearchSpace& space,
                                             Direction direction, uint64_t seed,
                                             const nlohmann::json& options = nlohmann::json::object());

}  // namespace cairn
