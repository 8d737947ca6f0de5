// The grid sampler: every combination of the parameters' values, once.
//
// Values per parameter: all choices of a categorical, every grid point of
// an int or stepped float, and for floats without a step `grid_points`
// evenly spaced values (log-spaced for log parameters); without that
// option such floats are an error. A conditional parameter is expanded only
// under the parent values that activate it.
//
// Beyond the grid, trials cycle: trial n gets combination n mod size
// (in a seed-shuffled order unless `shuffle` is false). Capacity() says the
// size so a coordinator can stop after one pass.
#pragma once

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
  explicit GridSampler(std::vector<Params> grid) : grid_(std::move(grid)) {}

  Params Ask(int number) override;
  void Tell(const TrialOutcome&) override {}  // a grid learns nothing
  std::string Name() const override { return "grid"; }
  std::optional<int64_t> Capacity() const override { return static_cast<int64_t>(grid_.size()); }

 private:
  std::vector<Params> grid_;
};

// EnumerateGrid, shuffled with `seed` when options.shuffle: the order in
// which a grid sampler visits the combinations.
Result<std::vector<Params>> GridVisitOrder(const SearchSpace& space, uint64_t seed, const GridOptions& options);

// GridVisitOrder in a GridSampler.
Result<std::unique_ptr<Sampler>> MakeGridSampler(const SearchSpace& space, uint64_t seed,
                                                 const GridOptions& options);

}  // namespace cairn::search
