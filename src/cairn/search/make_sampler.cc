// MakeSampler: the registry of samplers by name.
#include <fmt/format.h>

#include "cairn/sampler.h"
#include "cairn/search/grid_sampler.h"
#include "cairn/search/param_codec.h"
#include "cairn/search/random_sampler.h"
#include "cairn/search/sampler_options.h"
#include "cairn/search/tpe_sampler.h"

namespace cairn {

Result<std::unique_ptr<Sampler>> MakeSampler(const std::string& name, const SearchSpace& space,
                                             Direction direction, uint64_t seed,
                                             const nlohmann::json& options) {
  using Out = std::unique_ptr<Sampler>;
  CAIRN_TRY(search::CheckSpace(space).WithContext(fmt::format("{} sampler", name)));
  if (name == "random") {
    CAIRN_TRY(search::CheckNoOptions(name, options));
    return Out(std::make_unique<search::RandomSampler>(space, seed));
  }
  if (name == "tpe") {
    CAIRN_ASSIGN_OR_RETURN(auto tpe, search::ParseTpeOptions(options));
    return Out(std::make_unique<search::TpeSampler>(space, direction, seed, tpe));
  }
  if (name == "grid") {
    CAIRN_ASSIGN_OR_RETURN(auto grid, search::ParseGridOptions(options));
    auto sampler = search::MakeGridSampler(space, seed, grid);
    if (!sampler.ok()) return sampler.status().WithContext("grid sampler");
    return sampler;
  }
  return InvalidArgument(fmt::format("unknown sampler '{}' (known: random, tpe, grid)", name));
}

}  // namespace cairn
