#include "cairn/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "cairn/metric_summary.h"
#include "cairn/text_table.h"
#include "cairn/utf8.h"
#include "cairn/study/trial_trail.h"

namespace cairn {
namespace {

nlohmann::json NumberOrNull(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

// The last lines of a failed trial's stderr.log (its traceback), read from
// the last 4 KiB; empty when the folder is elsewhere (another machine).
nlohmann::json StderrTail(const TrialRecord& t) {
  nlohmann::json lines = nlohmann::json::array();
  if (t.state != TrialState::kFailed || !t.attrs.is_object() || !t.attrs.contains("trial_dir") ||
      !t.attrs["trial_dir"].is_string()) {
    return lines;
  }
  std::ifstream in(std::filesystem::path(t.attrs["trial_dir"].get<std::string>()) / "stderr.log", std::ios::binary);
  if (!in) return lines;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  constexpr std::streamoff kTail = 4096;
  in.seekg(std::max<std::streamoff>(0, size - kTail));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> all;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (line.find_first_not_of(" \t\r") != std::string::npos) all.push_back(Utf8Prefix(line, 200));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  if (size > kTail && !all.empty()) all.erase(all.begin());  // cut in the middle
  constexpr size_t kLines = 5;
  for (size_t i = all.size() > kLines ? all.size() - kLines : 0; i < all.size(); ++i) lines.push_back(all[i]);
  return lines;
}

std::optional<const TrialRecord*> BestCompleted(const std::vector<TrialRecord>& trials, Direction d) {
  std::optional<const TrialRecord*> best;
  for (const auto& t : trials) {
    if (t.state != TrialState::kCompleted || !t.value || !std::isfinite(*t.value)) continue;
    if (!best || IsBetter(d, *t.value, *(*best)->value)) best = &t;
  }
  return best;
}

std::string FormatValue(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string FormatParams(const nlohmann::json& params) {
  std::string out;
  for (const auto& [k, v] : params.items()) {
    if (!out.empty()) out += " ";
    out += k + "=" + FormatValue(v);
  }
  return out;
}

// Per-metric summary of a trial's points: steps, last, best (for the
// objective's direction), min, max, and how many were NaN or infinite.
nlohmann::json SummarizeMetrics(const std::vector<MetricPoint>& points, const std::string& objective,
                                Direction direction) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, m] : SummarizeMetricPoints(points, direction, objective)) out[key] = MetricSummaryJson(m);
  return out;
}

}  // namespace

Result<nlohmann::json> ListStudiesJson(Store& store) {
  CAIRN_ASSIGN_OR_RETURN(auto studies, store.ListStudies());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : studies) {
    CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(s.id));
    std::map<std::string, int> states;
    for (const auto& t : trials) ++states[std::string(TrialStateName(t.state))];
    auto best = BestCompleted(trials, s.direction);
    out.push_back({{"name", s.name},
                   {"objective", s.objective},
                   {"direction", DirectionName(s.direction)},
                   {"created_at", s.created_at},
                   {"trials", trials.size()},
                   {"states", states},
                   {"best", best ? nlohmann::json{{"number", (*best)->number}, {"value", *(*best)->value}}
                                 : nlohmann::json(nullptr)}});
  }
  return out;
}

namespace {

// The step of the trial's value, read as `query`'s `step` reads it: the
// value_step the coordinator records (reports past max_steps or after a stop
// are points, not the value); for records without it, the objective's last
// step from the metric summaries in attrs (their reports when a summary
// predates last_step), else from the stored points; a trial that reported
// nothing counts its reports.
Result<int64_t> LastObjectiveStep(Store& store, const TrialRecord& t, const std::string& objective) {
  if (std::optional<int64_t> step = ValueStepOf(t.attrs)) return *step;
  if (t.attrs.is_object() && t.attrs.contains("metrics")) {
    const nlohmann::json& metrics = t.attrs["metrics"];
    if (!metrics.is_object() || !metrics.contains(objective)) return t.steps;
    const nlohmann::json& m = metrics[objective];
    return m.is_object() && m.contains("last_step") && m["last_step"].is_number_integer()
               ? m["last_step"].get<int64_t>()
               : t.steps;
  }
  CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({t.id, objective}));
  if (points.empty()) return t.steps;
  int64_t last = points.front().step;
  for (const auto& p : points) last = std::max(last, p.step);
  return last;
}

}  // namespace

