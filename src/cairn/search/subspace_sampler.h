// Domain decomposition (HyperSpace, Young et al. 2018): one sampler per
// overlapping sub-space of the study's space (SplitSpace, space.h), all of
// them told every outcome of the study.
//
// In one process (no `subspace` option) trial n is asked of sub-space
// n mod N, so the N searches take turns. With `subspace: i` only sub-space
// i's sampler is built and asked: one coordinator per sub-space, on one
// store, each seeing the others' trials through the store.
//
// Sharing: every sampler is told every outcome, inside its sub-space or
// not. What a sampler makes of a trial outside its box is its own rule:
// TPE counts only observations inside its space, the grid skips
// combinations anyone ran, random ignores outcomes (docs/samplers.md).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "cairn/sampler.h"

namespace cairn::search {

struct SubspaceOptions {
  int subspaces = 0;               // N, a power of two >= 2; 0: no decomposition
  double overlap = 0.25;           // extra width past the cut on each side, in [0, 1)
  std::optional<int> subspace;     // search only this one (0-based); unset: all, in turn
};

// Sub-space `index`'s seed: its own stream of the study's seed.
uint64_t SubspaceSeed(uint64_t seed, int index);

class SubspaceSampler : public Sampler {
 public:
  // Trial n is asked of searchers[n mod size]; all of them are told every
  // outcome. REQUIRES: at least one searcher.
  explicit SubspaceSampler(std::vector<std::unique_ptr<Sampler>> searchers);

  Params Ask(int number) override;
  void Tell(const TrialOutcome& outcome) override;
  std::string Name() const override { return searchers_.front()->Name(); }
  // One searcher: its capacity. Several take turns and share finished
  // combinations, so no single period exists: nullopt.
  std::optional<int64_t> Capacity() const override;

 private:
  std::vector<std::unique_ptr<Sampler>> searchers_;
};

// Builds the base sampler for one sub-space with its seed.
using SubspaceFactory =
    std::function<Result<std::unique_ptr<Sampler>>(const SearchSpace& subspace, uint64_t seed)>;

// A SubspaceSampler of `make`'s samplers for `parts` (SplitSpace's): all
// of them, or only `options.subspace`. Errors say which sub-space failed.
// REQUIRES: options.subspace, if set, indexes `parts`.
Result<std::unique_ptr<Sampler>> MakeSubspaceSampler(const std::vector<SearchSpace>& parts, uint64_t seed,
                                                     const SubspaceOptions& options, const SubspaceFactory& make);

}  // namespace cairn::search
