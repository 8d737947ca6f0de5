#include "cairn/search/random_sampler.h"

#include "cairn/search/param_codec.h"

namespace cairn::search {

Params DrawRandomParams(const SearchSpace& space, Rng& rng) {
  Params params;
  for (const auto& spec : space.params) {
    if (space.IsActive(spec, params)) params[spec.name] = DrawUniform(spec, rng);
  }
  return params;
}

Params RandomSampler::Ask(int number) {
  auto it = asked_.find(number);
  if (it != asked_.end()) return it->second;
  Rng rng(MixSeed(seed_, static_cast<uint64_t>(number)));
  return asked_[number] = DrawRandomParams(space_, rng);
}

void RandomSampler::Tell(const TrialOutcome& outcome) {
  // Outcomes teach a random sampler nothing; remembering the parameters
  // keeps Ask consistent for trials loaded from the store on resume.
  asked_.try_emplace(outcome.number, outcome.params);
}

}  // namespace cairn::search
