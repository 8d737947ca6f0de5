// Reading samplers' options from JSON (the study file's `sampler.options`).
// Unknown keys and wrong types are InvalidArgument naming the key.
#pragma once

#include <nlohmann/json.hpp>

#include "cairn/search/grid_sampler.h"
#include "cairn/search/subspace_sampler.h"
#include "cairn/search/tpe_sampler.h"
#include "cairn/status.h"

namespace cairn::search {

// n_startup_trials (int >= 0), n_ei_candidates (int >= 1), gamma (number in
// (0, 1]), prior_weight (number > 0), multivariate (false only).
Result<TpeOptions> ParseTpeOptions(const nlohmann::json& options);
// grid_points (int >= 2), shuffle (bool).
Result<GridOptions> ParseGridOptions(const nlohmann::json& options);
// subspaces (int >= 2), overlap (number in [0, 1)) and subspace (int >=
// 0), which every sampler takes (domain decomposition): read and removed
// from `options`, the rest being the base sampler's. overlap and subspace
// need subspaces.
Result<SubspaceOptions> TakeSubspaceOptions(const std::string& sampler, nlohmann::json& options);
// The random sampler takes no options of its own: any key is an error.
Status CheckNoOptions(const std::string& sampler, const nlohmann::json& options);

}  // namespace cairn::search