Result<nlohmann::json> StudyStatusJson(Store& store, const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(StudyRecord study, store.GetStudy(name));
  CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(study.id));
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& t : trials) {
    CAIRN_ASSIGN_OR_RETURN(int64_t step, LastObjectiveStep(store, t, study.objective));
    rows.push_back({{"number", t.number},
                    {"state", TrialStateName(t.state)},
                    {"params", ParamsToJson(t.params)},
                    {"value", NumberOrNull(t.value)},
                    {"steps", t.steps},
                    {"step", step},
                    {"end_reason", t.end_reason}});
  }
  auto best = BestCompleted(trials, study.direction);
  return nlohmann::json{{"study", study.name},
                        {"objective", study.objective},
                        {"direction", DirectionName(study.direction)},
                        {"best", best ? nlohmann::json{{"number", (*best)->number}, {"value", *(*best)->value}}
                                      : nlohmann::json(nullptr)},
                        {"trials", rows}};
}

Result<nlohmann::json> TrialDetailsJson(Store& store, const std::string& name, int number) {
  CAIRN_ASSIGN_OR_RETURN(StudyRecord study, store.GetStudy(name));
  CAIRN_ASSIGN_OR_RETURN(TrialRecord t, TrialOfStudy(store, study, number));
  CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({t.id, std::nullopt}));
  auto opt_time = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json out = {
      {"study", study.name},
      {"number", t.number},
      {"id", t.id},
      {"ark", t.ark},
      {"state", TrialStateName(t.state)},
      {"params", ParamsToJson(t.params)},
      {"value", NumberOrNull(t.value)},
      {"steps", t.steps},
      {"objective", study.objective},
      {"created_at", t.created_at},
      {"started_at", opt_time(t.started_at)},
      {"ended_at", opt_time(t.ended_at)},
      {"end_reason", t.end_reason},
      {"exit_code", t.exit_code ? nlohmann::json(*t.exit_code) : nlohmann::json(nullptr)},
      {"signal", t.signal ? nlohmann::json(*t.signal) : nlohmann::json(nullptr)},
      {"metrics", SummarizeMetrics(points, study.objective, study.direction)},
      {"trail", TrialTrailJson(store, study, t)},
      {"attrs", t.attrs},
  };
  if (nlohmann::json tail = StderrTail(t); !tail.empty()) out["stderr_tail"] = std::move(tail);
  return out;
}

std::string RenderStudyList(const nlohmann::json& studies) {
  TextTable table({"STUDY", "OBJECTIVE", "TRIALS", "STATES", "BEST"});
  for (const auto& s : studies) {
    std::string states;
    for (const auto& [k, v] : s["states"].items()) states += (states.empty() ? "" : " ") + k + ":" + v.dump();
    std::string best = s["best"].is_null() ? "-"
                                           : fmt::format("{} (trial {})", FormatValue(s["best"]["value"]),
                                                         s["best"]["number"].get<int>());
    table.AddRow({s["name"], fmt::format("{} ({})", s["objective"].get<std::string>(),
                                         s["direction"].get<std::string>()),
                  std::to_string(s["trials"].get<int>()), states, best});
  }
  return table.Render();
}

// The first line of an end reason, cut to 60 characters.
std::string ShortReason(const std::string& reason) {
  std::string line = reason.substr(0, reason.find('\n'));
  constexpr size_t kMax = 60;
  if (line.size() > kMax) line = line.substr(0, kMax - 3) + "...";
  return line;
}

