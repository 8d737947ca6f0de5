#include "cairn/search/subgrid_sampler.h"

namespace cairn::search {

SubgridSampler::SubgridSampler(std::vector<Params> grid) : grid_(std::move(grid)), taken_(grid_.size(), false) {
  for (size_t i = 0; i < grid_.size(); ++i) position_.emplace(grid_[i], i);
}

void SubgridSampler::Take(const Params& params) {
  auto it = position_.find(params);
  if (it != position_.end()) taken_[it->second] = true;
  while (first_free_ < taken_.size() && taken_[first_free_]) ++first_free_;
}

Params SubgridSampler::Ask(int number) {
  auto it = asked_.find(number);
  if (it != asked_.end()) return it->second;
  if (first_free_ < grid_.size()) {
    Params params = grid_[first_free_];
    Take(params);
    return asked_[number] = params;
  }
  // Every combination has been run: cycle, as a plain grid does beyond its size.
  const int64_t n = static_cast<int64_t>(grid_.size());
  return asked_[number] = grid_[static_cast<size_t>(((number % n) + n) % n)];
}

void SubgridSampler::Tell(const TrialOutcome& outcome) {
  asked_.try_emplace(outcome.number, outcome.params);
  // Told params that are no combination of this grid (another sub-space's) take nothing.
  Take(outcome.params);
}

}  // namespace cairn::search
