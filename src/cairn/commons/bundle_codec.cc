#include "cairn/commons/bundle_codec.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <tuple>

#include <fmt/format.h>

namespace cairn::commons {
namespace {

using nlohmann::json;

json Optional(const std::optional<double>& v) { return v ? EncodeDouble(*v) : json(nullptr); }
json OptionalInt(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }

// Field readers that name the field on error.
class Reader {
 public:
  Reader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  Status Error(const std::string& field, const std::string& expected) const {
    return InvalidArgument(fmt::format("{}: field '{}': expected {}", where_, field, expected));
  }
  Result<std::string> String(const std::string& field) const {
    auto it = j_.find(field);
    if (it == j_.end() || !it->is_string()) return Error(field, "a string");
    return it->get<std::string>();
  }
  Result<double> Double(const std::string& field) const {
    auto it = j_.find(field);
    if (it == j_.end()) return Error(field, "a number");
    return DecodeDouble(*it, where_ + ": field '" + field + "'");
  }
  Result<std::optional<double>> OptDouble(const std::string& field) const {
    auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) return std::optional<double>();
    CAIRN_ASSIGN_OR_RETURN(double v, DecodeDouble(*it, where_ + ": field '" + field + "'"));
    return std::optional<double>(v);
  }
  Result<int64_t> Int(const std::string& field) const {
    auto it = j_.find(field);
    if (it == j_.end() || !it->is_number_integer()) return Error(field, "an integer");
    return it->get<int64_t>();
  }
  Result<std::optional<int>> OptInt(const std::string& field) const {
    auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) return std::optional<int>();
    if (!it->is_number_integer()) return Error(field, "an integer or null");
    return std::optional<int>(it->get<int>());
  }
  Result<json> Object(const std::string& field) const {
    auto it = j_.find(field);
    if (it == j_.end() || !it->is_object()) return Error(field, "an object");
    return *it;
  }

 private:
  const json& j_;
  std::string where_;
};

bool IsHexHash(const json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A sort key for doubles where NaN sorts last and equals itself.
std::tuple<int, double> DoubleKey(double v) {
  return std::isnan(v) ? std::make_tuple(1, 0.0) : std::make_tuple(0, v);
}

}  // namespace

json EncodeDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

Result<double> DecodeDouble(const json& j, const std::string& field) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  return InvalidArgument(field + ": expected a number or \"nan\", \"inf\", \"-inf\"");
}

json StudyToBundle(const StudyRecord& s) {
  return {{"name", s.name},           {"objective", s.objective},
          {"direction", DirectionName(s.direction)}, {"spec_yaml", s.spec_yaml},
          {"spec_json", s.spec_json}, {"created_at", EncodeDouble(s.created_at)},
          {"ark", s.ark},             {"attrs", s.attrs}};
}

Result<StudyRecord> StudyFromBundle(const json& j) {
  if (!j.is_object()) return InvalidArgument("bundle: field 'study': expected an object");
  StudyRecord s;
  CAIRN_ASSIGN_OR_RETURN(s.name, Reader(j, "bundle study").String("name"));
  Reader r(j, "bundle study '" + s.name + "'");
  CAIRN_ASSIGN_OR_RETURN(s.objective, r.String("objective"));
  CAIRN_ASSIGN_OR_RETURN(std::string direction, r.String("direction"));
  auto d = ParseDirection(direction);
  if (!d) return r.Error("direction", "\"minimize\" or \"maximize\"");
  s.direction = *d;
  CAIRN_ASSIGN_OR_RETURN(s.spec_yaml, r.String("spec_yaml"));
  CAIRN_ASSIGN_OR_RETURN(s.spec_json, r.Object("spec_json"));
  CAIRN_ASSIGN_OR_RETURN(s.created_at, r.Double("created_at"));
  CAIRN_ASSIGN_OR_RETURN(s.ark, r.String("ark"));
  CAIRN_ASSIGN_OR_RETURN(s.attrs, r.Object("attrs"));
  return s;
}

json TrialToBundle(const TrialRecord& t) {
  return {{"number", t.number},
          {"state", TrialStateName(t.state)},
          {"params", ParamsToJson(t.params)},
          {"value", Optional(t.value)},
          {"steps", t.steps},
          {"created_at", EncodeDouble(t.created_at)},
          {"started_at", Optional(t.started_at)},
          {"ended_at", Optional(t.ended_at)},
          {"end_reason", t.end_reason},
          {"exit_code", OptionalInt(t.exit_code)},
          {"signal", OptionalInt(t.signal)},
          {"attrs", t.attrs},
          {"ark", t.ark},
          {"owner", t.owner},
          {"heartbeat_at", Optional(t.heartbeat_at)}};
}

