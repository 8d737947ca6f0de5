// MakeSampler: the registry of samplers by name, and domain decomposition
// around any of them.
#include <fmt/format.h>

#include "cairn/sampler.h"
#include "cairn/search/grid_sampler.h"
#include "cairn/search/param_codec.h"
#include "cairn/search/random_sampler.h"
#include "cairn/search/sampler_options.h"
#include "cairn/search/subgrid_sampler.h"
#include "cairn/search/subspace_sampler.h"
#include "cairn/search/tpe_sampler.h"

namespace cairn {
namespace {

using Out = std::unique_ptr<Sampler>;

// A grid in a decomposed study skips what any sub-space already ran
// (subgrid_sampler.h); alone it keeps the plain n mod size order.
Result<Out> MakeGrid(const SearchSpace& space, uint64_t seed, const nlohmann::json& options, bool decomposed) {
  // The option checks name the sampler themselves; the grid's own errors
  // (a float without a step) are named here.
  CAIRN_ASSIGN_OR_RETURN(auto grid, search::ParseGridOptions(options));
  if (!decomposed) {
    auto sampler = search::MakeGridSampler(space, seed, grid);
    if (!sampler.ok()) return sampler.status().WithContext("grid sampler");
    return sampler;
  }
  auto order = search::GridVisitOrder(space, seed, grid);
  if (!order.ok()) return order.status().WithContext("grid sampler");
  return Out(std::make_unique<search::SubgridSampler>(std::move(*order)));
}

bool IsKnown(const std::string& name) { return name == "random" || name == "tpe" || name == "grid"; }

Result<Out> MakeBase(const std::string& name, const SearchSpace& space, Direction direction, uint64_t seed,
                     const nlohmann::json& options, bool decomposed) {
  if (name == "random") {
    CAIRN_TRY(search::CheckNoOptions(name, options));
    return Out(std::make_unique<search::RandomSampler>(space, seed));
  }
  if (name == "tpe") {
    CAIRN_ASSIGN_OR_RETURN(auto tpe, search::ParseTpeOptions(options));
    return Out(std::make_unique<search::TpeSampler>(space, direction, seed, tpe));
  }
  if (name == "grid") {
    return MakeGrid(space, seed, options, decomposed);
  }
  return InvalidArgument(fmt::format("unknown sampler '{}' (known: random, tpe, grid)", name));
}

}  // namespace

Result<std::unique_ptr<Sampler>> MakeSampler(const std::string& name, const SearchSpace& space,
                                             Direction direction, uint64_t seed,
                                             const nlohmann::json& options) {
  CAIRN_TRY(search::CheckSpace(space).WithContext(fmt::format("{} sampler", name)));
  nlohmann::json base_options = options;
  CAIRN_ASSIGN_OR_RETURN(auto decomposition, search::TakeSubspaceOptions(name, base_options));
  if (decomposition.subspaces == 0) return MakeBase(name, space, direction, seed, base_options, false);
  if (!IsKnown(name)) return MakeBase(name, space, direction, seed, base_options, false);  // the error
  auto parts = SplitSpace(space, decomposition.subspaces, decomposition.overlap);
  if (!parts.ok()) return parts.status().WithContext(fmt::format("{} sampler", name));
  auto make = [&](const SearchSpace& part, uint64_t part_seed) {
    return MakeBase(name, part, direction, part_seed, base_options, true);
  };
  return search::MakeSubspaceSampler(*parts, seed, decomposition, make);
}

}  // namespace cairn
