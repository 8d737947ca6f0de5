#include "cairn/spec/yaml_context.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "cairn/spec.h"
#include "cairn/split.h"
#include "cairn/spec/scalar_text.h"

namespace cairn::spec_internal {
namespace {

// Digits with an optional sign: what a reader means as an integer.
bool IsDecimalInteger(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  return IsAllDigits(text);
}


// yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string Field::Label() const { return fmt::format("'{}' in {}", key, owner); }

YAML::Mark Field::ValueMark() const {
  return value.IsNull() ? key_node.Mark() : value.Mark();
}

const Field* MapFields::Find(std::string_view key) const {
  for (const auto& f : fields_) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::string DescribeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return fmt::format("'{}'", node.Scalar());
    default: return "nothing";
  }
}

std::string ClosestKey(std::string_view key, const std::vector<std::string_view>& known) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, key.size() / 3) + 1;
  for (auto candidate : known) {
    size_t d = EditDistance(key, candidate);
    if (d < best_distance && d < std::max(key.size(), candidate.size())) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string JoinChoices(const std::vector<std::string_view>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

Status YamlContext::Error(const YAML::Mark& mark, std::string_view what,
                          std::string_view expected) const {
  return ErrorAt(mark, fmt::format("{}; expected {}", what, expected));
}

Status YamlContext::ErrorAt(const YAML::Mark& mark, std::string_view message) const {
  // A null mark (-1) only happens for nodes we built ourselves; say line 1.
  int line = mark.line >= 0 ? mark.line + 1 : 1;
  int column = mark.column >= 0 ? mark.column + 1 : 1;
  return InvalidArgument(fmt::format("{}:{}:{}: {}", source_, line, column, message));
}

Result<MapFields> YamlContext::Map(const YAML::Node& node, const YAML::Mark& mark,
                                   std::string what, const std::vector<std::string_view>& known,
                                   bool open) const {
  std::string keys = known.empty() ? std::string("a map") : "a map with keys " + JoinChoices(known);
  if (!node.IsMap()) {
    return Error(mark, fmt::format("{} is {}", what, DescribeNode(node)), keys);
  }
  MapFields out;
  out.mark_ = node.Mark();
  out.what_ = what;
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: it->first lives in a temporary proxy that dies with the statement.
    YAML::Node key = it->first;
    YAML::Node value = it->second;
    if (!key.IsScalar() || key.Scalar().empty()) {
      return Error(key.Mark(), fmt::format("a key in {} is {}", what, DescribeNode(key)),
                   "a plain name as key");
    }
    const std::string& name = key.Scalar();
    if (!seen.insert(name).second) {
      return Error(key.Mark(), fmt::format("duplicate key '{}' in {}", name, what),
                   "each key once");
    }
    if (!open && std::find(known.begin(), known.end(), name) == known.end()) {
      std::string hint = ClosestKey(name, known);
      std::string wrong = fmt::format("unknown key '{}' in {}", name, what);
      if (!hint.empty()) wrong += fmt::format(" (did you mean '{}'?)", hint);
      return Error(key.Mark(), wrong, "one of " + JoinChoices(known));
    }
    out.fields_.push_back(Field{name, key, value, what});
  }
  return out;
}

Result<MapFields> YamlContext::Map(const Field& field, std::string what,
                                   const std::vector<std::string_view>& known, bool open) const {
  return Map(field.value, field.ValueMark(), std::move(what), known, open);
}

Result<const Field*> YamlContext::Require(const MapFields& map, std::string_view key,
                                          std::string_view expected) const {
  if (const Field* f = map.Find(key)) return f;
  return Error(map.mark(), fmt::format("missing key '{}' in {}", key, map.what()), expected);
}

namespace {

// A NUL written as an escape ("\0", "\x00", "\u0000": the file's raw bytes
// have none) ends the string where a program reads it: it would get "a"
// where the record says "a\0b", and two choices that differ after it read
// the same.
constexpr std::string_view kNoNul = "text without a NUL character (an escape such as \\0 or \\u0000)";

bool HasNul(const std::string& text) { return text.find('\0') != std::string::npos; }

}  // namespace

Result<std::string> YamlContext::String(const Field& f) const {
  if (!f.value.IsScalar()) {
    return Error(f.ValueMark(), fmt::format("{} is {}", f.Label(), DescribeNode(f.value)),
                 "a string");
  }
  if (HasNul(f.value.Scalar())) return Error(f.ValueMark(), fmt::format("{} holds a NUL character", f.Label()), kNoNul);
  return f.value.Scalar();
}

Result<int64_t> YamlContext::Int(const Field& f) const {
  std::string wrong = fmt::format("{} is {}", f.Label(), DescribeNode(f.value));
  if (!f.value.IsScalar()) return Error(f.ValueMark(), wrong, "an integer");
  if (IsQuoted(f.value)) return Error(f.ValueMark(), wrong + " (quoted)", "an unquoted integer");
  if (auto i = ParseIntText(f.value.Scalar())) return *i;
  // 1e6 is a common way to write a large integer bound.
  auto d = ParseDoubleText(f.value.Scalar());
  if (d && std::isfinite(*d) && std::trunc(*d) == *d && std::fabs(*d) < 9.0e18) {
    return static_cast<int64_t>(*d);
  }
  if (d && std::trunc(*d) == *d) {
    // A whole number all the same: say why it is refused.
    return Error(f.ValueMark(), wrong + " (too large)", "an integer between -9223372036854775808 and "
                                                        "9223372036854775807");
  }
  return Error(f.ValueMark(), wrong, "an integer");
}

Result<double> YamlContext::Number(const Field& f) const {
  std::string wrong = fmt::format("{} is {}", f.Label(), DescribeNode(f.value));
  if (!f.value.IsScalar()) return Error(f.ValueMark(), wrong, "a number");
  if (IsQuoted(f.value)) return Error(f.ValueMark(), wrong + " (quoted)", "an unquoted number");
  auto d = ParseDoubleText(f.value.Scalar());
  if (!d || !std::isfinite(*d)) return Error(f.ValueMark(), wrong, "a finite number");
  return *d;
}

Result<bool> YamlContext::Bool(const Field& f) const {
  std::optional<bool> b;
  if (f.value.IsScalar() && !IsQuoted(f.value)) b = ParseBoolText(f.value.Scalar());
  if (!b) {
    return Error(f.ValueMark(), fmt::format("{} is {}", f.Label(), DescribeNode(f.value)),
                 "true or false");
  }
  return *b;
}

Result<double> YamlContext::Duration(const Field& f) const {
  std::optional<double> seconds;
  if (f.value.IsScalar()) {
    auto parsed = ParseDuration(f.value.Scalar());
    if (parsed.ok()) seconds = *parsed;
  }
  if (!seconds) {
    return Error(f.ValueMark(), fmt::format("{} is {}", f.Label(), DescribeNode(f.value)),
                 "a duration: seconds as a number, or a string such as \"90s\", \"10m\", \"2h\", \"1d\"");
  }
  return *seconds;
}

Result<std::vector<std::string>> YamlContext::StringList(const Field& f) const {
  if (!f.value.IsSequence()) {
    return Error(f.ValueMark(), fmt::format("{} is {}", f.Label(), DescribeNode(f.value)),
                 "a list of strings");
  }
  std::vector<std::string> out;
  for (const auto& item : f.value) {
    if (!item.IsScalar()) {
      return Error(item.Mark(), fmt::format("an element of {} is {}", f.Label(), DescribeNode(item)),
                   "a string");
    }
    if (HasNul(item.Scalar())) {
      return Error(item.Mark(), fmt::format("an element of {} holds a NUL character", f.Label()), kNoNul);
    }
    out.push_back(item.Scalar());
  }
  return out;
}

Result<ParamValue> YamlContext::Value(const YAML::Node& node, const YAML::Mark& mark,
                                      std::string_view label) const {
  if (!node.IsScalar()) {
    return Error(mark, fmt::format("{} is {}", label, DescribeNode(node)),
                 "a number, a string or true/false");
  }
  const std::string& text = node.Scalar();
  if (HasNul(text)) return Error(mark, fmt::format("{} holds a NUL character", label), kNoNul);
  if (IsQuoted(node)) return ParamValue(text);
  if (auto b = ParseBoolText(text)) return ParamValue(*b);
  if (auto i = ParseIntText(text)) return ParamValue(*i);
  if (IsDecimalInteger(text)) {
    // Read as a double it would reach the program as 1e+20: not what was written.
    return Error(mark, fmt::format("{} is {}, an integer beyond the 64-bit range", label, text),
                 "an integer from -9223372036854775808 to 9223372036854775807, or a quoted string");
  }
  if (auto d = ParseDoubleText(text)) {
    // .nan and .inf have no JSON form (the record would hold null) and no
    // place in a search: a choice of "nan" is a string, quoted.
    if (!std::isfinite(*d)) {
      return Error(mark, fmt::format("{} is {}", label, text), "a finite number, or a quoted string (\"nan\")");
    }
    return ParamValue(*d);
  }
  return ParamValue(text);
}

Result<nlohmann::json> YamlContext::Json(const YAML::Node& node, const YAML::Mark& mark,
                                         std::string_view label) const {
  if (node.IsNull()) return nlohmann::json(nullptr);
  if (node.IsScalar()) {
    CAIRN_ASSIGN_OR_RETURN(ParamValue v, Value(node, mark, label));
    if (auto* d = std::get_if<double>(&v); d && !std::isfinite(*d)) {
      return Error(mark, fmt::format("{} is {}", label, DescribeNode(node)), "a finite number");
    }
    return ParamValueToJson(v);
  }
  if (node.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node) {
      CAIRN_ASSIGN_OR_RETURN(nlohmann::json j, Json(item, item.Mark(), label));
      out.push_back(std::move(j));
    }
    return out;
  }
  CAIRN_ASSIGN_OR_RETURN(MapFields map, Map(node, mark, std::string(label), {}, /*open=*/true));
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : map.fields()) {
    CAIRN_ASSIGN_OR_RETURN(out[f.key], Json(f.value, f.ValueMark(), f.Label()));
  }
  return out;
}

}  // namespace cairn::spec_internal
