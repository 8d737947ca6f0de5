// Search spaces: parameter definitions and parameter values.
//
// A SearchSpace is an ordered list of ParamSpec. A parameter with a
// `condition` exists only when its parent parameter (defined earlier) has one
// of the listed values; samplers skip inactive parameters, and Params then
// simply lacks that name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cairn/status.h"

namespace cairn {

// One parameter value. Categorical choices may be any of these.
using ParamValue = std::variant<int64_t, double, std::string, bool>;
// Parameter name -> value, for the parameters active in one trial.
using Params = std::map<std::string, ParamValue>;

enum class ParamKind {
  kFloat,        // real number in [low, high], optionally log scale or stepped
  kInt,          // integer in [low, high], optionally log scale or stepped
  kCategorical,  // one of `choices`
};

struct Condition {
  std::string parent;               // name of an earlier parameter
  std::vector<ParamValue> values;   // active when parent's value is one of these
};

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::kFloat;
  double low = 0.0;                 // kFloat/kInt: inclusive bounds
  double high = 1.0;
  bool log = false;                 // sample uniformly in log space (low > 0)
  std::optional<double> step;       // grid step from low (kFloat/kInt)
  std::vector<ParamValue> choices;  // kCategorical
  std::optional<Condition> condition;
};

struct SearchSpace {
  std::vector<ParamSpec> params;  // definition order; parents before children

  const ParamSpec* Find(const std::string& name) const;
  // True when `spec` has no condition or its parent's value in `params`
  // is one of the condition's values.
  bool IsActive(const ParamSpec& spec, const Params& params) const;
  // Checks bounds, kinds, choices and conditions of a full assignment.
  Status Validate(const Params& params) const;
};

std::string_view ParamKindName(ParamKind kind);

// Display/JSON helpers.
std::string ParamValueToString(const ParamValue& v);
nlohmann::json ParamValueToJson(const ParamValue& v);
// JSON integers become int64_t, JSON floats double; null/arrays/objects are errors.
Result<ParamValue> ParamValueFromJson(const nlohmann::json& j);
nlohmann::json ParamsToJson(const Params& params);
Result<Params> ParamsFromJson(const nlohmann::json& j);
// As a double for numeric values (bool -> 0/1); nullopt for strings.
std::optional<double> ParamValueAsDouble(const ParamValue& v);

}  // namespace cairn
