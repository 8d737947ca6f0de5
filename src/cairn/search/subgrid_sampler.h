// The grid of one sub-space in a decomposed study (subspace_sampler.h).
//
// A plain GridSampler gives trial n combination n mod size, which suits one
// grid fed consecutive numbers. A sub-space's grid is asked only every N-th
// number (one process) or whatever numbers its coordinator wins in a shared
// store, so it would skip combinations; and its neighbours run the
// combinations the sub-spaces share. So this one hands out, in visit
// order, the first combination nobody has taken yet: asked here, or told
// (finished by any coordinator, this one or another, now or before a resume).
// Once every combination is taken it cycles like a GridSampler.
#pragma once

#include <map>
#include <vector>

#include "cairn/sampler.h"

namespace cairn::search {

class SubgridSampler : public Sampler {
 public:
  // `grid`: the combinations in visit order (GridVisitOrder).
  // REQUIRES: `grid` is non-empty.
  explicit SubgridSampler(std::vector<Params> grid);

  Params Ask(int number) override;
  void Tell(const TrialOutcome& outcome) override;
  std::string Name() const override { return "grid"; }
  std::optional<int64_t> Capacity() const override { return static_cast<int64_t>(grid_.size()); }

 private:
  void Take(const Params& params);

  std::vector<Params> grid_;
  std::map<Params, size_t> position_;  // combination -> index in grid_
  std::vector<bool> taken_;
  size_t first_free_ = 0;              // no free combination before it
  std::map<int, Params> asked_;        // Ask(n) twice gives the same answer
};

}  // namespace cairn::search
