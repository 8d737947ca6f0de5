#include "cairn/replay_study.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "cairn/replay_executor.h"
#include "cairn/schedule/param_features.h"
#include "cairn/spec.h"
#include "cairn/study.h"

namespace cairn {
namespace {

// Asks for the recorded configurations in their recorded order.
class RecordedOrderSampler final : public Sampler {
 public:
  explicit RecordedOrderSampler(const std::vector<CurveRecord>* curves) : curves_(curves) {}
  Params Ask(int number) override { return (*curves_)[static_cast<size_t>(number) % curves_->size()].params; }
  void Tell(const TrialOutcome&) override {}
  std::string Name() const override { return "recorded-order"; }

 private:
  const std::vector<CurveRecord>* curves_;
};

double CurveSeconds(const CurveRecord& c, size_t steps) {
  double total = 0.0;
  for (size_t i = 0; i < steps && i < c.values.size(); ++i) total += c.seconds.empty() ? 1.0 : c.seconds[i];
  return total;
}

std::optional<double> LastFinite(const std::vector<double>& values) {
  for (auto it = values.rbegin(); it != values.rend(); ++it) {
    if (std::isfinite(*it)) return *it;
  }
  return std::nullopt;
}

// The steps a study without a pruner runs of a curve: all of them, or up
// to its first NaN/inf (null), where a live study fails the trial.
size_t StepsUnpruned(const CurveRecord& c) {
  auto bad = std::find_if(c.values.begin(), c.values.end(), [](double v) { return !std::isfinite(v); });
  return bad == c.values.end() ? c.values.size() : static_cast<size_t>(bad - c.values.begin()) + 1;
}

// A curve that can win: it ran to its end in the record and the replay
// does not fail it on a null.
bool CanWin(const CurveRecord& c) {
  return RanToItsEnd(c) && std::all_of(c.values.begin(), c.values.end(), [](double v) { return std::isfinite(v); });
}

// A study spec that the coordinator can run from curves alone.
StudySpec ReplaySpec(const std::vector<CurveRecord>& curves, const ReplayStudyOptions& options) {
  StudySpec spec;
  spec.name = "replay";
  spec.command = {"replay"};
  spec.metric = curves.front().metric;
  spec.direction = curves.front().direction;
  spec.trials = static_cast<int>(curves.size());
  // More workers than trials would sit idle; the report says how many ran.
  spec.parallel = std::clamp(options.workers, 1, static_cast<int>(curves.size()));
  spec.seed = options.seed.value_or(0);
  spec.pruner = options.pruner;
  spec.pruner_options = options.pruner_options;
  spec.lower_bound = curves.front().lower_bound;
  spec.upper_bound = curves.front().upper_bound;
  return spec;
}

nlohmann::json Best(const std::vector<CurveRecord>& curves, const std::vector<bool>& counted, Direction d) {
  std::optional<double> best;
  size_t number = 0;
  for (size_t i = 0; i < curves.size(); ++i) {
    auto v = counted[i] ? LastFinite(curves[i].values) : std::nullopt;
    if (v && (!best || IsBetter(d, *v, *best))) {
      best = v;
      number = i;
    }
  }
  if (!best) return nullptr;
  return {{"number", number}, {"value", *best}, {"id", curves[number].id}};
}

// How far the replay let trial `t` of `curves` run, in steps.
int64_t StepReached(const std::vector<CurveRecord>& curves, const TrialRecord& t) {
  const auto& c = curves[static_cast<size_t>(t.number)];
  return StepsReached(c, std::min(static_cast<size_t>(t.steps), c.values.size()));
}

// How a replayed trial ended, as the summary counts it: a stop on the last
// value the record holds saved nothing, so a curve the record cut short is
// "cut short" there, not "stopped" (a full curve's stop at its last report
// comes too late: the trial completed). Where no rule stopped it, the end
// of a cut-short record reaches the coordinator as a failure; it is the
// record's end all the same.
std::string ReplayedState(const std::vector<CurveRecord>& curves, const TrialRecord& t) {
  const auto& c = curves[static_cast<size_t>(t.number)];
  const bool ran_all = static_cast<size_t>(t.steps) >= c.values.size();
  const bool record_ended = t.state == TrialState::kFailed && !RanToItsEnd(c);
  if (ran_all && (t.state == TrialState::kStopped || record_ended)) return "cut short";
  return std::string(TrialStateName(t.state));
}

// What the replay did to the trial with the best recorded final: whether it
// ran to its end and, when it did not, the rule's own words for the stop.
nlohmann::json WinnerFate(const std::vector<CurveRecord>& curves, const std::vector<TrialRecord>& trials,
                          const nlohmann::json& best_all) {
  if (best_all.is_null()) return nullptr;
  const int number = best_all["number"].get<int>();
  for (const auto& t : trials) {
    if (t.number != number) continue;
    nlohmann::json fate = {{"number", number},
                           {"state", ReplayedState(curves, t)},
                           {"steps", StepReached(curves, t)},
                           {"reports", t.steps},
                           {"reason", t.end_reason}};
    // Rungs it lost and the rule kept it past: a winner kept only so says
    // the early ranks did not pick it.
    if (t.attrs.is_object() && t.attrs.contains("kept")) fate["kept"] = t.attrs["kept"];
    return fate;
  }
  return nullptr;
}

// Every replayed trial: how far it ran, the final it had in the record, and
// why it ended.
nlohmann::json EachTrial(const std::vector<CurveRecord>& curves, const std::vector<TrialRecord>& trials) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : trials) {
    const auto& c = curves[static_cast<size_t>(t.number)];
    // A trial the record cut short (stopped, failed) has no final to show.
    const auto final_value = CanWin(c) ? LastFinite(c.values) : std::nullopt;
    out.push_back({{"number", t.number},
                   {"id", c.id},
                   {"state", ReplayedState(curves, t)},
                   {"step", StepReached(curves, t)},
                   {"reports", std::min(static_cast<size_t>(t.steps), c.values.size())},
                   {"final", final_value ? nlohmann::json(*final_value) : nlohmann::json(nullptr)},
                   {"reason", t.end_reason}});
  }
  return out;
}

}  // namespace

