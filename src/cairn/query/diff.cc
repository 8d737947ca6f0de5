// DiffTrials: two trials side by side, section by section.
#include <set>

#include <fmt/format.h>

#include "cairn/diff.h"
#include "cairn/env_names.h"
#include "cairn/json_text.h"
#include "cairn/query/trial_ref.h"

namespace cairn {

namespace {

using nlohmann::json;

// One side of the diff: the loaded trial and its study.
struct Side {
  TrialIndex index;
  const IndexedTrial& trial() const { return index.trials().front(); }
  const IndexedStudy& study() const { return index.studies().front(); }
  const json& context() const {
    static const json kEmpty = json::object();
    const json& attrs = trial().record.attrs;
    auto it = attrs.find("context");
    return it != attrs.end() && it->is_object() ? *it : kEmpty;
  }
};

// Adds a row unless both sides are missing.
void AddRow(json* rows, const std::string& key, const json& a, const json& b) {
  if (a.is_null() && b.is_null()) return;
  std::string change = a.is_null() ? "added" : b.is_null() ? "removed" : a == b ? "same" : "changed";
  rows->push_back({{"key", key}, {"a", a}, {"b", b}, {"same", change == "same"}, {"change", change}});
}

// Rows for every key of two JSON objects (missing objects count as empty).
json ObjectRows(const json& a, const json& b, const std::string& prefix = "",
                bool (*skip)(std::string_view) = nullptr) {
  json rows = json::array();
  std::set<std::string> keys;
  for (const json* j : {&a, &b}) {
    if (j->is_object()) for (const auto& [k, v] : j->items()) keys.insert(k);
  }
  for (const auto& k : keys) {
    if (skip && skip(k)) continue;
    AddRow(&rows, prefix + k, a.is_object() ? a.value(k, json()) : json(), b.is_object() ? b.value(k, json()) : json());
  }
  return rows;
}

// inf and NaN as MetricValueJson spells them: null would read as "no value",
// and NaN compares unequal to itself ("nan nan changed").
json OptionalJson(const std::optional<double>& v) { return MetricValueJson(v); }
json OptionalJson(const std::optional<int>& v) { return v ? json(*v) : json(); }

json TrialFacts(const Side& s) {
  const TrialRecord& r = s.trial().record;
  json duration = r.started_at && r.ended_at ? json(*r.ended_at - *r.started_at) : json();
  const json& attrs = r.attrs;
  json container = s.context().value("container", json());
  return {{"study", s.study().record.name}, {"state", std::string(TrialStateName(r.state))},
          {"end_reason", r.end_reason.empty() ? json() : json(r.end_reason)}, {"exit_code", OptionalJson(r.exit_code)},
          {"signal", OptionalJson(r.signal)}, {"value", OptionalJson(r.value)}, {"steps", r.steps},
          {"duration_s", duration}, {"seed", attrs.value("seed", json())}, {"argv", attrs.value("argv", json())},
          {"container", container.is_object() ? container.value("image", json()) : json()},
          {"container_digest", container.is_object() ? container.value("digest", json()) : json()}};
}

json CodeFacts(const Side& s) {
  const json& ctx = s.study().context;
  json out = json::object();
  // The files the command names, by hash: outside git the code's only record.
  const json files = s.context().value("program_files", json::array());
  for (const auto& f : files.is_array() ? files : json::array()) {
    if (f.is_object() && f.contains("path")) out["file " + f.value("path", "")] = f.value("sha256", json());
  }
  if (!ctx.is_object()) return out;
  // A trial of a resume with changed code records its own version.
  const json code = s.context().contains("code") ? s.context()["code"] : ctx.value("code", json::object());
  for (const char* k : {"commit", "branch", "dirty", "diff_sha256", "remote_url", "is_repo"}) {
    if (code.is_object() && code.contains(k)) out[k] = code[k];
  }
  if (ctx.contains("cairn_version")) out["cairn_version"] = ctx["cairn_version"];
  return out;
}

json Packages(const Side& s) {
  json out = json::object();
  const json* sw = s.trial().software.get();
  if (sw == nullptr || !sw->is_object()) return out;
  const json python = sw->value("python", json());
  if (python.is_object()) {
    if (python.contains("version")) out["python"] = python["version"];
    const json packages = python.value("packages", json::object());
    for (const auto& [k, v] : packages.items()) out[k] = v;
  }
  const json debian = sw->value("debian", json::object());
  for (const auto& [k, v] : debian.items()) out["debian:" + k] = v;
  const json conda = sw->value("conda", json());
  if (conda.is_object() && conda.contains("name")) out["conda"] = conda["name"];
  return out;
}

json Gpus(const Side& s) {
  json out = json::object();
  const json gpus = s.context().value("gpus", json::array());
  if (!gpus.is_array()) return out;
  out["count"] = gpus.size();
  for (size_t i = 0; i < gpus.size(); ++i) {
    if (!gpus[i].is_object()) continue;
    for (const char* k : {"name", "uuid", "memory_total_bytes", "driver_version", "cuda_version"}) {
      if (gpus[i].contains(k)) out[fmt::format("gpu{}.{}", i, k)] = gpus[i][k];
    }
  }
  return out;
}

json DatasetRows(const Side& a, const Side& b) {
  auto hashes = [](const Side& s) {
    json out = json::object();
    const json sets = s.context().value("datasets", json::array());
    for (const auto& d : sets) {
      if (d.is_object() && d.contains("path") && d["path"].is_string()) out[d["path"].get<std::string>()] = d.value("sha256", json());
    }
    return out;
  };
  json rows = ObjectRows(hashes(a), hashes(b));
  for (auto& r : rows) {
    if (r["change"] == "changed") r["drift"] = true;
  }
  return rows;
}

json MetricRows(const Side& a, const Side& b) {
  auto metrics = [](const Side& s) {
    json out = json::object();
    for (const auto& [k, m] : s.trial().metrics) out[k] = {{"last", OptionalJson(m.last)}, {"best", OptionalJson(m.best)}};
    return out;
  };
  return ObjectRows(metrics(a), metrics(b));
}

json Identity(const Side& s) {
  const TrialRecord& r = s.trial().record;
  return {{"study", s.study().record.name}, {"number", r.number}, {"ark", r.ark}};
}

}  // namespace

Result<json> DiffTrials(Store& store, const TrialRef& ref_a, const TrialRef& ref_b) {
  auto load = [&store](const TrialRef& ref) -> Result<Side> {
    auto index = query::LoadTrial(store, ref);
    if (!index.ok()) return index.status().WithContext(TrialRefToString(ref));
    return Side{std::move(*index)};
  };
  CAIRN_ASSIGN_OR_RETURN(Side a, load(ref_a));
  CAIRN_ASSIGN_OR_RETURN(Side b, load(ref_b));
  json params_a = ParamsToJson(a.trial().record.params), params_b = ParamsToJson(b.trial().record.params);
  json host_a = a.trial().host ? *a.trial().host : json(), host_b = b.trial().host ? *b.trial().host : json();
  json sections = json::array({
      {{"name", "trial"}, {"rows", ObjectRows(TrialFacts(a), TrialFacts(b))}},
      {{"name", "params"}, {"rows", ObjectRows(params_a, params_b)}},
      {{"name", "code"}, {"rows", ObjectRows(CodeFacts(a), CodeFacts(b))}},
      {{"name", "packages"}, {"rows", ObjectRows(Packages(a), Packages(b))}},
      {{"name", "env"}, {"rows", ObjectRows(a.context().value("env", json()), b.context().value("env", json()), "",
                                            IsSessionVariable)}},
      {{"name", "host"}, {"rows", ObjectRows(host_a, host_b)}},
      {{"name", "gpus"}, {"rows", ObjectRows(Gpus(a), Gpus(b))}},
      {{"name", "datasets"}, {"rows", DatasetRows(a, b)}},
      {{"name", "metrics"}, {"rows", MetricRows(a, b)}},
  });
  return json{{"a", Identity(a)}, {"b", Identity(b)}, {"sections", std::move(sections)}};
}

json OnlyDifferences(const json& diff) {
  json out = diff;
  json sections = json::array();
  for (const auto& s : diff["sections"]) {
    json rows = json::array();
    for (const auto& r : s["rows"]) {
      if (!r.value("same", false)) rows.push_back(r);
    }
    if (!rows.empty()) sections.push_back({{"name", s["name"]}, {"rows", std::move(rows)}});
  }
  out["sections"] = std::move(sections);
  return out;
}

}  // namespace cairn