Result<TrialRecord> TrialFromBundle(const json& j) {
  if (!j.is_object()) return InvalidArgument("bundle: field 'trials': expected objects");
  TrialRecord t;
  CAIRN_ASSIGN_OR_RETURN(int64_t number, Reader(j, "bundle trial").Int("number"));
  if (number < 0 || number > std::numeric_limits<int>::max()) {
    return InvalidArgument(fmt::format("bundle trial {}: field 'number': expected 0 to {}", number,
                                       std::numeric_limits<int>::max()));
  }
  t.number = static_cast<int>(number);
  Reader r(j, fmt::format("bundle trial {}", t.number));
  CAIRN_ASSIGN_OR_RETURN(std::string state, r.String("state"));
  auto parsed = ParseTrialState(state);
  if (!parsed) return r.Error("state", "a trial state (completed, stopped, failed, ...)");
  t.state = *parsed;
  CAIRN_ASSIGN_OR_RETURN(json params, r.Object("params"));
  auto p = ParamsFromJson(params);
  if (!p.ok()) return p.status().WithContext(fmt::format("bundle trial {}: field 'params'", t.number));
  t.params = std::move(*p);
  CAIRN_ASSIGN_OR_RETURN(t.value, r.OptDouble("value"));
  CAIRN_ASSIGN_OR_RETURN(t.steps, r.Int("steps"));
  if (t.steps < 0) return r.Error("steps", "a count of reports, 0 or more");
  CAIRN_ASSIGN_OR_RETURN(t.created_at, r.Double("created_at"));
  CAIRN_ASSIGN_OR_RETURN(t.started_at, r.OptDouble("started_at"));
  CAIRN_ASSIGN_OR_RETURN(t.ended_at, r.OptDouble("ended_at"));
  if (t.started_at && t.ended_at && *t.ended_at < *t.started_at) {
    return r.Error("ended_at", "a time at or after started_at");
  }
  CAIRN_ASSIGN_OR_RETURN(t.end_reason, r.String("end_reason"));
  CAIRN_ASSIGN_OR_RETURN(t.exit_code, r.OptInt("exit_code"));
  CAIRN_ASSIGN_OR_RETURN(t.signal, r.OptInt("signal"));
  CAIRN_ASSIGN_OR_RETURN(t.attrs, r.Object("attrs"));
  CAIRN_ASSIGN_OR_RETURN(t.ark, r.String("ark"));
  CAIRN_ASSIGN_OR_RETURN(t.owner, r.String("owner"));
  CAIRN_ASSIGN_OR_RETURN(t.heartbeat_at, r.OptDouble("heartbeat_at"));
  return t;
}

json MetricsToBundle(std::vector<MetricPoint> points) {
  std::sort(points.begin(), points.end(), [](const MetricPoint& a, const MetricPoint& b) {
    return std::make_tuple(a.key, a.step, DoubleKey(a.time), DoubleKey(a.value)) <
           std::make_tuple(b.key, b.step, DoubleKey(b.time), DoubleKey(b.value));
  });
  json out = json::array();
  for (const auto& p : points) {
    out.push_back({p.key, p.step, EncodeDouble(p.value), EncodeDouble(p.time)});
  }
  return out;
}

Result<std::vector<MetricPoint>> MetricsFromBundle(const json& j, const std::string& where) {
  if (!j.is_array()) return InvalidArgument(where + ": expected a list of [key, step, value, time]");
  std::vector<MetricPoint> points;
  points.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const json& row = j[i];
    std::string at = fmt::format("{}[{}]", where, i);
    if (!row.is_array() || row.size() != 4 || !row[0].is_string() || !row[1].is_number_integer()) {
      return InvalidArgument(at + ": expected [key, step, value, time]");
    }
    MetricPoint p;
    p.key = row[0].get<std::string>();
    p.step = row[1].get<int64_t>();
    CAIRN_ASSIGN_OR_RETURN(p.value, DecodeDouble(row[2], at + " value"));
    CAIRN_ASSIGN_OR_RETURN(p.time, DecodeDouble(row[3], at + " time"));
    points.push_back(std::move(p));
  }
  return points;
}

void CollectBlobRefs(const json& j, std::map<std::string, std::string>* refs) {
  static const std::map<std::string, std::string> kKinds = {
      {"host", "host"}, {"software", "software_env"}, {"diff_blob", "git_diff"}};
  if (j.is_array()) {
    for (const auto& v : j) CollectBlobRefs(v, refs);
    return;
  }
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto kind = kKinds.find(it.key());
    if (kind != kKinds.end() && IsHexHash(it.value())) {
      refs->emplace(it.value().get<std::string>(), kind->second);
    } else {
      CollectBlobRefs(it.value(), refs);
    }
  }
}

json StudyContext(const json& study) {
  if (auto a = study.find("attrs"); a != study.end() && a->is_object()) {
    if (auto c = a->find("context"); c != a->end() && c->is_object()) return *c;
  }
  if (auto s = study.find("spec_json"); s != study.end() && s->is_object()) {
    if (auto c = s->find("context"); c != s->end() && c->is_object()) return *c;
  }
  return nullptr;
}

std::string IsoTime(double unix_seconds) {
  if (!std::isfinite(unix_seconds)) return "";
  double whole = std::floor(unix_seconds);
  auto t = static_cast<std::time_t>(whole);
  std::tm tm{};
  gmtime_r(&t, &tm);
  int ms = static_cast<int>(std::lround((unix_seconds - whole) * 1000.0));
  if (ms >= 1000) ms = 999;  // keep the second; sub-ms rounding is noise here
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, ms);
}

}  // namespace cairn::commons
