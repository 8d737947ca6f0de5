// StudyImportance: the surrogate's training data from completed trials.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cairn/importance.h"

namespace cairn {

namespace {

using nlohmann::json;

// What the studies' spec_json says about a parameter, when it says anything.
struct SpecInfo {
  bool categorical = false;
  bool log = false;
  std::optional<double> low, high;
  std::vector<std::string> choices;
};

std::map<std::string, SpecInfo> SpaceInfo(const std::vector<StudyRecord>& studies) {
  std::map<std::string, SpecInfo> out;
  for (const auto& s : studies) {
    if (!s.spec_json.is_object() || !s.spec_json.contains("space") || !s.spec_json["space"].is_array()) continue;
    for (const auto& p : s.spec_json["space"]) {
      if (!p.is_object() || !p.contains("name") || !p["name"].is_string() || out.contains(p["name"])) continue;
      SpecInfo info;
      info.categorical = p.value("type", "") == "categorical";
      info.log = p.value("log", false);
      if (p.contains("low") && p["low"].is_number()) info.low = p["low"].get<double>();
      if (p.contains("high") && p["high"].is_number()) info.high = p["high"].get<double>();
      if (p.contains("choices") && p["choices"].is_array()) {
        for (const auto& c : p["choices"]) {
          auto v = ParamValueFromJson(c);
          if (v.ok()) info.choices.push_back(ParamValueToString(*v));
        }
      }
      out[p["name"]] = std::move(info);
    }
  }
  return out;
}

double Transform(double v, bool log) { return log ? std::log10(std::max(v, 1e-300)) : v; }

// One feature per parameter name seen in `trials`: categorical for strings,
// bools and spec'd categoricals (codes in spec order, else sorted), numeric
// otherwise (log10 for log-scale parameters), NaN where inactive.
ImportanceData MakeData(const std::vector<const TrialRecord*>& trials, const std::map<std::string, SpecInfo>& space) {
  std::set<std::string> names;
  for (const auto* t : trials) for (const auto& [k, v] : t->params) names.insert(k);
  ImportanceData d;
  d.x.assign(trials.size(), std::vector<double>(names.size(), NAN));
  size_t j = 0;
  for (const auto& name : names) {
    SpecInfo info = space.contains(name) ? space.at(name) : SpecInfo{};
    std::vector<std::string> choices = info.choices;
    bool categorical = info.categorical;
    for (const auto* t : trials) {
      auto it = t->params.find(name);
      if (it != t->params.end() && !ParamValueAsDouble(it->second)) categorical = true;
      if (it != t->params.end() && std::holds_alternative<bool>(it->second)) categorical = true;
    }
    ImportanceFeature f{.name = name, .categorical = categorical};
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < trials.size(); ++i) {
      auto it = trials[i]->params.find(name);
      if (it == trials[i]->params.end()) continue;
      if (categorical) {
        std::string s = ParamValueToString(it->second);
        auto pos = std::find(choices.begin(), choices.end(), s);
        if (pos == choices.end()) pos = choices.insert(choices.end(), s);
        d.x[i][j] = static_cast<double>(pos - choices.begin());
      } else {
        d.x[i][j] = Transform(*ParamValueAsDouble(it->second), info.log);
        lo = std::min(lo, d.x[i][j]);
        hi = std::max(hi, d.x[i][j]);
      }
    }
    if (categorical) {
      f.categories = static_cast<int>(choices.size());
    } else {
      f.low = info.low ? Transform(*info.low, info.log) : lo;
      f.high = info.high ? Transform(*info.high, info.log) : hi;
    }
    d.features.push_back(f);
    ++j;
  }
  for (const auto* t : trials) d.y.push_back(*t->value);
  return d;
}

}  // namespace

Result<ImportanceReport> StudyImportance(Store& store, const std::vector<std::string>& names,
                                         const ImportanceOptions& options) {
  if (names.empty()) return InvalidArgument("importance: name at least one study");
  std::set<std::string> seen;
  for (const auto& name : names) {
    // Pooled twice, a study's trials would weigh double in the forest.
    if (!seen.insert(name).second) return InvalidArgument("importance: study '" + name + "' is named twice");
  }
  std::vector<StudyRecord> studies;
  std::vector<TrialRecord> all;
  std::vector<std::set<std::string>> params_of;  // each study's parameter names
  for (const auto& name : names) {
    CAIRN_ASSIGN_OR_RETURN(StudyRecord s, store.GetStudy(name));
    // Pooled values must mean the same thing: one metric, one direction.
    if (!studies.empty() && (s.objective != studies[0].objective || s.direction != studies[0].direction)) {
      return InvalidArgument(fmt::format("importance: study '{}' has objective {} ({}) but '{}' has {} ({}); only "
                                         "studies of one objective can be pooled",
                                         s.name, s.objective, DirectionName(s.direction), studies[0].name,
                                         studies[0].objective, DirectionName(studies[0].direction)));
    }
    CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(s.id));
    params_of.emplace_back();
    for (auto& t : trials) {
      for (const auto& [param, value] : t.params) params_of.back().insert(param);
      if (t.state == TrialState::kCompleted && t.value && std::isfinite(*t.value)) all.push_back(std::move(t));
    }
    studies.push_back(std::move(s));
  }
  // Studies without a parameter in common: pooled, each parameter would only
  // tell the studies apart.
  std::set<std::string> shared = params_of.front();
  for (size_t i = 1; i < params_of.size(); ++i) {
    std::set<std::string> both;
    std::set_intersection(shared.begin(), shared.end(), params_of[i].begin(), params_of[i].end(),
                          std::inserter(both, both.begin()));
    shared = std::move(both);
  }
  if (names.size() > 1 && shared.empty()) {
    return InvalidArgument(fmt::format("importance: the studies {} share no parameter; pooled, a parameter would "
                                       "only tell them apart (give studies of one search space)",
                                       fmt::join(names, ", ")));
  }
  if (static_cast<int>(all.size()) < options.min_trials) {
    return FailedPrecondition(fmt::format("importance: {} completed trials with a value in {}; need at least {}",
                                          all.size(), fmt::join(names, ", "), options.min_trials));
  }
  std::vector<const TrialRecord*> ptrs;
  for (const auto& t : all) ptrs.push_back(&t);
  ImportanceData data = MakeData(ptrs, SpaceInfo(studies));
  CAIRN_ASSIGN_OR_RETURN(ImportanceReport report, ComputeImportance(data, options));
  report.studies = names;
  return report;
}

}  // namespace cairn
