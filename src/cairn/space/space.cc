#include "cairn/space.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cairn {

std::string_view ParamKindName(ParamKind kind) {
  switch (kind) {
    case ParamKind::kFloat: return "float";
    case ParamKind::kInt: return "int";
    case ParamKind::kCategorical: return "categorical";
  }
  return "?";
}

const ParamSpec* SearchSpace::Find(const std::string& name) const {
  for (const auto& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool SearchSpace::IsActive(const ParamSpec& spec, const Params& values) const {
  if (!spec.condition) return true;
  auto it = values.find(spec.condition->parent);
  if (it == values.end()) return false;
  for (const auto& v : spec.condition->values) {
    if (v == it->second) return true;
    // 1 and 1.0 name the same choice; true is not 1 (the study file keeps
    // them apart as choices, so a condition must too).
    const bool boolean = std::holds_alternative<bool>(v) || std::holds_alternative<bool>(it->second);
    auto a = ParamValueAsDouble(v), b = ParamValueAsDouble(it->second);
    if (a && b && !boolean && !std::holds_alternative<std::string>(v) && *a == *b) return true;
  }
  return false;
}

namespace {

Status ValidateNumber(const ParamSpec& spec, const ParamValue& v) {
  auto d = ParamValueAsDouble(v);
  if (!d || std::holds_alternative<bool>(v)) {
    return InvalidArgument(fmt::format("parameter '{}': expected a number, got {}", spec.name,
                                       ParamValueToString(v)));
  }
  if (spec.kind == ParamKind::kInt && !std::holds_alternative<int64_t>(v)) {
    return InvalidArgument(fmt::format("parameter '{}': expected an integer, got {}", spec.name,
                                       ParamValueToString(v)));
  }
  if (!std::isfinite(*d) || *d < spec.low || *d > spec.high) {
    return InvalidArgument(fmt::format("parameter '{}': {} is outside [{}, {}]", spec.name, *d,
                                       spec.low, spec.high));
  }
  return Status::Ok();
}

}  // namespace

Status SearchSpace::Validate(const Params& values) const {
  for (const auto& spec : params) {
    bool active = IsActive(spec, values);
    auto it = values.find(spec.name);
    if (!active) {
      if (it != values.end()) {
        return InvalidArgument(fmt::format("parameter '{}' is set but inactive (its condition on '{}' does not hold)",
                                           spec.name, spec.condition->parent));
      }
      continue;
    }
    if (it == values.end()) return InvalidArgument(fmt::format("parameter '{}' is missing", spec.name));
    if (spec.kind == ParamKind::kCategorical) {
      bool found = false;
      for (const auto& c : spec.choices) found = found || c == it->second;
      if (!found) {
        return InvalidArgument(fmt::format("parameter '{}': {} is not one of its choices", spec.name,
                                           ParamValueToString(it->second)));
      }
    } else {
      CAIRN_TRY(ValidateNumber(spec, it->second));
    }
  }
  for (const auto& [name, v] : values) {
    if (Find(name) == nullptr) return InvalidArgument(fmt::format("unknown parameter '{}'", name));
  }
  return Status::Ok();
}

std::string ParamValueToString(const ParamValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return std::get<std::string>(v);
}

nlohmann::json ParamValueToJson(const ParamValue& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

Result<ParamValue> ParamValueFromJson(const nlohmann::json& j) {
  if (j.is_boolean()) return ParamValue(j.get<bool>());
  if (j.is_number_integer()) return ParamValue(j.get<int64_t>());
  if (j.is_number_float()) return ParamValue(j.get<double>());
  if (j.is_string()) return ParamValue(j.get<std::string>());
  return InvalidArgument("expected a number, string or boolean, got " + j.dump());
}

nlohmann::json ParamsToJson(const Params& params) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : params) out[k] = ParamValueToJson(v);
  return out;
}

Result<Params> ParamsFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("parameters must be a JSON object, got " + j.dump());
  Params out;
  for (const auto& [k, v] : j.items()) {
    auto pv = ParamValueFromJson(v);
    if (!pv.ok()) return pv.status().WithContext("parameter '" + k + "'");
    out[k] = *pv;
  }
  return out;
}

std::optional<double> ParamValueAsDouble(const ParamValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  return std::nullopt;
}

SearchSpace SpaceOfParams(const std::vector<Params>& configurations) {
  struct Seen {
    bool numeric = true, integral = true;
    double low = 0.0, high = 0.0;
    std::vector<ParamValue> values;  // distinct, in order of first use
    std::set<ParamValue> distinct;   // the same, for an O(log n) membership test
  };
  std::map<std::string, Seen> seen;
  std::vector<std::string> order;  // first use, so the space reads like the file
  for (const Params& params : configurations) {
    for (const auto& [name, value] : params) {
      auto [it, inserted] = seen.try_emplace(name);
      Seen& s = it->second;
      if (inserted) order.push_back(name);
      const bool is_number = std::holds_alternative<int64_t>(value) || std::holds_alternative<double>(value);
      if (is_number && s.numeric) {
        const double v = *ParamValueAsDouble(value);
        s.low = s.values.empty() ? v : std::min(s.low, v);
        s.high = s.values.empty() ? v : std::max(s.high, v);
        s.integral = s.integral && std::holds_alternative<int64_t>(value);
      }
      s.numeric = s.numeric && is_number;
      if (s.distinct.insert(value).second) s.values.push_back(value);
    }
  }
  SearchSpace space;
  for (const std::string& name : order) {
    const Seen& s = seen.at(name);
    ParamSpec spec;
    spec.name = name;
    if (s.numeric) {
      spec.kind = s.integral ? ParamKind::kInt : ParamKind::kFloat;
      spec.low = s.low;
      spec.high = s.high;
      spec.log = s.low > 0.0 && s.high >= 10.0 * s.low;
    } else {
      spec.kind = ParamKind::kCategorical;
      spec.choices = s.values;
    }
    space.params.push_back(std::move(spec));
  }
  return space;
}

}  // namespace cairn