Result<std::vector<CurveRecord>> StudyCurves(Store& store, const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(StudyRecord study, store.GetStudy(name));
  CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(study.id));
  const ObjectiveBounds bounds = ObjectiveBoundsOf(study.spec_json);
  const std::optional<int64_t> max_steps = MaxStepsOf(study.spec_json);
  std::vector<CurveRecord> curves;
  bool any_value = false;
  auto blank = [&](int number, TrialState state) {
    CurveRecord c;
    c.id = fmt::format("{}/{}", study.name, number);
    c.metric = study.objective;
    c.direction = study.direction;
    c.lower_bound = bounds.lower;
    c.upper_bound = bounds.upper;
    c.extra = {{"trial", number}, {"state", TrialStateName(state)}};
    return c;
  };
  for (const auto& t : trials) {
    if (t.number < 0) continue;
    // Numbers run 0, 1, ...; a gap (none is expected) is a trial that left
    // no record, replayed as one that reported nothing.
    while (curves.size() < static_cast<size_t>(t.number)) {
      curves.push_back(blank(static_cast<int>(curves.size()), TrialState::kLost));
    }
    if (curves.size() > static_cast<size_t>(t.number)) continue;  // a number twice: the first counts
    CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({t.id, study.objective}));
    CurveRecord c = blank(t.number, t.state);
    c.params = t.params;
    double previous = t.started_at.value_or(points.empty() ? 0.0 : points.front().time);
    // Past the value step (reports after a stop) or the budget: points, not the curve.
    const std::optional<int64_t> last = LastCountedStep(t.attrs, max_steps);
    for (const auto& p : points) {
      if (last && p.step > *last) break;
      // One value per distinct step, at the steps reported (a program that
      // reports every 10th epoch is replayed at 10, 20, ...); points come in
      // step order and the last report of a step wins, as in a curves export.
      const double seconds = std::max(0.0, p.time - previous);
      previous = p.time;
      if (!c.steps.empty() && p.step == c.steps.back()) {
        c.values.back() = p.value;
        c.seconds.back() += seconds;
        continue;
      }
      c.steps.push_back(p.step);
      c.values.push_back(p.value);
      c.seconds.push_back(seconds);
    }
    any_value = any_value || !c.values.empty();
    curves.push_back(std::move(c));
  }
  if (!any_value) return InvalidArgument("study '" + name + "' has no recorded " + study.objective + " values");
  return curves;
}

