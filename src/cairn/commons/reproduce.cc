// ReproduceTrial: compare contexts, run the trial again through the
// coordinator, compare results.
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "cairn/capture.h"
#include "cairn/clock.h"
#include "cairn/local_executor.h"
#include "cairn/reproduce.h"
#include "cairn/sampler.h"
#include "cairn/scheduler.h"
#include "cairn/spec.h"
#include "cairn/study.h"

namespace cairn {
namespace {

using nlohmann::json;

// Always asks for the recorded parameters.
class FixedSampler final : public Sampler {
 public:
  explicit FixedSampler(Params params) : params_(std::move(params)) {}
  Params Ask(int) override { return params_; }
  void Tell(const TrialOutcome&) override {}
  std::string Name() const override { return "reproduce"; }

 private:
  Params params_;
};



ContextSnapshot RecordedSnapshot(Store& store, const StudyRecord& study, const TrialRecord& trial) {
  ContextSnapshot s;
  json sc = StudyContextOf(study);
  if (sc.is_object()) s.code = sc.value("code", json());
  json tc = trial.attrs.value("context", json::object());
  if (tc.contains("code")) s.code = tc["code"];  // a trial of a resume with changed code
  s.software = BlobOrNull(store, tc.value("software", json()));
  s.host = BlobOrNull(store, tc.value("host", sc.is_object() ? sc.value("host", json()) : json()));
  s.gpus = tc.value("gpus", json::array());
  s.datasets = tc.value("datasets", json::array());
  s.program_files = tc.value("program_files", json());
  s.env = tc.value("env", json());
  return s;
}

ContextSnapshot SnapshotOf(const CapturedContext& study, const CapturedContext& trial) {
  auto body = [&](const json& hash) -> json {
    for (const auto* c : {&trial, &study}) {
      for (const auto& b : c->blobs) {
        if (hash.is_string() && b.hash == hash.get<std::string>()) return b.body;
      }
    }
    return nullptr;
  };
  ContextSnapshot s;
  s.code = study.record.value("code", json());
  s.software = body(trial.record.value("software", json()));
  s.host = body(trial.record.value("host", json()));
  s.gpus = trial.record.value("gpus", json::array());
  s.datasets = trial.record.value("datasets", json::array());
  s.program_files = trial.record.value("program_files", json());
  s.env = trial.record.value("env", json());
  return s;
}

// A path under `from` as the same path under `to`; nullopt when outside.
std::optional<std::filesystem::path> Moved(const std::filesystem::path& p, const std::filesystem::path& from,
                                           const std::filesystem::path& to) {
  auto rel = p.lexically_relative(from);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  return (to / rel).lexically_normal();
}

// The recorded dataset fingerprints with their paths moved as --workdir
// moved the datasets, so each is compared with its copy in the new folder
// (by path, they would match nothing and go unchecked).
json MovedDatasets(const json& recorded, const std::filesystem::path& from, const std::filesystem::path& to) {
  json out = json::array();
  for (json d : recorded) {
    if (d.is_object() && d.value("path", json()).is_string()) {
      std::filesystem::path path = d["path"].get<std::string>();
      if (auto moved = Moved(path, from, to)) {
        d["recorded_path"] = path.string();
        d["path"] = moved->string();
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

// The spec the trial ran from, with workdir (and datasets under it) moved when asked.
Result<StudySpec> LoadSpec(const StudyRecord& study, const ReproduceOptions& options,
                           std::filesystem::path* recorded_workdir) {
  std::filesystem::path source = study.spec_json.value("source", "");
  std::filesystem::path workdir = study.spec_json.value("workdir", "");
  std::filesystem::path base = source.empty() ? workdir : source.parent_path();
  auto spec = ParseStudyText(study.spec_yaml, source.empty() ? study.name : source.string(), base);
  if (!spec.ok()) return spec.status().WithContext("study '" + study.name + "': the recorded study file");
  spec->name = study.name;  // an imported study may have been renamed
  *recorded_workdir = spec->workdir;
  if (!options.workdir.empty()) {
    spec->workdir = std::filesystem::absolute(options.workdir).lexically_normal();
    for (auto& d : spec->datasets) {
      if (auto moved = Moved(d, *recorded_workdir, spec->workdir)) d = *moved;
    }
  }
  return spec;
}

// An exported study's secrets are "<redacted>" in its study file. A
// redacted env entry is left to this process's environment, where the user
// sets the secret again (docs/export.md); the run must not pass the
// placeholder for it. A command word cannot be supplied so: refused.
Status SupplyRedacted(StudySpec& spec) {
  for (auto it = spec.env.begin(); it != spec.env.end();) {
    if (it->second.find(kRedacted) == std::string::npos) {
      ++it;
      continue;
    }
    if (std::getenv(it->first.c_str()) == nullptr) {
      return FailedPrecondition(fmt::format(
          "the study file's env {} was redacted when the study was exported; set {} in the environment to "
          "reproduce the trial with it",
          it->first, it->first));
    }
    it = spec.env.erase(it);  // the trial inherits it from this environment
  }
  for (size_t i = 0; i < spec.command.size(); ++i) {
    if (spec.command[i].find(kRedacted) != std::string::npos) {
      return FailedPrecondition(fmt::format(
          "word {} of the study's command, \"{}\", was redacted when the study was exported: the trial cannot "
          "be run as recorded; reproduce it from a store that holds the original study",
          i, spec.command[i]));
    }
  }
  return Status::Ok();
}

Status CheckResumable(const std::vector<TrialRecord>& trials, const std::string& study) {
  for (const auto& t : trials) {
    bool unfinished = t.state == TrialState::kRunning || t.state == TrialState::kQueued;
    bool pending_rerun = (t.state == TrialState::kLost || t.state == TrialState::kInterrupted) &&
                         !t.attrs.value("rerun", false);
    if (unfinished || pending_rerun) {
      return FailedPrecondition(fmt::format(
          "study '{}' has trial {} {}: finish or resume the study (cairn run) before reproducing a trial", study,
          t.number, TrialStateName(t.state)));
    }
  }
  return Status::Ok();
}

// Objective value by step (the last report of a step wins).
Result<std::map<int64_t, double>> Curve(Store& store, int64_t trial_id, const std::string& key) {
  CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({trial_id, key}));
  std::map<int64_t, double> out;
  for (const auto& p : points) out[p.step] = p.value;
  return out;
}

json Summary(const TrialRecord& t) {
  json j = {{"number", t.number}, {"state", TrialStateName(t.state)}, {"steps", t.steps},
            {"end_reason", t.end_reason}, {"argv", t.attrs.value("argv", json::array())},
            {"seed", t.attrs.value("seed", json())}};
  j["value"] = t.value && std::isfinite(*t.value) ? json(*t.value) : json(nullptr);
  if (!t.ark.empty()) j["ark"] = t.ark;
  return j;
}

Result<json> Difference(Store& store, const StudyRecord& study, const TrialRecord& a, const TrialRecord& b) {
  CAIRN_ASSIGN_OR_RETURN(auto ca, Curve(store, a.id, study.objective));
  CAIRN_ASSIGN_OR_RETURN(auto cb, Curve(store, b.id, study.objective));
  double max_diff = 0.0;
  int64_t compared = 0;
  for (const auto& [step, v] : ca) {
    auto it = cb.find(step);
    if (it == cb.end()) continue;
    ++compared;
    double d = std::fabs(v - it->second);
    if (std::isnan(d)) d = (std::isnan(v) && std::isnan(it->second)) ? 0.0 : INFINITY;
    max_diff = std::max(max_diff, d);
  }
  json diff = {{"steps_compared", compared},
               {"steps_only_original", static_cast<int64_t>(ca.size()) - compared},
               {"steps_only_reproduced", static_cast<int64_t>(cb.size()) - compared},
               {"same_state", a.state == b.state}};
  diff["max_abs_curve_difference"] = compared > 0 && std::isfinite(max_diff) ? json(max_diff) : json(nullptr);
  std::optional<double> final_diff;
  // Final values of runs that ended at different steps (the original was
  // stopped early, the re-run went further) are no measure of reproduction.
  const bool same_length = a.steps == b.steps;
  if (a.value && b.value && same_length) final_diff = std::fabs(*a.value - *b.value);
  if (!same_length) {
    diff["note"] = fmt::format(
        "the original ended {} after {} step(s), the re-run {} after {}: final values are not compared, the "
        "curves are compared over the {} step(s) both reported",
        TrialStateName(a.state), a.steps, TrialStateName(b.state), b.steps, compared);
  }
  diff["final_value_difference"] = final_diff && std::isfinite(*final_diff) ? json(*final_diff) : json(nullptr);
  diff["identical"] = a.state == b.state && final_diff && *final_diff == 0.0 && max_diff == 0.0 &&
                      ca.size() == cb.size() && static_cast<size_t>(compared) == ca.size();
  return diff;
}

struct Launched {
  std::optional<int64_t> trial_id;
  std::vector<std::string> argv;
};

Result<TrialRecord> RunOnce(Store& store, const StudySpec& spec, const TrialRecord& original, uint64_t seed,
                            const ReproduceOptions& options, int budget_used, Capturer& capturer,
                            Launched* launched) {
  StudySpec run = spec;
  run.trials = budget_used + 1;  // exactly one more trial of the budget
  run.parallel = 1;
  run.max_retries = 0;
  run.pruner = "none";  // the original may have been stopped early; this one runs as far as it goes
  FixedSampler sampler(original.params);
  SchedulerContext context{run.direction, run.max_steps, run.seed};
  CAIRN_ASSIGN_OR_RETURN(auto scheduler, MakeScheduler("none", context));
  LocalExecutorOptions exec_options;
  exec_options.step_key = run.step_key;
  for (const auto& p : run.patterns) exec_options.patterns.push_back(p.regex);
  CAIRN_TRY(ValidateLocalExecutorOptions(exec_options));
  auto executor = MakeLocalExecutor(exec_options, RealClock::Default());
  // The re-run's trail is captured as any trial's: the environment it was
  // given (TrialEnvironment), not this process's.
  UtilizationSampler utilization;
  StudyParts parts{&store, executor.get(), RealClock::Default(), &sampler, scheduler.get(), &capturer, &utilization};
  CoordinatorOptions coord;
  coord.gpu_ids = options.gpu_ids;
  coord.trials_root = options.trials_root.empty() ? std::filesystem::current_path() / ".cairn" / "trials"
                                                  : options.trials_root;
  // The coordinator derives a seed from the new trial's number; the
  // reproduction must see the recorded one, in argv and CAIRN_SEED alike.
  coord.decorate_launch = [&](LaunchRequest& request) {
    std::map<std::string, std::string> extra = {
        {"trial_id", std::to_string(request.trial_id)}, {"trial_number", std::to_string(request.number)},
        {"trial_dir", request.trial_dir.string()},      {"seed", std::to_string(seed)},
        {"study", run.name}};
    auto argv = ExpandCommand(run.command, request.params, extra, &run.space);
    if (argv.ok()) request.argv = *argv;
    request.env["CAIRN_SEED"] = std::to_string(seed);
    launched->trial_id = request.trial_id;
    launched->argv = request.argv;
  };
  CAIRN_ASSIGN_OR_RETURN(auto coordinator, Coordinator::Create(run, parts, std::move(coord)));
  CAIRN_ASSIGN_OR_RETURN(StudySummary summary, coordinator->Run());
  (void)summary;
  if (!launched->trial_id) return Internal("the coordinator started no trial for the reproduction");
  return store.GetTrial(*launched->trial_id);
}

}  // namespace

Result<json> ReproduceTrial(Store& store, const std::string& study_name, int number,
                            const ReproduceOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(StudyRecord study, store.GetStudy(study_name));
  CAIRN_ASSIGN_OR_RETURN(TrialRecord original, TrialOfStudy(store, study, number));
  std::filesystem::path recorded_workdir;
  CAIRN_ASSIGN_OR_RETURN(StudySpec spec, LoadSpec(study, options, &recorded_workdir));
  // A dry run runs nothing: a missing secret is a warning there, and the
  // contexts are compared all the same.
  const Status supplied = SupplyRedacted(spec);
  if (!supplied.ok() && !options.dry_run) return supplied;
  // Without its work folder the run can only fail, and would leave a failed
  // trial in the study: refuse before anything is captured or run.
  if (std::error_code ec; !std::filesystem::is_directory(spec.workdir, ec)) {
    return options.workdir.empty()
               ? NotFound(fmt::format("the recorded work folder {} is not there; give --workdir DIR with a copy "
                                      "of it", spec.workdir.string()))
               : NotFound(fmt::format("--workdir {}: no such folder", options.workdir.string()));
  }
  uint64_t seed = original.attrs.value("seed", spec.seed * 1000003ULL + static_cast<uint64_t>(number));

  // Today's context, captured the way the coordinator captures a trial's.
  Capturer fallback;
  Capturer& capturer = options.capturer ? *options.capturer : fallback;
  std::vector<std::string> argv;
  for (const auto& a : original.attrs.value("argv", json::array())) {
    if (a.is_string()) argv.push_back(a.get<std::string>());
  }
  std::map<std::string, std::string> env = spec.env;
  env["CAIRN_SEED"] = std::to_string(seed);
  size_t gpu_count = original.attrs.value("gpus", json::array()).size();
  std::vector<std::string> gpus(options.gpu_ids.begin(),
                                options.gpu_ids.begin() + std::min(gpu_count, options.gpu_ids.size()));
  CapturedContext now_study = capturer.CaptureStudy(spec.workdir);
  CapturedContext now_trial = capturer.CaptureTrial({argv, env, gpus, spec.datasets, spec.workdir});

  ContextSnapshot recorded = RecordedSnapshot(store, study, original);
  if (!options.workdir.empty()) recorded.datasets = MovedDatasets(recorded.datasets, recorded_workdir, spec.workdir);
  std::vector<std::string> warnings = CompareContexts(recorded, SnapshotOf(now_study, now_trial));
  if (!supplied.ok()) warnings.insert(warnings.begin(), supplied.message());
  if (!original.attrs.contains("context")) {
    warnings.insert(warnings.begin(), fmt::format("trial {} has no recorded context: nothing to compare", number));
  }
  if (options.on_warning) {
    for (const auto& w : warnings) options.on_warning(w);
  }
  json report = {{"study", study.name}, {"trial", number}, {"warnings", warnings},
                 {"original", Summary(original)}, {"reproduced", nullptr}, {"difference", nullptr}};
  if (options.dry_run) return report;

  CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(study.id));
  CAIRN_TRY(CheckResumable(trials, study.name));
  int budget_used = 0;
  for (const auto& t : trials) {
    if (UsesBudget(t)) ++budget_used;
  }
  Launched launched;
  CAIRN_ASSIGN_OR_RETURN(TrialRecord repro,
                         RunOnce(store, spec, original, seed, options, budget_used, capturer, &launched));
  repro.attrs["reproduce_of"] = number;
  repro.attrs["seed"] = seed;
  repro.attrs["argv"] = launched.argv;
  repro.attrs["reproduce_warnings"] = warnings;
  if (!repro.attrs.contains("context")) {
    // The coordinator did not record one: keep what was captured just before the run.
    for (const auto& b : now_trial.blobs) CAIRN_TRY(store.PutBlob(b.hash, b.kind, b.body));
    repro.attrs["context"] = now_trial.record;
  }
  CAIRN_TRY(store.UpdateTrial(repro));
  report["reproduced"] = Summary(repro);
  CAIRN_ASSIGN_OR_RETURN(report["difference"], Difference(store, study, original, repro));
  return report;
}

}  // namespace cairn