std::string RenderStudyStatus(const nlohmann::json& status) {
  std::string out = fmt::format("study {}: {} ({})\n", status["study"].get<std::string>(),
                                status["objective"].get<std::string>(), status["direction"].get<std::string>());
  // STEP is the step of the trial's value (how far it got, within max_steps
  // and up to a stop); a program that evaluates every 10th epoch shows 50
  // after 5 reports (the JSON keeps both).
  // WHY: the start of the end reason of a trial that did not complete, so a
  // failed row explains itself (`show` has the whole of it).
  TextTable table({"TRIAL", "STATE", "VALUE", "STEP", "PARAMS", "WHY"});
  for (const auto& t : status["trials"]) {
    const int64_t step = t.contains("step") ? t["step"].get<int64_t>() : t["steps"].get<int64_t>();
    const std::string state = t["state"].get<std::string>();
    std::string why;
    if (state != "completed" && state != "running") why = ShortReason(t.value("end_reason", std::string()));
    table.AddRow({std::to_string(t["number"].get<int>()), state, FormatValue(t["value"]), std::to_string(step),
                  FormatParams(t["params"]), why});
  }
  out += table.Render();
  if (!status["best"].is_null()) {
    out += fmt::format("best: trial {} with {} = {}\n", status["best"]["number"].get<int>(),
                       status["objective"].get<std::string>(), FormatValue(status["best"]["value"]));
  }
  return out;
}

// "after 9 steps", or "at step 90 (9 reports)" for a program that reports
// every 10th step.
std::string StepsText(const nlohmann::json& d) {
  const int64_t steps = d["steps"].get<int64_t>();
  const nlohmann::json& m = d["metrics"].value(d["objective"].get<std::string>(), nlohmann::json::object());
  const int64_t last_step =
      ValueStepOf(d.value("attrs", nlohmann::json::object())).value_or(m.value("last_step", steps));
  if (last_step != steps) return fmt::format("at step {} ({} report{})", last_step, steps, steps == 1 ? "" : "s");
  return fmt::format("after {} step{}", steps, steps == 1 ? "" : "s");
}

namespace {

// The trial's value; a NaN or infinite one (a store keeps it as null) as its
// metric summary spells it ("nan"), not "-", which means "no value".
nlohmann::json ShownValue(const nlohmann::json& d) {
  if (!d["value"].is_null() || !d.contains("metrics") || !d["metrics"].is_object()) return d["value"];
  const nlohmann::json& m = d["metrics"].value(d["objective"].get<std::string>(), nlohmann::json::object());
  const auto last = m.find("last");
  return last != m.end() && last->is_string() ? *last : d["value"];
}

// The rungs a trial lost and its rule kept it past (Decision::kept), one
// line each: where a study's best trial is among them, its early ranks did
// not pick it.
std::string KeptText(const nlohmann::json& attrs) {
  if (!attrs.contains("kept") || !attrs["kept"].is_array()) return "";
  std::string out = "  lost a rung and was kept:\n";
  for (const auto& k : attrs["kept"]) {
    if (!k.is_object()) continue;
    out += fmt::format("    step {}, rule {}: {}\n", k.value("step", int64_t{0}), k.value("rule", std::string("?")),
                       k.value("reason", std::string()));
  }
  return out;
}

}  // namespace