Result<nlohmann::json> ReplayCurves(const std::vector<CurveRecord>& curves, const ReplayStudyOptions& options) {
  if (curves.empty()) return InvalidArgument("no curves to replay");
  StudySpec spec = ReplaySpec(curves, options);
  // A throwaway store in memory: replays never touch the user's studies, and
  // a file with its fsyncs made replay of a few thousand curves take minutes.
  CAIRN_ASSIGN_OR_RETURN(auto store, OpenStore("sqlite://:memory:"));

  auto shared = std::make_shared<const std::vector<CurveRecord>>(curves);
  SimulatedClock clock;
  ReplayExecutorOptions exec_options;
  exec_options.metric_key = spec.metric;
  RecordedOrderSampler sampler(&curves);
  int64_t max_steps = 0;
  for (const auto& c : curves) max_steps = std::max<int64_t>(max_steps, StepsReached(c, c.values.size()));
  max_steps = std::max<int64_t>(max_steps, 1);  // a file of step-0 values only
  if (options.max_steps) {
    max_steps = *options.max_steps;
    exec_options.max_steps = max_steps;
  }
  ReplayExecutor executor(shared, &clock, exec_options);
  nlohmann::json pruner_settings;
  SchedulerContext context{spec.direction, max_steps, spec.seed, spec.lower_bound, spec.upper_bound};
  context.space = options.space ? *options.space : SpaceOfCurves(curves);
  auto scheduler = MakeScheduler(options.pruner, context, options.pruner_options, &pruner_settings);
  if (!scheduler.ok()) return scheduler.status();
  StudyParts parts{store.get(), &executor, &clock, &sampler, scheduler->get()};
  CoordinatorOptions coord;
  coord.trials_root = std::filesystem::temp_directory_path() / "cairn-replay-trials";
  coord.create_trial_dirs = false;
  coord.metrics_batch = 4096;
  coord.refresh_interval_s = std::numeric_limits<double>::infinity();
  coord.poll_interval_s = 1e9;
  coord.decorate_launch = [](LaunchRequest& r) { r.env[kReplayCurveEnv] = std::to_string(r.number); };
  auto coordinator = Coordinator::Create(spec, parts, coord);
  Result<StudySummary> summary = coordinator.ok() ? (*coordinator)->Run() : Result<StudySummary>(coordinator.status());
  if (!summary.ok()) return summary.status();
  auto trials = store->ListTrials(summary->study_id);
  if (!trials.ok()) return trials.status();

  int64_t steps_full = 0, steps_used = 0;
  double seconds_full = 0, seconds_used = 0;
  int stopped = 0;
  // Only curves that ran to their end in the record, without a null, have a
  // final value to win with; a trial the study stopped early is replayed as
  // far as it went, one with a null fails there (as a live trial would),
  // and "full" is what a study without a pruner would have run.
  std::vector<bool> all(curves.size()), finished(curves.size(), false);
  for (size_t i = 0; i < curves.size(); ++i) all[i] = CanWin(curves[i]);
  for (const auto& c : curves) {
    steps_full += StepsReached(c, StepsUnpruned(c));
    seconds_full += CurveSeconds(c, StepsUnpruned(c));
  }
  for (const auto& t : *trials) {
    const auto& c = curves[static_cast<size_t>(t.number)];
    size_t ran = static_cast<size_t>(t.steps);  // reports: the replay reports each step once
    steps_used += StepsReached(c, std::min(ran, c.values.size()));
    seconds_used += CurveSeconds(c, ran);
    stopped += t.state == TrialState::kStopped && ran < c.values.size();  // a stop that saved steps
    finished[static_cast<size_t>(t.number)] = t.state == TrialState::kCompleted && all[static_cast<size_t>(t.number)];
  }
  // A file without timings ("seconds": null) counts steps only: its hours
  // would be steps called seconds. A curve without a single value (a trial
  // that failed before its first report) cost no time: it is not untimed.
  const int untimed = static_cast<int>(std::count_if(curves.begin(), curves.end(), [](const CurveRecord& c) {
    return c.seconds.empty() && !c.values.empty();
  }));
  auto timed = [untimed](double seconds) { return untimed ? nlohmann::json(nullptr) : nlohmann::json(seconds); };
  nlohmann::json best_all = Best(curves, all, spec.direction);
  nlohmann::json best_found = Best(curves, finished, spec.direction);
  double regret = best_all.is_null() ? 0.0
                  : best_found.is_null()
                      ? std::numeric_limits<double>::infinity()
                      : std::abs(best_all["value"].get<double>() - best_found["value"].get<double>());
  const auto cut_short = std::count(all.begin(), all.end(), false);
  nlohmann::json report{{"pruner", options.pruner},
                        {"pruner_options", options.pruner_options},
                        {"pruner_settings", pruner_settings},  // every option in force, defaults included
                        {"trials", curves.size()},
                        {"workers", spec.parallel},
                        {"seed", spec.seed},
                        {"max_steps", max_steps},
                        {"steps_full", steps_full},
                        {"steps_used", steps_used},
                        {"saved_fraction", steps_full ? 1.0 - double(steps_used) / double(steps_full) : 0.0},
                        {"seconds_full", timed(seconds_full)},
                        {"seconds_used", timed(seconds_used)},
                        {"hours_saved", timed((seconds_full - seconds_used) / 3600.0)},
                        {"untimed_curves", untimed},
                        {"stopped", stopped},
                        {"best_all", best_all},
                        {"best_found", best_found},
                        {"lost_winner", regret > 0},
                        {"winner", WinnerFate(curves, *trials, best_all)},
                        {"regret", std::isfinite(regret) ? nlohmann::json(regret) : nlohmann::json(nullptr)},
                        {"cut_short", cut_short}};
  if (options.list_trials) report["each"] = EachTrial(curves, *trials);
  // Which parameters a rule that learns from them reads, and which it
  // leaves out (a stray string made a number a label; a label of many
  // values): otherwise "use" and "ignore" can differ, or not, unexplained.
  if (options.pruner == "predictive" && pruner_settings.value("params", std::string()) == "use") {
    const schedule::ParamFeatures features(*context.space);
    report["parameters"] = {{"read", features.Read()}, {"left_out", features.LeftOut()}};
  }
  if (cut_short > 0) {
    report["note"] = fmt::format(
        "{} of the {} trials {} cut short in the record (stopped early, failed, or a null value): such trials are "
        "replayed only "
        "as far as they went and do not count as results, so a replay can show what another rule would have "
        "stopped sooner, not what it would have kept longer",
        cut_short, curves.size(), cut_short == 1 ? "was" : "were");
  }
  return report;
}

