// Internal: reading YAML nodes into typed values with positioned errors.
//
// Every error is InvalidArgument with the message
//   "SOURCE:LINE:COLUMN: <what is wrong>; expected <what>"
// where LINE and COLUMN are 1-based and come from yaml-cpp's marks. An empty
// value ("key:" with nothing after it) is reported at its key, because
// yaml-cpp marks an empty value at the next token, which confuses readers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cairn/space.h"
#include "cairn/status.h"

namespace cairn::spec_internal {

// One key of a map, with the nodes that errors point at.
struct Field {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  std::string owner;  // the enclosing map in messages: "budget", "parameter 'lr'"

  // "'low' in parameter 'lr'": how messages name this field.
  std::string Label() const;
  // The value's position, or the key's when the value is empty.
  YAML::Mark ValueMark() const;
};

// The fields of one YAML map, in document order, after checking that every
// key is a unique scalar and (unless open) one of the known keys.
class MapFields {
 public:
  const Field* Find(std::string_view key) const;
  const std::vector<Field>& fields() const { return fields_; }
  const YAML::Mark& mark() const { return mark_; }
  const std::string& what() const { return what_; }

 private:
  friend class YamlContext;
  std::vector<Field> fields_;
  YAML::Mark mark_;
  std::string what_;
};

class YamlContext {
 public:
  explicit YamlContext(std::string source) : source_(std::move(source)) {}

  const std::string& source() const { return source_; }

  // "SOURCE:LINE:COLUMN: what; expected expected".
  Status Error(const YAML::Mark& mark, std::string_view what, std::string_view expected) const;
  // "SOURCE:LINE:COLUMN: message", for a message that says all itself.
  Status ErrorAt(const YAML::Mark& mark, std::string_view message) const;

  // Reads `node` as a map named `what`. `mark` is where to point when the
  // node is not a map (pass the key's mark for an empty value). With an
  // empty `known` and `open`, any key is allowed; otherwise an unknown key is
  // an error at that key, suggesting the closest known one.
  Result<MapFields> Map(const YAML::Node& node, const YAML::Mark& mark, std::string what,
                        const std::vector<std::string_view>& known, bool open = false) const;
  Result<MapFields> Map(const Field& field, std::string what,
                        const std::vector<std::string_view>& known, bool open = false) const;
  // The field `key` of `map`, or an error at the map's position.
  Result<const Field*> Require(const MapFields& map, std::string_view key,
                               std::string_view expected) const;

  // Scalar readers. Quoted scalars are strings: `trials: "3"` is not a number.
  Result<std::string> String(const Field& f) const;
  Result<int64_t> Int(const Field& f) const;
  Result<double> Number(const Field& f) const;  // finite
  Result<bool> Bool(const Field& f) const;
  // Seconds: a plain number, or a string such as "90s", "10m", "2h", "1d".
  Result<double> Duration(const Field& f) const;
  // A list of scalars, each as its text.
  Result<std::vector<std::string>> StringList(const Field& f) const;
  // A scalar as a typed value: quoted -> string; plain true/false -> bool;
  // integers -> int64; other numbers -> double; any other text -> string.
  Result<ParamValue> Value(const YAML::Node& node, const YAML::Mark& mark,
                           std::string_view label) const;
  // Any node as JSON (scalars typed as by Value; empty -> null).
  Result<nlohmann::json> Json(const YAML::Node& node, const YAML::Mark& mark,
                              std::string_view label) const;

 private:
  std::string source_;
};

// "a list", "a map", "nothing", "'text'": how messages describe a node.
std::string DescribeNode(const YAML::Node& node);
// The known key nearest to `key` by edit distance, or "" when none is close.
std::string ClosestKey(std::string_view key, const std::vector<std::string_view>& known);
// "a, b or c".
std::string JoinChoices(const std::vector<std::string_view>& items);

}  // namespace cairn::spec_internal
