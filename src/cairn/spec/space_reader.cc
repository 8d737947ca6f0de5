#include "cairn/spec/space_reader.h"

#include <cmath>

#include <fmt/format.h>

#include "cairn/search/param_codec.h"

namespace cairn::spec_internal {
namespace {

const std::vector<std::string_view> kAllKeys = {"type", "low", "high", "log", "step", "choices", "when"};
const std::vector<std::string_view> kNumericKeys = {"type", "low", "high", "log", "step", "when"};
const std::vector<std::string_view> kCategoricalKeys = {"type", "choices", "when"};

bool IsValidParamName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

Result<ParamKind> ReadKind(const YamlContext& ctx, const MapFields& map) {
  CAIRN_ASSIGN_OR_RETURN(const Field* f, ctx.Require(map, "type", "type: float, int or categorical"));
  CAIRN_ASSIGN_OR_RETURN(std::string type, ctx.String(*f));
  if (type == "float") return ParamKind::kFloat;
  if (type == "int") return ParamKind::kInt;
  if (type == "categorical") return ParamKind::kCategorical;
  return ctx.Error(f->ValueMark(), fmt::format("{} is '{}'", f->Label(), type),
                   "float, int or categorical");
}

// Keys valid for some type but not this one are errors at the key.
Status CheckKeysForKind(const YamlContext& ctx, const MapFields& map, ParamKind kind) {
  const auto& allowed = kind == ParamKind::kCategorical ? kCategoricalKeys : kNumericKeys;
  for (const auto& f : map.fields()) {
    if (std::find(allowed.begin(), allowed.end(), f.key) == allowed.end()) {
      return ctx.Error(f.key_node.Mark(),
                       fmt::format("'{}' does not apply to a {} parameter ({})", f.key,
                                   ParamKindName(kind), map.what()),
                       "one of " + JoinChoices(allowed));
    }
  }
  return Status::Ok();
}

Result<double> ReadBound(const YamlContext& ctx, const MapFields& map, std::string_view key,
                         ParamKind kind) {
  std::string expected = fmt::format("'{}: <{}>'", key, kind == ParamKind::kInt ? "integer" : "number");
  CAIRN_ASSIGN_OR_RETURN(const Field* f, ctx.Require(map, key, expected));
  if (kind == ParamKind::kInt) {
    CAIRN_ASSIGN_OR_RETURN(int64_t i, ctx.Int(*f));
    // Samplers draw in double, which holds every integer up to 2^53 and no
    // more: beyond it draws leave the range or the step grid.
    constexpr int64_t kExactInDouble = int64_t{1} << 53;
    if (i > kExactInDouble || i < -kExactInDouble) {
      return ctx.Error(f->ValueMark(), fmt::format("'{}' ({}) of {} is beyond what a sampler draws exactly", key, i,
                                                   map.what()),
                       fmt::format("an integer between -{} and {} (2^53)", kExactInDouble, kExactInDouble));
    }
    return static_cast<double>(i);
  }
  return ctx.Number(*f);
}

Status ReadNumeric(const YamlContext& ctx, const MapFields& map, ParamSpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(spec.low, ReadBound(ctx, map, "low", spec.kind));
  CAIRN_ASSIGN_OR_RETURN(spec.high, ReadBound(ctx, map, "high", spec.kind));
  if (spec.low >= spec.high) {
    const Field* high = map.Find("high");
    return ctx.Error(high->ValueMark(),
                     fmt::format("'high' ({}) of {} is not above 'low' ({})", spec.high, map.what(), spec.low),
                     "low < high");
  }
  if (!std::isfinite(spec.high - spec.low)) {
    // Samplers work on high - low: a range wider than a double holds would
    // turn every draw into inf or NaN.
    return ctx.Error(map.Find("high")->ValueMark(),
                     fmt::format("the range of {} from {} to {} is wider than a double can hold", map.what(),
                                 spec.low, spec.high),
                     "high - low below 1.7e308");
  }
  if (const Field* f = map.Find("log")) {
    CAIRN_ASSIGN_OR_RETURN(spec.log, ctx.Bool(*f));
    if (spec.log && spec.low <= 0) {
      const Field* low = map.Find("low");
      return ctx.Error(low->ValueMark(),
                       fmt::format("'low' ({}) of {} is not positive but 'log' is true", spec.low, map.what()),
                       "low > 0 on a log scale");
    }
  }
  if (const Field* f = map.Find("step")) {
    double step = 0;
    if (spec.kind == ParamKind::kInt) {
      CAIRN_ASSIGN_OR_RETURN(int64_t i, ctx.Int(*f));
      step = static_cast<double>(i);
    } else {
      CAIRN_ASSIGN_OR_RETURN(step, ctx.Number(*f));
    }
    if (step <= 0 || step > spec.high - spec.low) {
      return ctx.Error(f->ValueMark(), fmt::format("{} is {}", f->Label(), step),
                       fmt::format("a step above 0 and at most high - low ({})", spec.high - spec.low));
    }
    if (spec.log) {
      return ctx.Error(f->key_node.Mark(), fmt::format("{} is set together with 'log: true'", f->Label()),
                       "either a log scale or a step, not both");
    }
    // Past 1e15 points, low + k * step no longer lands on the grid in double
    // precision, and the grid's size overflows: no step is that fine.
    constexpr double kMaxGridPoints = 1e15;
    if ((spec.high - spec.low) / step > kMaxGridPoints) {
      return ctx.Error(f->ValueMark(), fmt::format("{} is {}, {:.3g} points from low to high", f->Label(), step,
                                                   (spec.high - spec.low) / step),
                       fmt::format("a step of at least (high - low) / 1e15 ({:.3g}), or no step",
                                   (spec.high - spec.low) / kMaxGridPoints));
    }
    spec.step = step;
  }
  return Status::Ok();
}

Status ReadChoices(const YamlContext& ctx, const MapFields& map, ParamSpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(const Field* f, ctx.Require(map, "choices", "'choices: [a, b, ...]'"));
  if (!f->value.IsSequence() || f->value.size() == 0) {
    return ctx.Error(f->ValueMark(), fmt::format("{} is {}", f->Label(),
                                                 f->value.IsSequence() ? "an empty list" : DescribeNode(f->value)),
                     "a non-empty list of values");
  }
  for (const auto& item : f->value) {
    CAIRN_ASSIGN_OR_RETURN(ParamValue v, ctx.Value(item, item.Mark(), "a choice of " + map.what()));
    // The program sees a choice as text: 1, 1.0 and "1" would be one choice
    // drawn three times as often as the others.
    const std::string text = ParamValueToString(v);
    if (std::any_of(spec.choices.begin(), spec.choices.end(),
                    [&](const ParamValue& c) { return ParamValueToString(c) == text; })) {
      return ctx.Error(item.Mark(), fmt::format("duplicate choice '{}' in {}", text, map.what()),
                       "each choice once (choices that read the same, such as 1, 1.0 and \"1\", are one)");
    }
    spec.choices.push_back(std::move(v));
  }
  return Status::Ok();
}

// Whether `parent` can take the value `v` (1 and 1.0 are the same number).
bool ParentCanTake(const ParamSpec& parent, const ParamValue& v) {
  auto as_number = ParamValueAsDouble(v);
  bool is_number = as_number && !std::holds_alternative<bool>(v);
  if (parent.kind == ParamKind::kCategorical) {
    for (const auto& c : parent.choices) {
      auto c_number = ParamValueAsDouble(c);
      if (c == v) return true;
      if (is_number && c_number && !std::holds_alternative<bool>(c) && *c_number == *as_number) return true;
    }
    return false;
  }
  if (!is_number || *as_number < parent.low || *as_number > parent.high) return false;
  if (parent.kind == ParamKind::kInt && std::trunc(*as_number) != *as_number) return false;
  if (!parent.step) return true;
  // On the step grid from low (within rounding: 0.1-steps are inexact).
  const double k = (*as_number - parent.low) / *parent.step;
  return std::fabs(k - std::round(k)) < 1e-9;
}

std::string ParentDomain(const ParamSpec& parent) {
  if (parent.kind != ParamKind::kCategorical) {
    return fmt::format("{} in [{}, {}]{}", parent.kind == ParamKind::kInt ? "an integer" : "a number",
                       parent.low, parent.high,
                       parent.step ? fmt::format(" on its step {} from {}", *parent.step, parent.low) : "");
  }
  std::vector<std::string> names;
  for (const auto& c : parent.choices) names.push_back(ParamValueToString(c));
  return fmt::format("one of {}", fmt::join(names, ", "));
}

Status ReadCondition(const YamlContext& ctx, const Field& when, const SearchSpace& earlier,
                     ParamSpec& spec) {
  CAIRN_ASSIGN_OR_RETURN(MapFields map, ctx.Map(when, fmt::format("'when' of parameter '{}'", spec.name), {}, true));
  if (map.fields().size() != 1) {
    return ctx.Error(when.ValueMark(),
                     fmt::format("'when' of parameter '{}' has {} keys", spec.name, map.fields().size()),
                     "exactly one earlier parameter: 'when: {optimizer: sgd}'");
  }
  const Field& cond = map.fields()[0];
  const ParamSpec* parent = earlier.Find(cond.key);
  if (parent == nullptr) {
    bool self = cond.key == spec.name;
    return ctx.Error(cond.key_node.Mark(),
                     fmt::format("parameter '{}' is conditioned on '{}', {}", spec.name, cond.key,
                                 self ? "itself" : "which is not defined before it"),
                     "a parameter defined earlier in 'space'");
  }
  Condition condition{parent->name, {}};
  std::vector<YAML::Node> items;
  if (cond.value.IsSequence()) {
    for (const auto& item : cond.value) items.push_back(item);
  } else {
    items.push_back(cond.value);
  }
  if (items.empty()) {
    return ctx.Error(cond.ValueMark(), fmt::format("{} is an empty list", cond.Label()),
                     "a value or a list of values of '" + parent->name + "'");
  }
  if (parent->kind == ParamKind::kFloat && !parent->step) {
    // A continuous parameter hits one exact value with probability zero.
    return ctx.Error(cond.key_node.Mark(),
                     fmt::format("parameter '{}' is conditioned on '{}', a float without a step, whose value is "
                                 "never exactly one given value",
                                 spec.name, parent->name),
                     "a categorical, int or stepped float parent");
  }
  for (const auto& item : items) {
    YAML::Mark mark = item.IsNull() ? cond.key_node.Mark() : item.Mark();
    CAIRN_ASSIGN_OR_RETURN(ParamValue v, ctx.Value(item, mark, cond.Label()));
    if (!ParentCanTake(*parent, v)) {
      return ctx.Error(mark, fmt::format("'{}' is not a value that '{}' can take", ParamValueToString(v), parent->name),
                       ParentDomain(*parent));
    }
    // A value within rounding of a stepped parent's grid point is that
    // point, exactly as the samplers give it: the trial's value is compared
    // with ==, and 0.15000000001 once matched no trial at all.
    if (parent->kind == ParamKind::kFloat && parent->step) {
      const double k = (*ParamValueAsDouble(v) - parent->low) / *parent->step;
      v = search::GridValue(*parent, std::llround(k));
    }
    condition.values.push_back(std::move(v));
  }
  spec.condition = std::move(condition);
  return Status::Ok();
}

Result<ParamSpec> ReadParam(const YamlContext& ctx, const Field& field, const SearchSpace& earlier) {
  if (!IsValidParamName(field.key)) {
    return ctx.Error(field.key_node.Mark(), fmt::format("'{}' is not a valid parameter name", field.key),
                     "letters, digits, '_', '.' or '-', not starting with a digit");
  }
  ParamSpec spec;
  spec.name = field.key;
  std::string what = fmt::format("parameter '{}'", field.key);
  CAIRN_ASSIGN_OR_RETURN(MapFields map, ctx.Map(field, what, kAllKeys));
  CAIRN_ASSIGN_OR_RETURN(spec.kind, ReadKind(ctx, map));
  CAIRN_TRY(CheckKeysForKind(ctx, map, spec.kind));
  if (spec.kind == ParamKind::kCategorical) {
    CAIRN_TRY(ReadChoices(ctx, map, spec));
  } else {
    CAIRN_TRY(ReadNumeric(ctx, map, spec));
  }
  if (const Field* when = map.Find("when")) CAIRN_TRY(ReadCondition(ctx, *when, earlier, spec));
  return spec;
}

}  // namespace

Result<SearchSpace> ReadSpace(const YamlContext& ctx, const Field& field) {
  CAIRN_ASSIGN_OR_RETURN(MapFields map, ctx.Map(field, "'space'", {}, /*open=*/true));
  if (map.fields().empty()) {
    return ctx.Error(field.ValueMark(), "'space' has no parameters",
                     "at least one parameter, e.g. 'lr: {type: float, low: 0.001, high: 0.1}'");
  }
  SearchSpace space;
  for (const auto& f : map.fields()) {
    CAIRN_ASSIGN_OR_RETURN(ParamSpec spec, ReadParam(ctx, f, space));
    space.params.push_back(std::move(spec));
  }
  return space;
}

}  // namespace cairn::spec_internal
