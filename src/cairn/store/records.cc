#include "cairn/store/records.h"

#include <cmath>
#include <limits>

namespace cairn::store {

namespace {

// Never throws: invalid UTF-8 in user text is replaced, not fatal.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<nlohmann::json> Parse(const SqlValue& v, std::string_view what) {
  nlohmann::json j = nlohmann::json::parse(AsText(v), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Internal(std::string(what) + " is not valid JSON");
  return j;
}

SqlValue Optional(const std::optional<double>& v) {
  if (!v) return std::monostate{};
  return *v;
}

SqlValue OptionalInt(const std::optional<int>& v) {
  if (!v) return std::monostate{};
  return int64_t{*v};
}

std::optional<double> ReadOptional(const SqlValue& v) {
  if (IsNull(v)) return std::nullopt;
  return AsDouble(v);
}

std::optional<int> ReadOptionalInt(const SqlValue& v) {
  if (IsNull(v)) return std::nullopt;
  return static_cast<int>(AsInt(v));
}

}  // namespace

Result<StudyRecord> StudyFromRow(const SqlRow& row) {
  StudyRecord s;
  s.id = AsInt(row[0]);
  s.name = AsText(row[1]);
  s.objective = AsText(row[2]);
  auto direction = ParseDirection(AsText(row[3]));
  if (!direction) return Internal("study '" + s.name + "': unknown direction '" + AsText(row[3]) + "'");
  s.direction = *direction;
  s.spec_yaml = AsText(row[4]);
  auto spec = Parse(row[5], "spec_json");
  if (!spec.ok()) return spec.status().WithContext("study '" + s.name + "'");
  s.spec_json = std::move(*spec);
  s.created_at = AsDouble(row[6]);
  s.ark = AsText(row[7]);
  auto attrs = Parse(row[8], "attrs");
  if (!attrs.ok()) return attrs.status().WithContext("study '" + s.name + "'");
  s.attrs = std::move(*attrs);
  return s;
}

std::vector<SqlValue> StudyValues(const StudyRecord& s) {
  return {s.name, s.objective, std::string(DirectionName(s.direction)), s.spec_yaml,
          Dump(s.spec_json), s.created_at, s.ark, Dump(s.attrs)};
}

Result<TrialRecord> TrialFromRow(const SqlRow& row) {
  TrialRecord t;
  t.id = AsInt(row[0]);
  t.study_id = AsInt(row[1]);
  t.number = static_cast<int>(AsInt(row[2]));
  std::string where = "trial " + std::to_string(t.id);
  auto state = ParseTrialState(AsText(row[3]));
  if (!state) return Internal(where + ": unknown state '" + AsText(row[3]) + "'");
  t.state = *state;
  auto params_json = Parse(row[4], "params");
  if (!params_json.ok()) return params_json.status().WithContext(where);
  auto params = ParamsFromJson(*params_json);
  if (!params.ok()) return params.status().WithContext(where);
  t.params = std::move(*params);
  // value_nan distinguishes a reported NaN from "no value yet" (both NULL).
  if (AsInt(row[6]) != 0) {
    t.value = std::numeric_limits<double>::quiet_NaN();
  } else {
    t.value = ReadOptional(row[5]);
  }
  t.steps = AsInt(row[7]);
  t.created_at = AsDouble(row[8]);
  t.started_at = ReadOptional(row[9]);
  t.ended_at = ReadOptional(row[10]);
  t.end_reason = AsText(row[11]);
  t.exit_code = ReadOptionalInt(row[12]);
  t.signal = ReadOptionalInt(row[13]);
  auto attrs = Parse(row[14], "attrs");
  if (!attrs.ok()) return attrs.status().WithContext(where);
  t.attrs = std::move(*attrs);
  t.ark = AsText(row[15]);
  t.owner = AsText(row[16]);
  t.heartbeat_at = ReadOptional(row[17]);
  return t;
}

std::vector<SqlValue> TrialValues(const TrialRecord& t) {
  bool nan = t.value && std::isnan(*t.value);
  return {std::string(TrialStateName(t.state)),
          Dump(ParamsToJson(t.params)),
          nan ? SqlValue{} : Optional(t.value),
          int64_t{nan ? 1 : 0},
          t.steps,
          t.created_at,
          Optional(t.started_at),
          Optional(t.ended_at),
          t.end_reason,
          OptionalInt(t.exit_code),
          OptionalInt(t.signal),
          Dump(t.attrs),
          t.ark,
          t.owner,
          Optional(t.heartbeat_at)};
}

}  // namespace cairn::store
