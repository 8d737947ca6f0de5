// LoadStudyCurves: a study's trial curves and stop predictions from a store.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cairn/plot.h"

namespace cairn {

namespace {

std::optional<double> JsonNumber(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

// The step a full trial reaches: budget.max_steps of the stored spec (as
// MaxStepsOf in spec.h reads it; plot does not depend on spec).
std::optional<int64_t> SpecMaxSteps(const StudyRecord& study) {
  const auto& spec = study.spec_json;
  if (!spec.is_object() || !spec.contains("budget")) return std::nullopt;
  auto v = JsonNumber(spec["budget"], "max_steps");
  if (!v || *v < 1) return std::nullopt;
  return static_cast<int64_t>(*v);
}

// The key the study's program reports its step under ("epoch"), from the
// stored spec; "step" when the spec does not say.
std::string SpecStepKey(const StudyRecord& study) {
  const auto& spec = study.spec_json;
  if (!spec.is_object() || !spec.contains("objective") || !spec["objective"].is_object()) return "step";
  const auto& objective = spec["objective"];
  if (!objective.contains("step") || !objective["step"].is_string()) return "step";
  const std::string key = objective["step"].get<std::string>();
  return key.empty() ? "step" : key;
}

// The prediction of a stopped trial's decision, when it has one.
std::optional<PlotPrediction> DecisionPrediction(const TrialRecord& t, int64_t default_target) {
  if (t.state != TrialState::kStopped || !t.attrs.is_object() || !t.attrs.contains("decision")) return std::nullopt;
  const auto& d = t.attrs["decision"];
  auto predicted = JsonNumber(d, "predicted");
  if (!predicted) return std::nullopt;
  PlotPrediction p;
  p.predicted = *predicted;
  p.lower = JsonNumber(d, "lower");
  p.upper = JsonNumber(d, "upper");
  if (d.contains("rule") && d["rule"].is_string()) p.rule = d["rule"].get<std::string>();
  auto target = JsonNumber(d, "target_step");
  p.target_step = target ? static_cast<int64_t>(*target) : default_target;
  return p;
}

// One curve from a trial's points of one key (ordered by step, then time):
// a step reported twice keeps its last value; the objective ends at the
// trial's value step (LastCountedStep).
PlotCurve TrialCurve(const TrialRecord& t, const std::vector<MetricPoint>& points, bool objective) {
  PlotCurve c;
  c.label = fmt::format("trial {}", t.number);
  c.state = t.state;
  // A failed trial shows all it reported: where it went wrong is the point.
  const bool ended_well = t.state == TrialState::kStopped || t.state == TrialState::kCompleted;
  const std::optional<int64_t> last = objective && ended_well ? LastCountedStep(t.attrs, std::nullopt) : std::nullopt;
  for (const auto& p : points) {
    if (last && p.step > *last) break;
    if (!c.steps.empty() && c.steps.back() == p.step) {
      c.values.back() = p.value;
      continue;
    }
    c.steps.push_back(p.step);
    c.values.push_back(p.value);
  }
  return c;
}

}  // namespace

Result<CurvesPlot> LoadStudyCurves(Store& store, const std::string& name, const std::string& metric) {
  CAIRN_ASSIGN_OR_RETURN(StudyRecord study, store.GetStudy(name));
  CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(study.id));
  CurvesPlot plot;
  plot.title = study.name;
  plot.metric = metric.empty() ? study.objective : metric;
  plot.step_name = SpecStepKey(study);
  plot.direction = study.direction;
  std::vector<const TrialRecord*> used;
  int64_t longest = 0;
  for (const auto& t : trials) {
    CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({t.id, plot.metric}));
    if (points.empty()) continue;
    plot.curves.push_back(TrialCurve(t, points, plot.metric == study.objective));
    if (plot.curves.back().steps.empty()) {
      plot.curves.pop_back();
      continue;
    }
    used.push_back(&t);
    longest = std::max(longest, plot.curves.back().steps.back());
  }
  int64_t target = SpecMaxSteps(study).value_or(longest);
  // Predictions are of the objective's final value; another metric's plot
  // would put them on the wrong scale.
  if (plot.metric == study.objective) {
    for (size_t i = 0; i < used.size(); ++i) {
      plot.curves[i].prediction = DecisionPrediction(*used[i], target);
      // The best is the trial status and show call best: its recorded
      // value, which points past max_steps do not change.
      if (used[i]->value && std::isfinite(*used[i]->value)) plot.curves[i].final_value = *used[i]->value;
    }
  }
  return plot;
}

}  // namespace cairn
