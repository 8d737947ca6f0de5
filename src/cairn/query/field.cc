// Field names and lookups of the query language.
#include "cairn/query/field.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "cairn/json_text.h"

namespace cairn::query {

namespace {

// Fields that take no sub-name.
const std::map<std::string_view, FieldKind>& PlainFields() {
  static const std::map<std::string_view, FieldKind> kFields = {
      {"study", FieldKind::kStudy},         {"objective", FieldKind::kObjective},
      {"number", FieldKind::kNumber},       {"id", FieldKind::kId},
      {"ark", FieldKind::kArk},             {"state", FieldKind::kState},
      {"value", FieldKind::kValue},         {"steps", FieldKind::kSteps},
      {"step", FieldKind::kStep},
      {"end_reason", FieldKind::kEndReason}, {"exit_code", FieldKind::kExitCode},
      {"signal", FieldKind::kSignal},       {"created", FieldKind::kCreated},
      {"started", FieldKind::kStarted},     {"ended", FieldKind::kEnded},
      {"duration", FieldKind::kDuration},   {"seed", FieldKind::kSeed},
      {"gpu.name", FieldKind::kGpuName},    {"gpu.uuid", FieldKind::kGpuUuid},
      {"gpu.memory", FieldKind::kGpuMemory}, {"gpu.count", FieldKind::kGpuCount},
  };
  return kFields;
}

// Prefixes followed by a free name.
const std::map<std::string_view, FieldKind>& PrefixFields() {
  static const std::map<std::string_view, FieldKind> kPrefixes = {
      {"params", FieldKind::kParam},   {"metrics", FieldKind::kMetric},
      {"host", FieldKind::kHost},      {"env", FieldKind::kEnvPackage},
      {"envvar", FieldKind::kEnvVar},  {"dataset", FieldKind::kDataset},
      {"code", FieldKind::kCode},      {"attrs", FieldKind::kAttrs},
  };
  return kPrefixes;
}

void ReadMetricStat(Field* f) {
  static const std::map<std::string_view, MetricStat> kStats = {
      {"last", MetricStat::kLast}, {"best", MetricStat::kBest}, {"min", MetricStat::kMin},
      {"max", MetricStat::kMax},   {"steps", MetricStat::kSteps}, {"nonfinite", MetricStat::kNonfinite}};
  size_t dot = f->name.rfind('.');
  if (dot == std::string::npos || dot == 0) return;
  auto it = kStats.find(std::string_view(f->name).substr(dot + 1));
  if (it == kStats.end()) return;
  f->has_stat = true;
  f->stat = it->second;
  f->stat_key = f->name.substr(0, dot);
}

std::vector<std::string> SplitDots(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

// Scalars of a JSON document as values; arrays contribute their scalars.
void AppendJson(const nlohmann::json& j, std::vector<Value>* out) {
  if (j.is_number()) {
    out->push_back(Value::Num(j.get<double>()));
  } else if (j.is_string()) {
    out->push_back(Value::Str(j.get_ref<const std::string&>()));
  } else if (j.is_boolean()) {
    out->push_back(Value::Bool(j.get<bool>()));
  } else if (j.is_array()) {
    for (const auto& e : j) {
      if (!e.is_array() && !e.is_object()) AppendJson(e, out);
    }
  }
}

const nlohmann::json* Member(const nlohmann::json* j, std::string_view key) {
  if (j == nullptr || !j->is_object()) return nullptr;
  auto it = j->find(key);
  return it == j->end() ? nullptr : &*it;
}

void AppendOptional(const std::optional<double>& v, std::vector<Value>* out) {
  if (v) out->push_back(Value::Num(*v));
}

void LookupMetric(const Field& f, const IndexedTrial& t, std::vector<Value>* out) {
  MetricStat stat = MetricStat::kLast;
  auto it = t.metrics.find(f.name);
  if (it == t.metrics.end() && f.has_stat) {
    it = t.metrics.find(f.stat_key);
    stat = f.stat;
  }
  if (it == t.metrics.end()) return;
  const MetricSummary& m = it->second;
  switch (stat) {
    case MetricStat::kLast: return AppendOptional(m.last, out);
    case MetricStat::kBest: return AppendOptional(m.best, out);
    case MetricStat::kMin: return AppendOptional(m.min, out);
    case MetricStat::kMax: return AppendOptional(m.max, out);
    case MetricStat::kSteps: out->push_back(Value::Num(static_cast<double>(m.steps))); return;
    case MetricStat::kNonfinite: out->push_back(Value::Num(static_cast<double>(m.nonfinite))); return;
  }
}

// The step of the trial's value: `steps` counts reports, and a
// program that evaluates every 10th epoch reaches step 50 in 5 of them.
// Records written before summaries carried last_step count reports as steps.
void AppendLastStep(const std::string& objective, const IndexedTrial& t, std::vector<Value>* out) {
  // The step of the value, as the coordinator records it (later points,
  // past max_steps or after a stop, are not the value).
  if (std::optional<int64_t> step = ValueStepOf(t.record.attrs)) {
    out->push_back(Value::Num(static_cast<double>(*step)));
    return;
  }
  auto it = t.metrics.find(objective);
  if (it != t.metrics.end() && it->second.last_step) {
    out->push_back(Value::Num(static_cast<double>(*it->second.last_step)));
  } else if (t.record.steps > 0) {
    out->push_back(Value::Num(static_cast<double>(t.record.steps)));
  }
}

void LookupParam(const Field& f, const IndexedTrial& t, std::vector<Value>* out) {
  auto it = t.record.params.find(f.name);
  if (it == t.record.params.end()) return;
  const ParamValue& v = it->second;
  if (const auto* i = std::get_if<int64_t>(&v)) out->push_back(Value::Num(static_cast<double>(*i)));
  if (const auto* d = std::get_if<double>(&v)) out->push_back(Value::Num(*d));
  if (const auto* s = std::get_if<std::string>(&v)) out->push_back(Value::Str(*s));
  if (const auto* b = std::get_if<bool>(&v)) out->push_back(Value::Bool(*b));
}

std::string NormalizePackage(std::string_view name) {
  std::string out;
  for (char c : name) {
    out += (c == '_' || c == '.') ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// A package's version: Python distributions first (names compared as pip
// does: case-insensitive, '-', '_' and '.' alike), then Debian packages.
void LookupPackage(const Field& f, const IndexedTrial& t, std::vector<Value>* out) {
  const nlohmann::json* sw = t.software.get();
  for (const nlohmann::json* pkgs : {Member(Member(sw, "python"), "packages"),
                                     Member(sw, "debian")}) {
    if (pkgs == nullptr || !pkgs->is_object()) continue;
    if (const auto* v = Member(pkgs, f.name)) return AppendJson(*v, out);
    std::string want = NormalizePackage(f.name);
    for (const auto& [name, version] : pkgs->items()) {
      if (NormalizePackage(name) == want) return AppendJson(version, out);
    }
  }
}

void LookupGpus(const Field& f, const IndexedTrial& t, std::vector<Value>* out) {
  const nlohmann::json* gpus = Member(Member(&t.record.attrs, "context"), "gpus");
  if (f.kind == FieldKind::kGpuCount) {
    const nlohmann::json* ids = Member(&t.record.attrs, "gpus");
    if (ids == nullptr || !ids->is_array()) ids = gpus;
    out->push_back(Value::Num(ids != nullptr && ids->is_array() ? static_cast<double>(ids->size()) : 0.0));
    return;
  }
  if (gpus == nullptr || !gpus->is_array()) return;
  const char* key = f.kind == FieldKind::kGpuName   ? "name"
                    : f.kind == FieldKind::kGpuUuid ? "uuid"
                                                    : "memory_total_bytes";
  for (const auto& g : *gpus) {
    if (const auto* v = Member(&g, key)) AppendJson(*v, out);
  }
}

bool DatasetMatches(const std::string& path, const std::string& name) {
  if (path == name) return true;
  size_t slash = path.find_last_of('/');
  std::string_view base = slash == std::string::npos ? std::string_view(path)
                                                     : std::string_view(path).substr(slash + 1);
  if (base == name) return true;
  return path.size() > name.size() && path.ends_with(name) && path[path.size() - name.size() - 1] == '/';
}

void LookupDataset(const Field& f, const IndexedTrial& t, std::vector<Value>* out) {
  const nlohmann::json* sets = Member(Member(&t.record.attrs, "context"), "datasets");
  if (sets == nullptr || !sets->is_array()) return;
  for (const auto& d : *sets) {
    const auto* path = Member(&d, "path");
    if (path == nullptr || !path->is_string() || !DatasetMatches(path->get<std::string>(), f.name)) continue;
    if (const auto* h = Member(&d, "sha256")) AppendJson(*h, out);
  }
}

// The JSON at attrs.PATH (array elements by index); nullptr when missing.
const nlohmann::json* AttrsAt(const Field& f, const IndexedTrial& t) {
  const nlohmann::json* j = &t.record.attrs;
  for (const auto& seg : f.path) {
    if (j->is_array()) {
      size_t i = 0;
      auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), i);
      if (ec != std::errc() || p != seg.data() + seg.size() || i >= j->size()) return nullptr;
      j = &(*j)[i];
    } else {
      j = Member(j, seg);
      if (j == nullptr) return nullptr;
    }
  }
  return j;
}

void LookupAttrs(const Field& f, const IndexedTrial& t, std::vector<Value>* out) {
  if (const nlohmann::json* j = AttrsAt(f, t)) AppendJson(*j, out);
}

void AppendOptionalInt(const std::optional<int>& v, std::vector<Value>* out) {
  if (v) out->push_back(Value::Num(*v));
}

}  // namespace

Result<Field> ParseField(std::string_view text) {
  Field f;
  f.text = std::string(text);
  if (auto it = PlainFields().find(text); it != PlainFields().end()) {
    f.kind = it->second;
    return f;
  }
  size_t dot = text.find('.');
  std::string_view prefix = text.substr(0, dot);
  auto it = PrefixFields().find(prefix);
  if (it == PrefixFields().end()) {
    return InvalidArgument(fmt::format(
        "unknown field '{}' (fields: study, number, state, value, steps, params.NAME, metrics.KEY, "
        "end_reason, exit_code, created, started, ended, duration, gpu.name, host.FIELD, env.PACKAGE, "
        "dataset.NAME, code.commit, seed, attrs.PATH, ...; see docs/query.md)",
        text));
  }
  if (dot == std::string_view::npos || dot + 1 == text.size()) {
    return InvalidArgument(fmt::format("field '{}' needs a name after '{}.'", text, prefix));
  }
  f.kind = it->second;
  f.name = std::string(text.substr(dot + 1));
  if (f.kind == FieldKind::kMetric) ReadMetricStat(&f);
  if (f.kind == FieldKind::kAttrs) f.path = SplitDots(f.name);
  return f;
}

bool FieldPresent(const Field& f, const TrialIndex& index, const IndexedTrial& t, std::vector<Value>* scratch) {
  if (f.kind == FieldKind::kAttrs) {
    // An object or a list of objects has no scalar to compare, but is there.
    const nlohmann::json* j = AttrsAt(f, t);
    return j != nullptr && !j->is_null();
  }
  scratch->clear();
  LookupField(f, index, t, scratch);
  return !scratch->empty();
}

void LookupField(const Field& f, const TrialIndex& index, const IndexedTrial& t, std::vector<Value>* out) {
  const TrialRecord& r = t.record;
  const IndexedStudy& s = index.study_of(t);
  switch (f.kind) {
    case FieldKind::kStudy: out->push_back(Value::Str(s.record.name)); return;
    case FieldKind::kObjective: out->push_back(Value::Str(s.record.objective)); return;
    case FieldKind::kNumber: out->push_back(Value::Num(r.number)); return;
    case FieldKind::kId: out->push_back(Value::Num(static_cast<double>(r.id))); return;
    case FieldKind::kArk: if (!r.ark.empty()) out->push_back(Value::Str(r.ark)); return;
    case FieldKind::kState: out->push_back(Value::Str(TrialStateName(r.state))); return;
    // A NaN or infinite objective is no value (status shows "-", JSON null):
    // it must neither match "value > 100" nor sort first.
    case FieldKind::kValue:
      if (r.value && std::isfinite(*r.value)) out->push_back(Value::Num(*r.value));
      return;
    case FieldKind::kSteps: out->push_back(Value::Num(static_cast<double>(r.steps))); return;
    case FieldKind::kStep: return AppendLastStep(s.record.objective, t, out);
    case FieldKind::kParam: return LookupParam(f, t, out);
    case FieldKind::kMetric: return LookupMetric(f, t, out);
    case FieldKind::kEndReason: if (!r.end_reason.empty()) out->push_back(Value::Str(r.end_reason)); return;
    case FieldKind::kExitCode: return AppendOptionalInt(r.exit_code, out);
    case FieldKind::kSignal: return AppendOptionalInt(r.signal, out);
    case FieldKind::kCreated: out->push_back(Value::Num(r.created_at)); return;
    case FieldKind::kStarted: return AppendOptional(r.started_at, out);
    case FieldKind::kEnded: return AppendOptional(r.ended_at, out);
    case FieldKind::kDuration:
      if (r.started_at && r.ended_at) out->push_back(Value::Num(*r.ended_at - *r.started_at));
      return;
    case FieldKind::kGpuName:
    case FieldKind::kGpuUuid:
    case FieldKind::kGpuMemory:
    case FieldKind::kGpuCount: return LookupGpus(f, t, out);
    case FieldKind::kHost:
      if (const auto* v = Member(t.host.get(), f.name)) AppendJson(*v, out);
      return;
    case FieldKind::kEnvPackage: return LookupPackage(f, t, out);
    case FieldKind::kEnvVar:
      if (const auto* v = Member(Member(Member(&r.attrs, "context"), "env"), f.name)) AppendJson(*v, out);
      return;
    case FieldKind::kDataset: return LookupDataset(f, t, out);
    case FieldKind::kCode:
      if (const auto* v = Member(Member(&s.context, "code"), f.name)) AppendJson(*v, out);
      return;
    case FieldKind::kSeed:
      if (const auto* v = Member(&r.attrs, "seed")) AppendJson(*v, out);
      return;
    case FieldKind::kAttrs: return LookupAttrs(f, t, out);
  }
}

std::string ValueToString(const Value& v) {
  switch (v.type) {
    case Value::Type::kNumber: return fmt::format("{}", v.number);
    case Value::Type::kString: return std::string(v.str);
    case Value::Type::kBool: return v.boolean ? "true" : "false";
  }
  return "";
}

nlohmann::json ValueToJson(const Value& v) {
  switch (v.type) {
    case Value::Type::kNumber:
      // JSON has no inf or NaN; null would read as "no value".
      if (!std::isfinite(v.number)) return MetricValueJson(v.number);
      // Integers stay integers (a seed is 3000003, not 3000003.0).
      if (v.number == std::trunc(v.number) && std::fabs(v.number) < 9007199254740992.0) {
        return static_cast<int64_t>(v.number);
      }
      return v.number;
    case Value::Type::kString: return std::string(v.str);
    case Value::Type::kBool: return v.boolean;
  }
  return nullptr;
}

nlohmann::json ValuesToJson(const std::vector<Value>& values) {
  if (values.empty()) return nullptr;
  if (values.size() == 1) return ValueToJson(values[0]);
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& v : values) arr.push_back(ValueToJson(v));
  return arr;
}

int CompareForSort(const Value& a, const Value& b) {
  if (a.type != b.type) return static_cast<int>(a.type) < static_cast<int>(b.type) ? -1 : 1;
  switch (a.type) {
    case Value::Type::kNumber: return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
    case Value::Type::kString: return a.str < b.str ? -1 : (a.str > b.str ? 1 : 0);
    case Value::Type::kBool: return static_cast<int>(a.boolean) - static_cast<int>(b.boolean);
  }
  return 0;
}

}  // namespace cairn::query
