#include "cairn/search/grid_sampler.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cairn/search/param_codec.h"
#include "cairn/search/rng.h"

namespace cairn::search {
namespace {

Result<std::vector<ParamValue>> FloatPoints(const ParamSpec& spec, const GridOptions& options) {
  std::vector<ParamValue> out;
  if (spec.low == spec.high) {
    out.emplace_back(spec.low);
    return out;
  }
  if (!options.grid_points) {
    return InvalidArgument(fmt::format(
        "parameter '{}': a float without a step has no grid; give it a step or set the grid option grid_points",
        spec.name));
  }
  const int k = *options.grid_points;
  double lo = spec.log ? std::log(spec.low) : spec.low;
  double hi = spec.log ? std::log(spec.high) : spec.high;
  out.emplace_back(spec.low);
  for (int i = 1; i < k - 1; ++i) {
    double x = lo + (hi - lo) * i / (k - 1);
    // The decimal meant (1e-4..1 in 5 points: 0.001, not 0.0010000000000000002),
    // clipped back inside should rounding step over a bound.
    const double v = spec.log ? CleanDecimal(std::exp(x)) : CleanGridDecimal(x, lo, hi, (hi - lo) / (k - 1));
    out.push_back(std::clamp(v, spec.low, spec.high));
  }
  out.emplace_back(spec.high);
  return out;
}

Result<std::vector<ParamValue>> ValuesOf(const ParamSpec& spec, const GridOptions& options) {
  if (spec.kind == ParamKind::kCategorical) return spec.choices;
  if (spec.kind == ParamKind::kFloat && !spec.step) return FloatPoints(spec, options);
  const int64_t n = GridCount(spec);
  if (n > options.max_size) {
    return InvalidArgument(fmt::format("parameter '{}': {} grid values exceed the limit of {}",
                                       spec.name, n, options.max_size));
  }
  std::vector<ParamValue> out;
  for (int64_t k = 0; k < n; ++k) out.push_back(GridValue(spec, k));
  return out;
}

// Depth-first over the parameters in space order, skipping inactive ones.
Status Expand(const SearchSpace& space, const std::vector<std::vector<ParamValue>>& values, size_t i,
              Params& partial, int64_t max_size, std::vector<Params>& out) {
  if (i == space.params.size()) {
    if (static_cast<int64_t>(out.size()) >= max_size) {
      return InvalidArgument(fmt::format("the grid has more than {} combinations", max_size));
    }
    out.push_back(partial);
    return Status::Ok();
  }
  const ParamSpec& spec = space.params[i];
  if (!space.IsActive(spec, partial)) return Expand(space, values, i + 1, partial, max_size, out);
  for (const auto& v : values[i]) {
    partial[spec.name] = v;
    CAIRN_TRY(Expand(space, values, i + 1, partial, max_size, out));
  }
  partial.erase(spec.name);
  return Status::Ok();
}

}  // namespace

Result<std::vector<Params>> EnumerateGrid(const SearchSpace& space, const GridOptions& options) {
  CAIRN_TRY(CheckSpace(space));
  std::vector<std::vector<ParamValue>> values;
  for (const auto& spec : space.params) {
    CAIRN_ASSIGN_OR_RETURN(auto v, ValuesOf(spec, options));
    values.push_back(std::move(v));
  }
  std::vector<Params> out;
  Params partial;
  CAIRN_TRY(Expand(space, values, 0, partial, options.max_size, out));
  return out;
}

GridSampler::GridSampler(std::vector<Params> grid) : grid_(std::move(grid)), taken_(grid_.size(), false) {
  for (size_t i = 0; i < grid_.size(); ++i) index_.emplace(grid_[i], i);
}

Params GridSampler::Ask(int number) {
  const int64_t n = static_cast<int64_t>(grid_.size());
  const size_t start = static_cast<size_t>(((number % n) + n) % n);
  for (size_t k = 0; k < grid_.size(); ++k) {
    const size_t i = (start + k) % grid_.size();
    if (taken_[i]) continue;
    taken_[i] = true;
    return grid_[i];
  }
  return grid_[start];  // every combination has run: a second pass
}

void GridSampler::Tell(const TrialOutcome& outcome) {
  if (auto it = index_.find(outcome.params); it != index_.end()) taken_[it->second] = true;
}

Result<std::vector<Params>> GridVisitOrder(const SearchSpace& space, uint64_t seed, const GridOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(auto grid, EnumerateGrid(space, options));
  if (options.shuffle) {
    Rng rng(MixSeed(seed, 0x67726964));  // a stream of its own ("grid")
    for (size_t i = grid.size(); i > 1; --i) std::swap(grid[i - 1], grid[rng.Below(i)]);
  }
  return grid;
}

Result<std::unique_ptr<Sampler>> MakeGridSampler(const SearchSpace& space, uint64_t seed,
                                                 const GridOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(auto grid, GridVisitOrder(space, seed, options));
  return std::unique_ptr<Sampler>(std::make_unique<GridSampler>(std::move(grid)));
}

}  // namespace cairn::search