std::string RenderTrialDetails(const nlohmann::json& d) {
  std::string out = fmt::format("study {} trial {}: {}\n", d["study"].get<std::string>(), d["number"].get<int>(),
                                d["state"].get<std::string>());
  if (!d["ark"].get<std::string>().empty()) out += fmt::format("  id: {}\n", d["ark"].get<std::string>());
  // A running trial has not ended: no empty "ended:" line.
  if (!d["end_reason"].get<std::string>().empty()) {
    out += fmt::format("  ended: {}\n", d["end_reason"].get<std::string>());
  }
  if (d.contains("stderr_tail")) {
    out += "  stderr.log ends with:\n";
    for (const auto& line : d["stderr_tail"]) out += "    " + line.get<std::string>() + "\n";
  }
  const auto& attrs = d["attrs"];
  // The duplicate rows of `status`: which trial this one repeats.
  if (attrs.contains("rerun_of") && attrs["rerun_of"].is_number_integer()) {
    const bool retry = attrs.contains("retry_of") && attrs["retry_of"].is_number_integer();
    out += fmt::format("  re-run of trial {} (it was interrupted or lost; same parameters and seed){}\n",
                       attrs["rerun_of"].get<int>(),
                       retry ? fmt::format(", as retry {} of trial {}", attrs.value("retry", 1),
                                           attrs["retry_of"].get<int>())
                             : "");
  } else if (attrs.contains("retry_of") && attrs["retry_of"].is_number_integer()) {
    out += fmt::format("  retry {} of trial {} (it failed; same parameters and seed)\n", attrs.value("retry", 1),
                       attrs["retry_of"].get<int>());
  }
  if (attrs.contains("executor") && attrs["executor"].value("kind", "") == "slurm") {
    // Where it ran, for every trial (the end reason names the job only for some).
    const auto& job = attrs["executor"];
    std::string where = fmt::format("Slurm job {}", job.value("job_id", std::string("?")));
    if (!job.value("node", std::string()).empty()) where += " on " + job["node"].get<std::string>();
    if (job.contains("pack_index")) {
      where += fmt::format(", slot {} of {}", job["pack_index"].get<int>() + 1, job.value("pack_size", 1));
    }
    out += fmt::format("  ran as: {}\n", where);
  }
  if (attrs.contains("decision")) {
    const auto& dec = attrs["decision"];
    // A fast program can finish before the stop reaches it: then the rule
    // only asked.
    std::string rule = dec.value("rule", std::string("?"));
    out += d["state"] == "stopped" ? fmt::format("  stopped by rule: {}\n", rule)
                                   : fmt::format("  stop asked by rule: {} (the program had finished first)\n", rule);
    if (dec.contains("predicted") && !dec["predicted"].is_null()) {
      out += fmt::format("  predicted final {}: {} [{}, {}] (90 % interval){}\n", d["objective"].get<std::string>(),
                         FormatValue(dec["predicted"]), FormatValue(dec.value("lower", nlohmann::json())),
                         FormatValue(dec.value("upper", nlohmann::json())),
                         dec.value("extrapolated", false)
                             ? ", extrapolated: the trial lies outside the levels the prediction was learned "
                               "from, so it is less sure than its interval says"
                             : "");
    }
    if (dec.contains("probability") && !dec["probability"].is_null()) {
      // The bar is the rule's own: for the predictive rule the best
      // completed final, smoothed (not a raw value any trial reported).
      const nlohmann::json bar = dec.value("threshold", nlohmann::json());
      out += bar.is_number()
                 ? fmt::format("  probability of beating {} (the best completed final, smoothed): {}\n",
                               FormatValue(bar), FormatValue(dec["probability"]))
                 : fmt::format("  probability of beating the rule's bar: {}\n", FormatValue(dec["probability"]));
    }
  }
  out += KeptText(attrs);
  out += fmt::format("  params: {}\n", FormatParams(d["params"]));
  if (attrs.contains("argv")) out += fmt::format("  argv: {}\n", attrs["argv"].dump());
  if (attrs.contains("seed")) out += fmt::format("  seed: {}\n", attrs["seed"].dump());
  out += fmt::format("  value: {} {}\n", FormatValue(ShownValue(d)), StepsText(d));
  if (attrs.contains("reports_after_stop")) {
    // A fast program can run ahead of the stop: its later points are in the
    // metrics below, the value is the one the stop was decided on.
    out += fmt::format("  {} more report(s) of {} arrived after the stop was asked for (in the metrics below; "
                       "not in the value)\n",
                       attrs["reports_after_stop"].dump(), d["objective"].get<std::string>());
  }
  // How the model was made: code, files, host, packages, GPUs, data, artifacts.
  if (d.contains("trail")) out += RenderTrialTrail(d["trail"]);
  TextTable table({"METRIC", "STEPS", "LAST", "BEST", "MIN", "MAX"});
  for (const auto& [k, m] : d["metrics"].items()) {
    // value(): a summary from an older or foreign record may lack a field.
    const nlohmann::json none;
    table.AddRow({k, m.value("steps", none).dump(), FormatValue(m.value("last", none)),
                  FormatValue(m.value("best", none)), FormatValue(m.value("min", none)),
                  FormatValue(m.value("max", none))});
  }
  out += table.Render();
  return out;
}

}  // namespace cairn
