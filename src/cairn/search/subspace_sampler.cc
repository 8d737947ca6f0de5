#include "cairn/search/subspace_sampler.h"

#include <fmt/format.h>

#include "cairn/search/rng.h"

namespace cairn::search {

uint64_t SubspaceSeed(uint64_t seed, int index) {
  // A stream apart from the per-trial streams MixSeed(seed, n) that a
  // sampler without decomposition would use.
  return MixSeed(MixSeed(seed, 0x7375627370616365), static_cast<uint64_t>(index));  // "subspace"
}

SubspaceSampler::SubspaceSampler(std::vector<std::unique_ptr<Sampler>> searchers)
    : searchers_(std::move(searchers)) {}

Params SubspaceSampler::Ask(int number) {
  const int n = static_cast<int>(searchers_.size());
  return searchers_[static_cast<size_t>(((number % n) + n) % n)]->Ask(number);
}

void SubspaceSampler::Tell(const TrialOutcome& outcome) {
  for (auto& searcher : searchers_) searcher->Tell(outcome);
}

std::optional<int64_t> SubspaceSampler::Capacity() const {
  if (searchers_.size() == 1) return searchers_.front()->Capacity();
  return std::nullopt;
}

Result<std::unique_ptr<Sampler>> MakeSubspaceSampler(const std::vector<SearchSpace>& parts, uint64_t seed,
                                                     const SubspaceOptions& options, const SubspaceFactory& make) {
  std::vector<std::unique_ptr<Sampler>> searchers;
  for (size_t i = 0; i < parts.size(); ++i) {
    const int index = static_cast<int>(i);
    if (options.subspace && index != *options.subspace) continue;
    auto searcher = make(parts[i], SubspaceSeed(seed, index));
    if (!searcher.ok()) return searcher.status().WithContext(fmt::format("sub-space {}", i));
    searchers.push_back(std::move(*searcher));
  }
  return std::unique_ptr<Sampler>(std::make_unique<SubspaceSampler>(std::move(searchers)));
}

}  // namespace cairn::search
