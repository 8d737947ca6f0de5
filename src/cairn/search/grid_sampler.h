// The grid sampler: every combination of the parameters' values, once.
//
// Values per parameter: all choices of a categorical, every grid point of
// an int or stepped float, and for floats without a step `grid_points`
// evenly spaced values (log-spaced for log parameters); without that
// option such floats are an error. A conditional parameter is expanded only
// under the parent values that activate it.
//
// Trial n gets combination n mod size (in a seed-shuffled order unless
// `shuffle` is false), or, when that one was already asked for or told
// (a retry or a re-run took a trial number without asking), the next one
// not yet run, so a pass covers every combination once. Beyond the grid,
// trials cycle. Capacity() says the size so a coordinator can stop after one
// pass. Coordinators sharing a study each ask by their trials' numbers,
// which the store keeps distinct.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "cairn/sampler.h"

namespace cairn::search {

struct GridOptions {
  // Values for floats without a step (>= 2); unset: such floats are an error.
  std::optional<int> grid_points;
  // Visit the combinations in an order shuffled by the seed, so a study cut
  // short still covers the space; false keeps the nested-loop order.
  bool shuffle = true;
  // Larger grids are refused (InvalidArgument) rather than built.
  int64_t max_size = 1'000'000;
};

// Every combination, in nested-loop order (the first parameter slowest).
Result<std::vector<Params>> EnumerateGrid(const SearchSpace& space, const GridOptions& options);

class GridSampler : public Sampler {
 public:
  // REQUIRES: `grid` is non-empty (EnumerateGrid always gives one combination or more).
  explicit GridSampler(std::vector<Params> grid);

  Params Ask(int number) override;
  // A grid learns nothing but which combinations have run.
  void Tell(const TrialOutcome& outcome) override;
  std::string Name() const override { return "grid"; }
  std::optional<int64_t> Capacity() const override { return static_cast<int64_t>(grid_.size()); }

 private:
  std::vector<Params> grid_;
  std::map<Params, size_t> index_;  // combination -> its place in grid_
  std::vector<bool> taken_;         // asked for or told, by place
};

// EnumerateGrid, shuffled with `seed` when options.shuffle: the order in
// which a grid sampler visits the combinations.
Result<std::vector<Params>> GridVisitOrder(const SearchSpace& space, uint64_t seed, const GridOptions& options);

// GridVisitOrder in a GridSampler.
Result<std::unique_ptr<Sampler>> MakeGridSampler(const SearchSpace& space, uint64_t seed,
                                                 const GridOptions& options);

}  // namespace cairn::search
