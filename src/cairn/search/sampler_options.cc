#include "cairn/search/sampler_options.h"

#include <cmath>

#include <fmt/format.h>

namespace cairn::search {
namespace {

// Every sampler's options for domain decomposition, named in unknown-key errors.
constexpr const char* kDecompositionKeys = "subspaces, overlap, subspace";

Status CheckObject(const std::string& sampler, const nlohmann::json& options) {
  if (options.is_null() || options.is_object()) return Status::Ok();
  return InvalidArgument(fmt::format("{} sampler options must be an object, got {}", sampler, options.dump()));
}

Status BadValue(const std::string& sampler, const std::string& key, const nlohmann::json& v,
                const char* want) {
  return InvalidArgument(fmt::format("{} sampler option '{}': expected {}, got {}", sampler, key, want, v.dump()));
}

Result<int> IntAtLeast(const std::string& sampler, const std::string& key, const nlohmann::json& v, int min) {
  if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > 1'000'000'000) {
    return BadValue(sampler, key, v, min == 0 ? "an integer >= 0" : min == 1 ? "an integer >= 1" : "an integer >= 2");
  }
  return v.get<int>();
}

}  // namespace

Result<TpeOptions> ParseTpeOptions(const nlohmann::json& options) {
  CAIRN_TRY(CheckObject("tpe", options));
  TpeOptions out;
  if (options.is_null()) return out;
  for (const auto& [key, v] : options.items()) {
    if (key == "n_startup_trials") {
      CAIRN_ASSIGN_OR_RETURN(out.n_startup_trials, IntAtLeast("tpe", key, v, 0));
    } else if (key == "n_ei_candidates") {
      CAIRN_ASSIGN_OR_RETURN(out.n_ei_candidates, IntAtLeast("tpe", key, v, 1));
    } else if (key == "gamma") {
      if (!v.is_number() || !(v.get<double>() > 0 && v.get<double>() <= 1)) {
        return BadValue("tpe", key, v, "a fraction in (0, 1]");
      }
      out.gamma = v.get<double>();
    } else if (key == "prior_weight") {
      if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>())) {
        return BadValue("tpe", key, v, "a number > 0");
      }
      out.prior_weight = v.get<double>();
    } else if (key == "multivariate") {
      if (!v.is_boolean()) return BadValue("tpe", key, v, "false");
      if (v.get<bool>()) return InvalidArgument("tpe sampler option 'multivariate': only false (univariate TPE) is supported");
    } else {
      return InvalidArgument(fmt::format(
          "tpe sampler: unknown option '{}' (known: n_startup_trials, n_ei_candidates, gamma, prior_weight, "
          "multivariate, {})",
          key, kDecompositionKeys));
    }
  }
  return out;
}

Result<GridOptions> ParseGridOptions(const nlohmann::json& options) {
  CAIRN_TRY(CheckObject("grid", options));
  GridOptions out;
  if (options.is_null()) return out;
  for (const auto& [key, v] : options.items()) {
    if (key == "grid_points") {
      CAIRN_ASSIGN_OR_RETURN(out.grid_points, IntAtLeast("grid", key, v, 2));
    } else if (key == "shuffle") {
      if (!v.is_boolean()) return BadValue("grid", key, v, "true or false");
      out.shuffle = v.get<bool>();
    } else {
      return InvalidArgument(
          fmt::format("grid sampler: unknown option '{}' (known: grid_points, shuffle, {})", key, kDecompositionKeys));
    }
  }
  return out;
}

Status CheckNoOptions(const std::string& sampler, const nlohmann::json& options) {
  CAIRN_TRY(CheckObject(sampler, options));
  if (options.is_object() && !options.empty()) {
    return InvalidArgument(fmt::format("{} sampler: unknown option '{}' (it takes only {})", sampler,
                                       options.begin().key(), kDecompositionKeys));
  }
  return Status::Ok();
}

Result<SubspaceOptions> TakeSubspaceOptions(const std::string& sampler, nlohmann::json& options) {
  CAIRN_TRY(CheckObject(sampler, options));
  SubspaceOptions out;
  if (!options.is_object()) return out;
  const bool has_overlap = options.contains("overlap");
  if (auto it = options.find("subspaces"); it != options.end()) {
    CAIRN_ASSIGN_OR_RETURN(out.subspaces, IntAtLeast(sampler, "subspaces", *it, 2));
    options.erase(it);
  }
  if (auto it = options.find("overlap"); it != options.end()) {
    if (!it->is_number() || !(it->get<double>() >= 0 && it->get<double>() < 1)) {
      return BadValue(sampler, "overlap", *it, "a fraction in [0, 1)");
    }
    out.overlap = it->get<double>();
    options.erase(it);
  }
  if (auto it = options.find("subspace"); it != options.end()) {
    CAIRN_ASSIGN_OR_RETURN(out.subspace, IntAtLeast(sampler, "subspace", *it, 0));
    options.erase(it);
  }
  if (out.subspaces == 0 && (out.subspace || has_overlap)) {
    return InvalidArgument(fmt::format("{} sampler option '{}': needs 'subspaces: N' (the number of sub-spaces)",
                                       sampler, out.subspace ? "subspace" : "overlap"));
  }
  if (out.subspace && *out.subspace >= out.subspaces) {
    return InvalidArgument(fmt::format("{} sampler option 'subspace': expected 0 to {} (subspaces: {}), got {}",
                                       sampler, out.subspaces - 1, out.subspaces, *out.subspace));
  }
  return out;
}

}  // namespace cairn::search
