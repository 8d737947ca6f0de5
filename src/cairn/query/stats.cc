// ComputeStats: models trained, compute used and saved, model sizes.
#include "cairn/stats.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cairn/query/table.h"

namespace cairn {

namespace {

using nlohmann::json;

// Metrics a training program reports its parameter count under.
constexpr const char* kSizeMetrics[] = {"n_params", "num_params", "num_parameters", "n_parameters",
                                        "param_count", "parameters", "model_size"};

// Ran: it started and ended, so it used compute (even if only to crash).
bool Ran(const TrialRecord& r) { return r.started_at && r.ended_at && IsFinal(r.state); }

// Trained: it also reported a finite objective at least once. A program
// that was not found, crashed before its first epoch, or reported only NaN,
// trained no model. (Summaries without min/max predate them: reports count.)
bool Trained(const IndexedTrial& t, const std::string& objective) {
  const TrialRecord& r = t.record;
  if (!Ran(r) || r.steps <= 0) return false;
  auto it = t.metrics.find(objective);
  if (it == t.metrics.end()) return true;
  const MetricSummary& m = it->second;
  return (m.max && std::isfinite(*m.max)) || (m.min && std::isfinite(*m.min)) ||
         (!m.min && !m.max && m.last && std::isfinite(*m.last));
}

double Hours(const TrialRecord& r) { return Ran(r) ? std::max(0.0, *r.ended_at - *r.started_at) / 3600.0 : 0.0; }

int GpuCount(const TrialRecord& r) {
  for (const char* key : {"gpus"}) {
    auto it = r.attrs.find(key);
    if (it != r.attrs.end() && it->is_array()) return static_cast<int>(it->size());
  }
  auto ctx = r.attrs.find("context");
  if (ctx != r.attrs.end() && ctx->is_object() && ctx->contains("gpus") && (*ctx)["gpus"].is_array()) {
    return static_cast<int>((*ctx)["gpus"].size());
  }
  return 0;
}

std::string Day(double t) {
  std::time_t secs = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const MetricSummary* ObjectiveSummary(const IndexedTrial& t, const std::string& objective) {
  auto it = t.metrics.find(objective);
  return it == t.metrics.end() ? nullptr : &it->second;
}

// How far a trial ran, in the study's step units: the last step its objective
// reported, else (older records) its count of reports. The two differ for a
// program that reports every 10th step: 10 reports by step 100.
double StepsReached(const IndexedTrial& t, const std::string& objective) {
  const MetricSummary* m = ObjectiveSummary(t, objective);
  if (m && m->last_step) return static_cast<double>(*m->last_step);
  return static_cast<double>(t.record.steps);
}

// The steps a full trial of the study runs: budget.max_steps, else the median
// of its completed trials' steps reached; 0 when unknown.
double TargetSteps(const IndexedStudy& s, const std::vector<const IndexedTrial*>& trials) {
  const json& spec = s.record.spec_json;
  if (spec.is_object() && spec.contains("budget") && spec["budget"].is_object()) {
    const json& m = spec["budget"].value("max_steps", json());
    if (m.is_number() && m.get<double>() > 0) return m.get<double>();
  }
  std::vector<double> steps;
  for (const auto* t : trials) {
    if (t->record.state == TrialState::kCompleted && t->record.steps > 0) {
      steps.push_back(StepsReached(*t, s.record.objective));
    }
  }
  return steps.empty() ? 0.0 : Median(steps);
}

// Seconds per step of a trial from the first and last report of its
// objective, which leaves out its start-up (a process that loads a dataset
// for 2 s and then runs 50 steps of 0.1 s is not a 1.1 s-per-step trial
// when stopped after 2 steps); per step, not per report, where the steps are
// known; none before two reports or in older records.
std::optional<double> Pace(const IndexedTrial& t, const std::string& objective) {
  const MetricSummary* m = ObjectiveSummary(t, objective);
  if (!m || !m->first_at || !m->last_at || m->steps < 2 || *m->last_at < *m->first_at) return std::nullopt;
  const double seconds = *m->last_at - *m->first_at;
  if (m->first_step && m->last_step && *m->last_step > *m->first_step) {
    return seconds / static_cast<double>(*m->last_step - *m->first_step);
  }
  return seconds / static_cast<double>(m->steps - 1);
}

// The median pace of the study's trials that have one.
std::optional<double> StudyPace(const IndexedStudy& s, const std::vector<const IndexedTrial*>& trials) {
  std::vector<double> paces;
  for (const auto* t : trials) {
    if (auto p = Pace(*t, s.record.objective)) paces.push_back(*p);
  }
  if (paces.empty()) return std::nullopt;
  return Median(paces);
}

// The hours a stopped trial would still have run to the target: its own
// pace, else the study's, else (older records) its whole time per step.
double SavedHours(const IndexedTrial& t, const std::string& objective, double target,
                  std::optional<double> study_pace) {
  const TrialRecord& r = t.record;
  const double reached = StepsReached(t, objective);
  if (r.state != TrialState::kStopped || !Trained(t, objective) || reached <= 0 || target <= reached) return 0.0;
  std::optional<double> pace = Pace(t, objective);
  if (!pace) pace = study_pace;
  double seconds_per_step = pace.value_or((*r.ended_at - *r.started_at) / reached);
  return (target - reached) * seconds_per_step / 3600.0;
}

// The model's size: a reported parameter count, else its largest non-log
// artifact. `source` says which.
std::optional<double> ModelSize(const IndexedTrial& t, std::string* source) {
  for (const char* key : kSizeMetrics) {
    auto it = t.metrics.find(key);
    if (it != t.metrics.end() && it->second.last && std::isfinite(*it->second.last)) {
      *source = fmt::format("metric {}", key);
      return *it->second.last;
    }
  }
  std::optional<double> largest;
  auto arts = t.record.attrs.find("artifacts");
  if (arts == t.record.attrs.end() || !arts->is_array()) return std::nullopt;
  for (const auto& a : *arts) {
    if (!a.is_object() || a.value("log", false) || a.value("cairn", false) || !a.contains("size") || !a["size"].is_number()) continue;
    largest = std::max(largest.value_or(0.0), a["size"].get<double>());
  }
  if (largest) *source = "artifact bytes";
  return largest;
}

json SizeSummary(const std::vector<double>& sizes, const std::set<std::string>& sources) {
  if (sizes.empty()) return nullptr;
  std::string source;
  for (const auto& s : sources) source += (source.empty() ? "" : ", ") + s;
  return {{"source", source}, {"min", *std::min_element(sizes.begin(), sizes.end())}, {"median", Median(sizes)},
          {"max", *std::max_element(sizes.begin(), sizes.end())}};
}

json StudyStats(const IndexedStudy& s, const std::vector<const IndexedTrial*>& trials, std::map<std::string, json>* days) {
  json states = json::object();
  int trained = 0;
  double hours = 0, gpu_hours = 0, saved = 0;
  const IndexedTrial* best = nullptr;
  std::vector<double> sizes;
  std::set<std::string> sources;
  const double target = TargetSteps(s, trials);
  const std::optional<double> pace = StudyPace(s, trials);
  for (const auto* t : trials) {
    const TrialRecord& r = t->record;
    std::string state(TrialStateName(r.state));
    states[state] = states.value(state, 0) + 1;
    if (Ran(r)) {
      json& day = (*days)[Day(*r.ended_at)];
      if (!day.is_object()) day = json{{"models_trained", 0}, {"compute_hours", 0.0}};
      day["models_trained"] = day.value("models_trained", 0) + (Trained(*t, s.record.objective) ? 1 : 0);
      day["compute_hours"] = day.value("compute_hours", 0.0) + Hours(r);
    }
    trained += Trained(*t, s.record.objective) ? 1 : 0;
    hours += Hours(r);
    gpu_hours += Hours(r) * GpuCount(r);
    saved += SavedHours(*t, s.record.objective, target, pace);
    if (r.state == TrialState::kCompleted && r.value &&
        (best == nullptr || IsBetter(s.record.direction, *r.value, *best->record.value))) {
      best = t;
    }
    std::string source;
    if (auto size = ModelSize(*t, &source)) {
      sizes.push_back(*size);
      sources.insert(source);
    }
  }
  return {{"study", s.record.name}, {"objective", s.record.objective},
          {"direction", std::string(DirectionName(s.record.direction))}, {"trials", trials.size()},
          {"models_trained", trained}, {"states", states}, {"compute_hours", hours}, {"gpu_hours", gpu_hours},
          {"saved_hours", saved}, {"target_steps", target > 0 ? json(target) : json()},
          {"best", best ? json{{"number", best->record.number}, {"value", *best->record.value}} : json()},
          {"model_size", SizeSummary(sizes, sources)}};
}

}  // namespace

json ComputeStats(const TrialIndex& index) {
  std::vector<std::vector<const IndexedTrial*>> by_study(index.studies().size());
  for (const auto& t : index.trials()) by_study[t.study].push_back(&t);
  std::map<std::string, json> days;
  json studies = json::array();
  json total = {{"trials", 0}, {"models_trained", 0}, {"compute_hours", 0.0}, {"gpu_hours", 0.0}, {"saved_hours", 0.0}};
  for (size_t i = 0; i < index.studies().size(); ++i) {
    json s = StudyStats(index.studies()[i], by_study[i], &days);
    for (const char* k : {"trials", "models_trained"}) total[k] = total[k].get<int64_t>() + s[k].get<int64_t>();
    for (const char* k : {"compute_hours", "gpu_hours", "saved_hours"}) total[k] = total[k].get<double>() + s[k].get<double>();
    studies.push_back(std::move(s));
  }
  json per_day = json::array();
  for (auto& [day, d] : days) per_day.push_back({{"day", day}, {"models_trained", d["models_trained"]}, {"compute_hours", d["compute_hours"]}});
  return {{"studies", studies}, {"per_day", per_day}, {"total", total}};
}

namespace {

// Hours to two decimals, or two significant digits below 0.01 h, so a study
// of seconds does not read as nothing.
std::string FormatHours(const json& hours) {
  double h = hours.get<double>();
  return h != 0 && std::abs(h) < 0.01 ? fmt::format("{:.2g}", h) : fmt::format("{:.2f}", h);
}

}  // namespace

std::string RenderStats(const json& stats) {
  query::Table studies({"study", "trials", "trained", "states", "compute h", "GPU h", "saved h", "best", "median model size"});
  for (const auto& s : stats["studies"]) {
    std::string states;
    for (const auto& [k, v] : s["states"].items()) states += fmt::format("{}{} {}", states.empty() ? "" : ", ", v.get<int>(), k);
    std::string best = s["best"].is_null() ? "-"
                                           : fmt::format("{} (trial {})", query::FormatNumber(s["best"]["value"].get<double>()),
                                                         s["best"]["number"].get<int>());
    std::string size = s["model_size"].is_null() ? "-"
                                                 : fmt::format("{} ({})", query::FormatNumber(s["model_size"]["median"].get<double>()),
                                                               s["model_size"]["source"].get<std::string>());
    studies.AddRow({s["study"], std::to_string(s["trials"].get<int>()), std::to_string(s["models_trained"].get<int>()),
                    states.empty() ? "-" : states, FormatHours(s["compute_hours"]), FormatHours(s["gpu_hours"]),
                    FormatHours(s["saved_hours"]),
                    best, size});
  }
  query::Table days({"day", "trained", "compute h"});
  for (const auto& d : stats["per_day"]) {
    days.AddRow({d["day"], std::to_string(d["models_trained"].get<int>()), FormatHours(d["compute_hours"])});
  }
  const json& t = stats["total"];
  return studies.Render() + "\n" + days.Render() +
         fmt::format("\ntotal: {} trials, {} models trained, {} compute hours ({} GPU-hours), "
                     "{} hours saved by early stopping\n",
                     t["trials"].get<int>(), t["models_trained"].get<int>(), FormatHours(t["compute_hours"]),
                     FormatHours(t["gpu_hours"]), FormatHours(t["saved_hours"]));
}

}  // namespace cairn
