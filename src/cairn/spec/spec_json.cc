// StudySpec::ToJson: the parsed study as JSON, for the store and for tools.
#include <nlohmann/json.hpp>

#include "cairn/spec.h"

namespace cairn {
namespace {

// Version of the JSON layout below; bump it when a field changes meaning.
constexpr int kSpecJsonVersion = 1;

nlohmann::json BoundToJson(const ParamSpec& p, double v) {
  if (p.kind == ParamKind::kInt) return static_cast<int64_t>(v);
  return v;
}

nlohmann::json ParamToJson(const ParamSpec& p) {
  nlohmann::json j = {{"name", p.name}, {"type", std::string(ParamKindName(p.kind))}};
  if (p.kind == ParamKind::kCategorical) {
    nlohmann::json choices = nlohmann::json::array();
    for (const auto& c : p.choices) choices.push_back(ParamValueToJson(c));
    j["choices"] = std::move(choices);
  } else {
    j["low"] = BoundToJson(p, p.low);
    j["high"] = BoundToJson(p, p.high);
    j["log"] = p.log;
    if (p.step) j["step"] = BoundToJson(p, *p.step);
  }
  if (p.condition) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& v : p.condition->values) values.push_back(ParamValueToJson(v));
    j["when"] = {{"parent", p.condition->parent}, {"values", std::move(values)}};
  }
  return j;
}

nlohmann::json SpaceToJson(const SearchSpace& space) {
  nlohmann::json params = nlohmann::json::array();
  for (const auto& p : space.params) params.push_back(ParamToJson(p));
  return params;
}

nlohmann::json PathsToJson(const std::vector<std::filesystem::path>& paths) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : paths) out.push_back(p.string());
  return out;
}

}  // namespace

namespace {

std::optional<ParamSpec> ParamFromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.value("name", nlohmann::json()).is_string()) return std::nullopt;
  ParamSpec p;
  p.name = j["name"].get<std::string>();
  const std::string type = j.value("type", std::string());
  if (type == "categorical") {
    p.kind = ParamKind::kCategorical;
    if (!j.value("choices", nlohmann::json()).is_array()) return std::nullopt;
    for (const auto& c : j["choices"]) {
      auto v = ParamValueFromJson(c);
      if (!v.ok()) return std::nullopt;
      p.choices.push_back(std::move(*v));
    }
  } else if (type == "float" || type == "int") {
    p.kind = type == "int" ? ParamKind::kInt : ParamKind::kFloat;
    if (!j.value("low", nlohmann::json()).is_number() || !j.value("high", nlohmann::json()).is_number()) {
      return std::nullopt;
    }
    p.low = j["low"].get<double>();
    p.high = j["high"].get<double>();
    p.log = j.value("log", false);
    if (j.value("step", nlohmann::json()).is_number()) p.step = j["step"].get<double>();
  } else {
    return std::nullopt;
  }
  if (const auto when = j.value("when", nlohmann::json()); when.is_object()) {
    Condition c;
    c.parent = when.value("parent", std::string());
    for (const auto& v : when.value("values", nlohmann::json::array())) {
      auto value = ParamValueFromJson(v);
      if (!value.ok()) return std::nullopt;
      c.values.push_back(std::move(*value));
    }
    p.condition = std::move(c);
  }
  return p;
}

}  // namespace

std::optional<SearchSpace> SpaceOf(const nlohmann::json& spec_json) {
  if (!spec_json.is_object() || !spec_json.value("space", nlohmann::json()).is_array()) return std::nullopt;
  SearchSpace space;
  for (const auto& j : spec_json["space"]) {
    std::optional<ParamSpec> p = ParamFromJson(j);
    if (!p) return std::nullopt;
    space.params.push_back(std::move(*p));
  }
  return space;
}

ObjectiveBounds ObjectiveBoundsOf(const nlohmann::json& spec_json) {
  ObjectiveBounds out;
  if (!spec_json.is_object()) return out;
  const nlohmann::json bounds = spec_json.value("/objective/bounds"_json_pointer, nlohmann::json());
  if (!bounds.is_array() || bounds.size() != 2) return out;
  if (bounds[0].is_number()) out.lower = bounds[0].get<double>();
  if (bounds[1].is_number()) out.upper = bounds[1].get<double>();
  return out;
}

std::optional<int64_t> MaxStepsOf(const nlohmann::json& spec_json) {
  if (!spec_json.is_object()) return std::nullopt;
  const nlohmann::json steps = spec_json.value("/budget/max_steps"_json_pointer, nlohmann::json());
  if (!steps.is_number_integer() || steps.get<int64_t>() < 1) return std::nullopt;
  return steps.get<int64_t>();
}

nlohmann::json StudySpec::ToJson() const {
  nlohmann::json patterns_json = nlohmann::json::array();
  for (const auto& p : patterns) patterns_json.push_back({{"name", p.name}, {"regex", p.regex}});
  nlohmann::json budget = {{"trials", trials}, {"parallel", parallel}, {"grace_s", grace_s},
                           {"max_retries", max_retries}};
  budget["max_steps"] = max_steps ? nlohmann::json(*max_steps) : nlohmann::json(nullptr);
  budget["timeout_s"] = timeout_s ? nlohmann::json(*timeout_s) : nlohmann::json(nullptr);
  nlohmann::json objective = {{"metric", metric}, {"direction", std::string(DirectionName(direction))},
                               {"step", step_key}};
  if (lower_bound || upper_bound) {
    objective["bounds"] = {lower_bound ? nlohmann::json(*lower_bound) : nlohmann::json(nullptr),
                           upper_bound ? nlohmann::json(*upper_bound) : nlohmann::json(nullptr)};
  }
  return {
      {"version", kSpecJsonVersion},
      {"name", name},
      {"source", source.string()},
      {"command", command},
      {"workdir", workdir.string()},
      {"env", env},
      {"space", SpaceToJson(space)},
      {"objective", std::move(objective)},
      {"metrics", {{"patterns", std::move(patterns_json)}}},
      {"budget", std::move(budget)},
      {"resources",
       {{"gpus", gpus_per_trial}, {"packing", packing}, {"margin", packing_margin},
        {"max_per_gpu", max_trials_per_gpu}}},
      {"sampler", {{"name", sampler}, {"seed", seed}, {"options", sampler_options}}},
      {"pruner", {{"name", pruner}, {"options", pruner_options}}},
      {"datasets", PathsToJson(datasets)},
      {"executor", {{"name", executor}, {"options", executor_options}}},
  };
}

}  // namespace cairn
