// The random sampler: every trial drawn uniformly and independently.
#pragma once

#include <map>

#include "cairn/sampler.h"
#include "cairn/search/rng.h"

namespace cairn::search {

// Draws the active parameters of one trial, parents before children
// (space order), each with DrawUniform.
Params DrawRandomParams(const SearchSpace& space, Rng& rng);

// Trial n's parameters depend only on (seed, n): its generator is seeded
// with MixSeed(seed, n), so the order of asks and tells does not matter.
class RandomSampler : public Sampler {
 public:
  RandomSampler(SearchSpace space, uint64_t seed) : space_(std::move(space)), seed_(seed) {}

  Params Ask(int number) override;
  void Tell(const TrialOutcome& outcome) override;
  std::string Name() const override { return "random"; }

 private:
  SearchSpace space_;
  uint64_t seed_;
  std::map<int, Params> asked_;  // Ask(n) twice gives the same answer
};

}  // namespace cairn::search