Result<nlohmann::json> ReplayStudy(Store& store, const ReplayStudyOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(auto curves, StudyCurves(store, options.study));
  CAIRN_ASSIGN_OR_RETURN(StudyRecord study, store.GetStudy(options.study));
  ReplayStudyOptions opts = options;
  if (opts.workers <= 0) opts.workers = study.spec_json.value("/budget/parallel"_json_pointer, 1);
  const std::string recorded_pruner = study.spec_json.value("/pruner/name"_json_pointer, std::string("?"));
  const nlohmann::json recorded_options =
      study.spec_json.value("/pruner/options"_json_pointer, nlohmann::json::object());
  const bool same_rule = opts.use_study_pruner_options && opts.pruner == recorded_pruner;
  if (same_rule) opts.pruner_options = recorded_options;
  // The space the study ran with: a rule that learns from parameters encodes
  // them by it (log scales, the declared choices) as it did live.
  if (!opts.space) opts.space = SpaceOf(study.spec_json);
  // Its own seed and budget, so its own rule replays as it ran.
  if (!opts.seed) opts.seed = study.spec_json.value("/sampler/seed"_json_pointer, uint64_t{0});
  if (!opts.max_steps) opts.max_steps = MaxStepsOf(study.spec_json);
  CAIRN_ASSIGN_OR_RETURN(nlohmann::json report, ReplayCurves(curves, opts));
  if (same_rule) report["pruner_options_from"] = "study";
  int64_t steps = 0;
  double seconds = 0;
  for (const auto& c : curves) {
    steps += StepsReached(c, c.values.size());  // steps, as the replay counts them, not reports
    seconds += CurveSeconds(c, c.values.size());
  }
  report["study"] = options.study;
  report["recorded"] = {{"pruner", recorded_pruner},
                        {"pruner_options", recorded_options},
                        {"steps_used", steps},
                        {"seconds_used", seconds}};
  return report;
}

}  // namespace cairn
