// Fields of the query language: what a name such as "params.lr" or
// "gpu.name" means, and the values it has for one trial.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/query.h"
#include "cairn/status.h"

namespace cairn::query {

// One value of a field. Strings view storage owned by the index (records,
// JSON documents) or static names, so looking a field up copies nothing.
struct Value {
  enum class Type { kNumber, kString, kBool };
  Type type = Type::kNumber;
  double number = 0.0;
  bool boolean = false;
  std::string_view str;

  static Value Num(double v) { return {Type::kNumber, v, false, {}}; }
  static Value Str(std::string_view v) { return {Type::kString, 0.0, false, v}; }
  static Value Bool(bool v) { return {Type::kBool, 0.0, v, {}}; }
};

enum class FieldKind {
  kStudy, kObjective, kNumber, kId, kArk, kState, kValue, kSteps, kStep,
  kParam,       // params.NAME
  kMetric,      // metrics.KEY[.best|.min|.max|.last|.steps]
  kEndReason, kExitCode, kSignal,
  kCreated, kStarted, kEnded,  // dates (seconds since the epoch)
  kDuration,                   // ended - started, seconds
  kGpuName, kGpuUuid, kGpuMemory, kGpuCount,
  kHost,        // host.FIELD of the host blob
  kEnvPackage,  // env.PACKAGE: version in the trial's software env
  kEnvVar,      // envvar.NAME: environment variable the trial saw
  kDataset,     // dataset.PATH_OR_BASENAME: fingerprint sha256
  kCode,        // code.FIELD of the study's code version (commit, dirty, ...)
  kSeed,
  kAttrs,       // attrs.PATH into trial.attrs
};

enum class MetricStat { kLast, kBest, kMin, kMax, kSteps, kNonfinite };

struct Field {
  FieldKind kind = FieldKind::kStudy;
  std::string text;   // as written, e.g. "metrics.val_acc.best"
  std::string name;   // the part after the prefix ("val_acc.best")
  // metrics: when `name` ends in a statistic, the key without it and the
  // statistic; a trial's own key `name` wins over this reading.
  std::string stat_key;
  MetricStat stat = MetricStat::kLast;
  bool has_stat = false;
  std::vector<std::string> path;  // attrs: the segments

  bool IsDate() const {
    return kind == FieldKind::kCreated || kind == FieldKind::kStarted || kind == FieldKind::kEnded;
  }
};

// Parses a field name. kInvalidArgument with a message (no position) for
// an unknown name or prefix.
Result<Field> ParseField(std::string_view text);

// Appends the values `field` has for `trial` (none when missing; several
// for multi-valued fields such as gpu.name).
void LookupField(const Field& field, const TrialIndex& index, const IndexedTrial& trial,
                 std::vector<Value>* out);

// Whether the field is there for `trial` (EXISTS, IS NULL): it has a value,
// or, for attrs.PATH, it holds anything but null (an object too, which has
// no value to compare). `scratch` is working space.
bool FieldPresent(const Field& field, const TrialIndex& index, const IndexedTrial& trial,
                  std::vector<Value>* scratch);

// Display forms: numbers in their shortest round-trip form.
std::string ValueToString(const Value& v);
nlohmann::json ValueToJson(const Value& v);
// One value as JSON, several as an array, none as null.
nlohmann::json ValuesToJson(const std::vector<Value>& values);

// Total order for sorting: numbers, then strings, then bools.
int CompareForSort(const Value& a, const Value& b);

}  // namespace cairn::query
