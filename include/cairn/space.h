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

// Domain decomposition (HyperSpace, Young et al. 2018): `parts` overlapping
// sub-spaces that together cover `space`, for one search per sub-space.
//
// The split parameters are SplitParams(space)[0 .. log2(parts) - 1]; bit j
// of a sub-space's index (least significant first) picks the lower (0) or
// upper (1) part of parameter j, so sub-space 0 is all lower parts. A float
// or int [low, high] is halved in its own scale (log space for log
// parameters): the lower part ends, and the upper part starts,
// `overlap` x half the width past the middle, onto the parameter's grid for
// ints and steps. A categorical's choice list is halved: each part keeps
// ceil(k/2) + floor(overlap * k/2) choices from its end. Other parameters
// are copied. Errors (InvalidArgument) name `subspaces` (parts not a power
// of two >= 2, or more than the space can give) or `overlap` (not in [0, 1)).
// REQUIRES: numeric bounds finite and ordered, log parameters with low > 0.
//
//   auto parts = SplitSpace(space, 4);  // two parameters halved, 4 boxes
Result<std::vector<SearchSpace>> SplitSpace(const SearchSpace& space, int parts, double overlap = 0.25);

// The parameters SplitSpace may split, in the order it uses them: those
// without a condition that can take two values or more, numbers first then
// categoricals, each in definition order. (Numbers first: halves of a
// range are regions a model can exploit; a choice list has no order.)
std::vector<std::string> SplitParams(const SearchSpace& space);

// The space a set of configurations spans (a curve file's, a finished
// study's), for rules that learn from parameters: a parameter whose values
// are all numbers is a float (an int when all are integers) between its
// smallest and largest value, on a log scale when they are positive and span
// a factor of 10 or more (a learning rate, a parameter count); any other is
// categorical over its distinct values in order of first use. A parameter
// some configurations lack is still defined (they lack it, as an inactive
// one). Parameters are in order of first use.
SearchSpace SpaceOfParams(const std::vector<Params>& configurations);

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
