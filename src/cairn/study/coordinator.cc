#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <deque>
#include <fstream>
#include <set>
#include <map>

#include <fmt/format.h>

#include "cairn/ark.h"
#include "cairn/gpu_packing.h"
#include "cairn/gpu_slots.h"
#include "cairn/hash.h"
#include "cairn/metric_summary.h"
#include "cairn/scheduler.h"
#include "cairn/study.h"
#include "cairn/study/recovery.h"
#include "cairn/study/trail_recorder.h"
#include "cairn/study/trial_end.h"

namespace cairn {
namespace {

using study_internal::ClassifyTrialEnd;
using study_internal::StopCause;
using study_internal::TrailRecorder;

// Running summary of one metric of one trial, written to attrs["metrics"] at
// its end (as MetricSummaryJson) so queries need not read every point.
struct RunningSummary {
  int64_t steps = 0;
  double last = 0.0;  // at the latest step (not a re-report of an earlier one)
  std::optional<int64_t> first_step, last_step;
  double min = INFINITY;
  double max = -INFINITY;
  // Wall times of the first and last report: the trial's pace without its
  // start-up, for the hours early stopping saved.
  std::optional<double> first_at, last_at;

  void Add(double v, int64_t step, double at) {
    ++steps;
    if (!first_step || step < *first_step) first_step = step;
    if (!last_step || step >= *last_step) {
      last = v;
      last_step = step;
    }
    if (!first_at) first_at = at;
    last_at = at;
    if (!std::isfinite(v)) ++nonfinite;
    if (std::isnan(v)) return;
    ++numbers;
    min = std::min(min, v);
    max = std::max(max, v);
  }
  int64_t nonfinite = 0;  // NaN and infinite points: a loss that diverged
  int64_t numbers = 0;    // points that are not NaN (min and max are over these)

  MetricSummary Summary() const {
    MetricSummary s{.steps = steps, .last = last, .first_at = first_at, .last_at = last_at,
                    .first_step = first_step, .last_step = last_step, .nonfinite = nonfinite};
    if (numbers > 0) {
      s.min = min;
      s.max = max;
    }
    return s;
  }
};

// A trial this coordinator is running.
struct LiveTrial {
  TrialRecord record;
  std::vector<std::string> gpus;
  double gpu_share = 0.0;  // of each device in gpus, as taken from the slots
  int per_gpu = 1;         // trials per GPU when it started (packing: auto)
  std::optional<uint64_t> gpu_peak_alone;  // peak device memory while alone on it
  StopCause stop_cause = StopCause::kNone;
  std::string stop_detail;
  std::optional<Decision> decision;  // the scheduler's stop decision
  // Rung losses the scheduler overruled (Decision::kept), with their steps:
  // one per rung at most, so a handful.
  nlohmann::json kept = nlohmann::json::array();
  std::optional<int64_t> last_step;  // last objective step counted into the value
  // Last objective step read, counted or not (past max_steps, after a stop):
  // a report without a step key comes after it.
  std::optional<int64_t> last_seen_step;
  int64_t steps_written = 0;         // record.steps when the store last got the record
  int64_t reports_after_stop = 0;    // objective reports read after the stop was asked for
  // The objective reports read after a scheduler's stop: a program that was
  // ahead of the signal may have finished its whole run meanwhile.
  std::vector<std::pair<int64_t, double>> after_stop;
  std::vector<std::pair<int64_t, double>> curve;  // objective by step
  std::map<std::string, RunningSummary> metrics;
  std::filesystem::path trial_dir;
  std::optional<double> max_steps_deadline;  // stop it then if still running
  // A re-attached trial: the executor reads its output from the start again;
  // steps up to this one are in the store already and are dropped.
  std::optional<int64_t> stored_through_step;
};

// A trial to run again with the parameters of an earlier one (lost, interrupted, retried).
struct Rerun {
  Params params;
  int origin = 0;       // the number of the trial it repeats (its rerun_of; a retry's retry_of)
  int retry = 0;        // 1 for the first retry of a failure
  // A re-run of a retry (interrupted or lost while it ran) is still that
  // retry of that failure: it carries both, so a failure of the re-run is
  // retried as the next one, and max_retries holds through interrupts.
  std::optional<int> retry_of;
  bool counts = false;  // whether it uses up a trial of the budget
  bool whole_gpu = false;  // it ran out of GPU memory sharing one: give it a GPU alone
  bool marked = false;  // the store says attrs.rerun of trial `origin`: it is queued here
  // The seed of the trial it repeats (its attrs.seed): a re-run of a re-run,
  // or a retry of a re-run, still gets the first one's seed.
  std::optional<uint64_t> seed;
};

std::optional<uint64_t> RecordedSeed(const nlohmann::json& attrs) {
  auto it = attrs.find("seed");
  if (it == attrs.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint64_t>();
}

// A parameter named "seed" is the trial's seed when it is a whole number a
// seed can be (0 to 2^64 - 1). A negative, fractional or larger value is
// still what {seed} expands to (parameters win over extras), but the seed
// recorded stays the study's own: converting it would be undefined.
std::optional<uint64_t> SeedParam(const Params& params) {
  auto it = params.find("seed");
  if (it == params.end()) return std::nullopt;
  auto d = ParamValueAsDouble(it->second);
  if (!d || !(*d >= 0) || *d >= 18446744073709551616.0 || std::floor(*d) != *d) return std::nullopt;
  return static_cast<uint64_t>(*d);
}

// The Rerun of an interrupted, lost or out-of-memory `trial` as `origin`:
// the retry it was, if it was one, goes on with it.
Rerun RerunOf(const TrialRecord& trial, int origin) {
  Rerun r{.params = trial.params, .origin = origin, .seed = RecordedSeed(trial.attrs)};
  if (const int retry = trial.attrs.value("retry", 0); retry > 0 && trial.attrs.contains("retry_of")) {
    r.retry = retry;
    r.retry_of = trial.attrs.value("retry_of", trial.number);
  }
  return r;
}

std::string OwnerName(double start) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return fmt::format("{}:{}:{:.0f}", host, getpid(), start);
}

class CoordinatorImpl final : public Coordinator {
 public:
  CoordinatorImpl(const StudySpec& spec, const StudyParts& parts, CoordinatorOptions options)
      : spec_(spec),
        parts_(parts),
        options_(std::move(options)),
        slots_(options_.gpu_ids),
        trail_(parts.capturer, parts.utilization) {
    if (spec_.packing == "auto" && !options_.gpu_ids.empty()) {
      packing_.emplace(GpuPackingOptions{spec_.packing_margin, spec_.max_trials_per_gpu},
                       options_.gpu_memory_bytes);
    }
    budget_ = StudyBudget();
    // Every option of the study's rule in force, defaults included: a stop's
    // reason names p_min and the like, and a later Cairn may default otherwise.
    if (auto settings = SchedulerSettings(spec_.pruner, spec_.pruner_options); settings.ok()) {
      pruner_settings_ = std::move(*settings);
    }
  }

  Status Attach();
  Result<StudySummary> Run() override;

 private:
  Status Refresh();
  // Ended trials the scheduler has not heard, with their objective's points.
  struct EndedCurve {
    TrialRecord trial;
    std::vector<MetricPoint> points;
  };
  void TellScheduler(std::vector<EndedCurve> ended);
  Status KeepTheNewStudyFile(const nlohmann::json& now);
  Status RecoverLostTrial(TrialRecord& trial);
  bool QueueRetry(const TrialRecord& trial);
  Result<bool> Reattach(TrialRecord& trial);
  bool BudgetLeft() const { return started_ < budget_ || !reruns_.empty(); }
  int StudyBudget() const;
  // Says once, at the start, that a small study is better served by median.
  void WarnOfASmallPredictiveStudy() const;
  double NextShare() const;
  void TrackGpuMemory(const std::vector<MetricPoint>& samples);
  bool AloneOnItsGpus(const LiveTrial& live) const;
  void NoteGpuOutOfMemory(LiveTrial& live);
  bool ShouldLaunch() const;
  Status LaunchNext();
  // `params_for(number)`: the parameters of the trial if it gets `number`.
  Result<TrialRecord> CreateTrialRecord(const std::function<Params(int)>& params_for, const nlohmann::json& attrs,
                                        bool from_budget);
  LaunchRequest BuildLaunch(const TrialRecord& trial, const std::vector<std::string>& argv,
                            const std::vector<std::string>& gpus) const;
  Status HandleEvent(const ExecutorEvent& event);
  void HandleReport(const ReportEvent& report);
  // The wall time of an executor event stamped `clock_time` (Clock::Now),
  // now's when unstamped or stamped ahead.
  double WallTimeOf(double clock_time) const;
  void HandleObjective(LiveTrial& live, int64_t step, double value);
  bool CountObjective(LiveTrial& live, int64_t step, double value);
  bool FinishedBeforeTheStop(const LiveTrial& live, const ExitEvent& exit) const;
  Status HandleExit(const ExitEvent& exit);
  void RequestStop(LiveTrial& live, StopCause cause, std::string detail);
  Status InterruptAll();
  Status KillAll();
  // Gives the trials of re-runs queued but not started back to the store
  // (their attrs.rerun unset), so that the next resume runs them.
  Status ReleaseQueuedReruns();
  Status CountOthersEnded();
  void EnforceMaxSteps();
  Status FlushMetrics();
  void Heartbeat();
  void CountEnded(const TrialRecord& trial);
  void NoteKeptBest();
  StudyProgress Progress() const;
  void MaybeReportProgress(bool force);
  Status StoreChangedDescriptions();
  Status StoreContext(TrialRecord& trial, const CapturedContext& context);
  Status NoteTheCodeNow();
  Status StoreReadyContexts();
  Status CollectArtifacts(bool wait);
  nlohmann::json MetricsSummary(const LiveTrial& live) const;
  std::filesystem::path FreshTrialDir(TrialRecord& trial, const std::filesystem::path& dir);

  StudySpec spec_;
  StudyParts parts_;
  CoordinatorOptions options_;
  GpuSlots slots_;
  std::optional<GpuPacking> packing_;  // with resources.packing: auto and GPUs
  nlohmann::json pruner_settings_ = nlohmann::json::object();  // recorded in each trial's attrs.search
  TrailRecorder trail_;
  StudyRecord study_;
  std::string owner_;
  double start_time_ = 0.0;
  double last_progress_ = -1e300;
  double last_heartbeat_ = 0.0;
  double last_alive_ = 0.0;
  // The code version of this run when it differs from the study's first run.
  std::optional<nlohmann::json> run_code_;
  bool launch_blocked_ = false;  // the executor cannot start trials now (Unavailable)
  int next_number_ = 0;
  int started_ = 0;  // trials of the budget started (by any coordinator)
  int ran_here_ = 0;  // trials this coordinator launched or re-attached to
  int budget_ = 0;   // budget.trials, or fewer when the sampler has only so many parameter sets
  double last_refresh_ = 0.0;
  // Wall time this coordinator's view of the store resumed after its last
  // stall (a turn or a read longer than kStallS): other coordinators'
  // heartbeats count from here (OwnerIsGone), since the store silenced
  // theirs as long as it held this one up.
  double heard_since_ = 0.0;
  double last_turn_wall_ = 0.0;
  void NoteStall(double started_wall) {
    const double now = parts_.clock->WallTime();
    if (now - started_wall > study_internal::kStallS) heard_since_ = now;
  }
  std::set<int> told_;  // trial numbers the sampler has been told (or that we run)
  bool interrupted_ = false;
  bool killed_ = false;  // every running trial was killed (a second Ctrl-C)
  bool retried_attach_ = false;
  std::deque<Rerun> reruns_;
  std::map<int64_t, LiveTrial> live_;
  std::vector<MetricPoint> pending_metrics_;
  std::map<TrialState, int> ended_;
  std::optional<double> best_;
  std::optional<int> best_trial_;
  // The best trial's first overruled rung loss (its attrs "kept"), if any.
  nlohmann::json best_kept_;
  bool said_best_was_kept_ = false;  // NoteKeptBest has spoken this run
};

// A recorded spec_json section as a resume compares it: dataset folders
// were recorded as "data/" before the parser dropped the trailing
// separator, and are the same folder as "data".
nlohmann::json Comparable(const std::string& key, nlohmann::json section) {
  if (key != "datasets" || !section.is_array()) return section;
  for (auto& path : section) {
    if (!path.is_string()) continue;
    std::string text = path.get<std::string>();
    while (text.size() > 1 && text.back() == '/') text.pop_back();
    path = text;
  }
  return section;
}

// A grid has nothing new to offer after one pass: a budget beyond it would
// run the same parameters again. (A decomposed search's parts share their
// combinations through the store, so no one part's size bounds the study.)
int CoordinatorImpl::StudyBudget() const {
  const bool decomposed = spec_.sampler_options.is_object() && spec_.sampler_options.contains("subspaces");
  std::optional<int64_t> capacity = parts_.sampler->Capacity();
  if (decomposed || !capacity || *capacity >= spec_.trials) return spec_.trials;
  return static_cast<int>(*capacity);
}

// The predictive rule learns when to stop from the study's completed
// trials, and in a small study few complete: its successive-halving rungs
// then decide nearly alone. Measured over 20 orders of six curve files
// (docs/schedulers.md, "Not done yet"), at 16 and 32 trials it lost more
// of the best trial than the median rule on every file; at 200 it is the
// better rule on most.
void CoordinatorImpl::WarnOfASmallPredictiveStudy() const {
  constexpr int kFewTrials = 50;
  if (budget_ >= kFewTrials || parts_.scheduler->Name() != "predictive" || !options_.on_message) return;
  options_.on_message(fmt::format(
      "pruner predictive learns when to stop from the study's completed trials; with {} trials few will "
      "complete, so its successive-halving rungs decide nearly alone and, in studies this small, lose the "
      "best trial more often than pruner median (docs/schedulers.md, \"Small studies\" under \"Not done yet\")",
      budget_));
}

Status CoordinatorImpl::Attach() {
  if (budget_ < spec_.trials && options_.on_message) {
    options_.on_message(fmt::format("the {} sampler has {} parameter sets: the study runs {} trials, not "
                                    "budget.trials {}", parts_.sampler->Name(), budget_, budget_, spec_.trials));
  }
  WarnOfASmallPredictiveStudy();
  start_time_ = parts_.clock->Now();
  owner_ = OwnerName(parts_.clock->WallTime());
  auto existing = parts_.store->GetStudy(spec_.name);
  if (existing.ok()) {
    study_ = *existing;
    // A conflicting study file is a bad input (exit 2), not a failed run.
    if (study_.objective != spec_.metric || study_.direction != spec_.direction) {
      return InvalidArgument(fmt::format(
          "study '{}' exists in {} with objective {} ({}); the study file says {} ({}): rename the study",
          spec_.name, parts_.store->Url(), study_.objective, DirectionName(study_.direction), spec_.metric,
          DirectionName(spec_.direction)));
    }
    // Another program, space, environment or data under the same name would
    // mix two studies' trials in one (and reproduce would rebuild one's run
    // from the other's file). A new budget, pruner or sampler is fine: that
    // is a resume. (A moved work folder is too.)
    const nlohmann::json now = spec_.ToJson();
    for (const char* key : {"command", "space", "env", "datasets"}) {
      if (study_.spec_json.is_object() && study_.spec_json.contains(key) &&
          Comparable(key, study_.spec_json[key]) != Comparable(key, now[key])) {
        return InvalidArgument(fmt::format(
            "study '{}' exists in {} with another {}: recorded {}, the study file says {}; rename the study "
            "(name: in the file) or use another store",
            spec_.name, parts_.store->Url(), key, study_.spec_json[key].dump(), now[key].dump()));
      }
    }
    CAIRN_TRY(KeepTheNewStudyFile(now));
    CAIRN_TRY(NoteTheCodeNow());
    return Refresh();
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  study_.name = spec_.name;
  study_.objective = spec_.metric;
  study_.direction = spec_.direction;
  study_.spec_yaml = spec_.source_text;
  study_.spec_json = spec_.ToJson();
  study_.created_at = parts_.clock->WallTime();
  study_.ark = MintStudyArk(ArkOptionsFromEnv(),
                            fmt::format("{}|{:.6f}|{}", spec_.name, study_.created_at, owner_));
  if (auto context = trail_.CaptureStudy(spec_.workdir)) {
    for (const auto& blob : context->blobs) CAIRN_TRY(parts_.store->PutBlob(blob.hash, blob.kind, blob.body));
    study_.attrs["context"] = context->record;
  }
  auto created = parts_.store->CreateStudy(study_);
  if (created.ok()) {
    study_.id = *created;
    return Status::Ok();
  }
  // Another coordinator created it a moment ago: attach to theirs.
  if (created.status().code() == StatusCode::kAlreadyExists && !retried_attach_) {
    retried_attach_ = true;
    study_ = StudyRecord();
    return Attach();
  }
  return created.status();
}

// A resume with a changed file (another budget, sampler or pruner): the
// study's file becomes the new one, so export, the model card and reproduce
// tell what runs now; the earlier one is kept in attrs.earlier_specs, and
// each trial says which sampler and pruner it ran under (attrs.search).
Status CoordinatorImpl::KeepTheNewStudyFile(const nlohmann::json& now) {
  if (spec_.source_text.empty() || spec_.source_text == study_.spec_yaml) return Status::Ok();
  nlohmann::json& earlier = study_.attrs["earlier_specs"];
  if (!earlier.is_array()) earlier = nlohmann::json::array();
  earlier.push_back({{"spec_yaml", study_.spec_yaml}, {"spec_json", study_.spec_json},
                     {"replaced_at", parts_.clock->WallTime()}});
  nlohmann::json spec_json = now;
  if (study_.spec_json.is_object() && study_.spec_json.contains("context")) {
    spec_json["context"] = study_.spec_json["context"];  // record format 1 kept the study context here
  }
  study_.spec_yaml = spec_.source_text;
  study_.spec_json = std::move(spec_json);
  return parts_.store->UpdateStudy(study_);
}

// Reads the study's trials from the store: on attach (resume) and, while
// running, to see what other coordinators sharing the study did. Finished
// trials are told to the sampler once; trials whose coordinator is gone are
// recovered (their logs re-read into the store), marked lost and re-run.
Status CoordinatorImpl::Refresh() {
  last_refresh_ = parts_.clock->Now();
  const double asked = parts_.clock->WallTime();
  CAIRN_ASSIGN_OR_RETURN(auto trials, parts_.store->ListTrials(study_.id));
  NoteStall(asked);
  int budget_trials = 0;
  std::vector<EndedCurve> to_tell;
  for (auto& trial : trials) {
    next_number_ = std::max(next_number_, trial.number + 1);
    // Re-runs and retries repeat a trial of the budget; they do not use one up.
    if (UsesBudget(trial)) ++budget_trials;
    if (told_.count(trial.number)) continue;
    bool running = trial.state == TrialState::kRunning || trial.state == TrialState::kQueued;
    if (running) {
      if (trial.owner == owner_ || !study_internal::OwnerIsGone(trial, parts_.clock->WallTime(), heard_since_)) {
        continue;
      }
      CAIRN_ASSIGN_OR_RETURN(bool reattached, Reattach(trial));
      if (reattached) {
        ++ran_here_;
        told_.insert(trial.number);
        continue;
      }
      CAIRN_TRY(RecoverLostTrial(trial));
      // A failure recorded now gets the retries its own coordinator would have queued.
      if (trial.state == TrialState::kFailed && QueueRetry(trial)) {
        trial.attrs["rerun"] = true;
        CAIRN_TRY(parts_.store->UpdateTrial(trial));
      }
    }
    told_.insert(trial.number);
    bool rerun = (trial.state == TrialState::kLost || trial.state == TrialState::kInterrupted) &&
                 !trial.attrs.value("rerun", false);
    if (rerun) {
      Rerun rerun = RerunOf(trial, trial.number);
      rerun.marked = true;
      reruns_.push_back(std::move(rerun));
      trial.attrs["rerun"] = true;  // re-run once, even if this coordinator dies too
      CAIRN_TRY(parts_.store->UpdateTrial(trial));
    }
    CountEnded(trial);
    TrialOutcome outcome{trial.number, trial.params, trial.state, trial.value, {}};
    const bool reported = trial.state == TrialState::kCompleted || trial.state == TrialState::kStopped ||
                          trial.state == TrialState::kFailed;
    if (reported) {
      CAIRN_ASSIGN_OR_RETURN(auto points, parts_.store->ReadMetrics({trial.id, spec_.metric}));
      if (trial.state == TrialState::kStopped) {
        for (const auto& p : points) outcome.curve.emplace_back(p.step, p.value);
      }
      to_tell.push_back({trial, std::move(points)});
    }
    parts_.sampler->Tell(outcome);
  }
  TellScheduler(std::move(to_tell));
  started_ = budget_trials;
  return Status::Ok();
}

// Trials that ended before this coordinator saw them (an earlier run of a
// resumed study, or another coordinator of a shared one): the scheduler
// learns their curves as it would have live, so a resumed study's rule
// judges new trials against every trial of the study, not only this run's.
//
// As live, in the order it happened: every start, report and end of these
// trials by its recorded time (at one time, reports and ends in trial
// order, then starts, as a coordinator handles a poll's events before it
// launches). Told one whole trial after another, a rule with rungs judged
// each trial against the ones told before it rather than the ones that
// had reported when it ran, and counted a trial at a rung it had lost live.
// Of each trial: the first report of each new step, up to a non-finite one,
// up to its value step (not the reports that came after a stop or past the
// budget it ran under) and the study's max_steps now; a trial that
// finished although its stop was asked is stopped to the rule.
void CoordinatorImpl::TellScheduler(std::vector<EndedCurve> ended) {
  enum Kind { kReport = 0, kEnd = 1, kStart = 2 };
  struct Told {
    double time;
    Kind kind;
    size_t trial;  // index into `ended`
    int64_t step;
    double value;
  };
  std::vector<Told> told;
  for (size_t i = 0; i < ended.size(); ++i) {
    const TrialRecord& trial = ended[i].trial;
    std::vector<MetricPoint>& points = ended[i].points;
    std::stable_sort(points.begin(), points.end(),
                     [](const MetricPoint& a, const MetricPoint& b) { return a.step < b.step; });
    const std::optional<int64_t> last = LastCountedStep(trial.attrs, spec_.max_steps);
    std::vector<Told> reports;
    // A trial's own events stay in step order whatever its clock said.
    double time = trial.started_at.value_or(trial.created_at);
    told.push_back({time, kStart, i, 0, 0.0});
    for (const auto& p : points) {
      if (last && p.step > *last) break;
      if (!reports.empty() && p.step <= reports.back().step) continue;
      if (!std::isfinite(p.value)) break;
      time = std::max(time, p.time);
      reports.push_back({time, kReport, i, p.step, p.value});
    }
    if (!ValueStepOf(trial.attrs)) {
      // A record from before value steps: it counted its late reports.
      const int reports_after_stop = trial.attrs.is_object() ? trial.attrs.value("reports_after_stop", 0) : 0;
      const size_t after_stop = static_cast<size_t>(std::max(0, reports_after_stop));
      reports.resize(reports.size() - std::min(after_stop, reports.size()));
    }
    told.insert(told.end(), reports.begin(), reports.end());
    told.push_back({std::max(time, trial.ended_at.value_or(time)), kEnd, i, 0, 0.0});
  }
  std::stable_sort(told.begin(), told.end(), [&](const Told& a, const Told& b) {
    auto key = [&](const Told& t) {
      return std::make_tuple(t.time, t.kind == kStart, ended[t.trial].trial.number, t.kind == kEnd, t.step);
    };
    return key(a) < key(b);
  });
  std::vector<bool> started(ended.size(), false);
  for (const Told& t : told) {
    const TrialRecord& trial = ended[t.trial].trial;
    if (!started[t.trial]) {
      // A report recorded at its trial's start time sorts before the start.
      parts_.scheduler->OnTrialStart(trial.number, trial.params);
      started[t.trial] = true;
    }
    if (t.kind == kReport) {
      (void)parts_.scheduler->OnReport(trial.number, t.step, t.value);
    } else if (t.kind == kEnd) {
      const bool finished_anyway = trial.state == TrialState::kCompleted && trial.attrs.contains("decision");
      parts_.scheduler->OnTrialEnd(trial.number, finished_anyway ? TrialState::kStopped : trial.state);
    }
  }
}

// A trial whose coordinator died while the executor may still run it (a
// Slurm job outlives the coordinator): watch it again from where the store
// left off. False when the executor cannot (a local process's output pipes
// died with its coordinator); the caller then recovers it as lost.
Result<bool> CoordinatorImpl::Reattach(TrialRecord& trial) {
  auto described = trial.attrs.find("executor");
  if (described == trial.attrs.end() || !described->is_object() || described->empty()) return false;
  std::vector<std::string> argv;
  if (auto a = trial.attrs.find("argv"); a != trial.attrs.end() && a->is_array()) argv = a->get<std::vector<std::string>>();
  std::vector<std::string> gpus;
  if (auto g = trial.attrs.find("gpus"); g != trial.attrs.end() && g->is_array()) gpus = g->get<std::vector<std::string>>();
  LaunchRequest request = BuildLaunch(trial, argv, gpus);
  request.trial_dir = trial.attrs.value("trial_dir", "");
  if (trial.attrs.contains("seed")) request.env["CAIRN_SEED"] = trial.attrs["seed"].dump();
  Status attached = parts_.executor->Reattach(request, *described);
  if (!attached.ok()) {
    trial.attrs["reattach_error"] = attached.message();
    return false;
  }
  // Executors that can re-attach place trials themselves (Slurm asks for
  // GPUs per job): no local device slot is taken.
  LiveTrial live{trial, {}};
  live.trial_dir = request.trial_dir;
  live.record.owner = owner_;
  live.record.heartbeat_at = parts_.clock->WallTime();
  live.record.attrs["reattached"] = live.record.attrs.value("reattached", 0) + 1;
  live.record.attrs.erase("reattach_error");
  CAIRN_ASSIGN_OR_RETURN(auto points, parts_.store->ReadMetrics({trial.id, std::nullopt}));
  for (const auto& p : points) {
    live.metrics[p.key].Add(p.value, p.step, p.time);
    live.stored_through_step = std::max(live.stored_through_step.value_or(p.step), p.step);
  }
  int64_t id = trial.id;
  live_.emplace(id, std::move(live));
  CAIRN_TRY(parts_.store->UpdateTrial(live_.at(id).record));
  // The scheduler hears the stored curve again, so its rules see the whole trial.
  parts_.scheduler->OnTrialStart(trial.number, trial.params);
  LiveTrial& running = live_.at(id);
  running.record.steps = 0;
  for (const auto& p : points) {
    if (p.key == spec_.metric) HandleObjective(running, p.step, p.value);
  }
  return true;
}

// A trial whose coordinator died: stop what is left of it, keep every metric
// line its log holds, and record it as lost.
Status CoordinatorImpl::RecoverLostTrial(TrialRecord& trial) {
  // A trial still running when its coordinator is found gone did not end:
  // an exit record in its folder is not its own (the program wrote it).
  const bool was_running = study_internal::KillOrphan(trial);
  auto added = study_internal::ReingestTrialLog(*parts_.store, spec_, trial);
  if (added.ok()) {
    trial.attrs["recovered_points"] = *added;
  } else {
    trial.attrs["recovery_error"] = added.status().message();
  }
  CAIRN_ASSIGN_OR_RETURN(bool ended, study_internal::RecordRecoveredEnd(*parts_.store, spec_, trial,
                                                                        parts_.clock->WallTime(), !was_running));
  if (ended) {
    // What it made, listed as for a trial that ended here.
    trail_.TrialEnded(trial.id, trial.attrs.value("trial_dir", std::string()));
    return Status::Ok();
  }
  CAIRN_ASSIGN_OR_RETURN(auto points, parts_.store->ReadMetrics({trial.id, spec_.metric}));
  trial.steps = static_cast<int64_t>(points.size());
  if (!points.empty()) trial.value = points.back().value;
  trial.state = TrialState::kLost;
  trial.end_reason = "its coordinator stopped while it ran";
  // When it ended is not known; the last sign of life is (its last
  // heartbeat or report). The time of this recovery, maybe a day later,
  // would count that day as its run time and its compute hours.
  double last_seen = trial.heartbeat_at.value_or(trial.started_at.value_or(trial.created_at));
  if (!points.empty()) last_seen = std::max(last_seen, points.back().time);
  trial.ended_at = std::max(std::min(parts_.clock->WallTime(), last_seen), trial.started_at.value_or(last_seen));
  return parts_.store->UpdateTrial(trial);
}

bool CoordinatorImpl::ShouldLaunch() const {
  if (interrupted_ || launch_blocked_ || !BudgetLeft()) return false;
  if (static_cast<int>(live_.size()) >= spec_.parallel) return false;
  return slots_.Available(NextShare()) > 0;
}

// The GPU share the next trial takes: a fixed share, or what automatic
// packing says now; a re-run after running out of memory gets a GPU alone.
double CoordinatorImpl::NextShare() const {
  if (!reruns_.empty() && reruns_.front().whole_gpu) return std::max(1.0, spec_.gpus_per_trial);
  if (packing_) return packing_->Share();
  return spec_.gpus_per_trial;
}

Result<TrialRecord> CoordinatorImpl::CreateTrialRecord(const std::function<Params(int)>& params_for,
                                                       const nlohmann::json& attrs, bool from_budget) {
  TrialRecord trial;
  trial.study_id = study_.id;
  trial.state = TrialState::kRunning;
  trial.created_at = parts_.clock->WallTime();
  trial.started_at = trial.created_at;
  trial.attrs = attrs;
  trial.owner = owner_;
  trial.heartbeat_at = trial.created_at;
  // Another coordinator may take a number first: then take the next one,
  // with the parameters drawn for it. (Keeping those drawn for the lost
  // number would run them twice: the winner drew the same ones for it.)
  for (int attempt = 0; attempt < 1000; ++attempt) {
    trial.number = next_number_++;
    trial.params = params_for(trial.number);
    trial.ark = study_.ark.empty() ? "" : TrialArk(study_.ark, trial.number);
    // A trial of the budget is claimed atomically: coordinators sharing the
    // study cannot start more than `trials` between them.
    auto id = from_budget ? parts_.store->CreateBudgetTrial(trial, budget_) : parts_.store->CreateTrial(trial);
    if (id.ok()) {
      trial.id = *id;
      told_.insert(trial.number);
      return trial;
    }
    if (id.status().code() != StatusCode::kAlreadyExists) return id.status();
  }
  return Unavailable("could not find a free trial number for study " + spec_.name);
}

Status CoordinatorImpl::LaunchNext() {
  std::function<Params(int)> params_for;
  nlohmann::json attrs = nlohmann::json::object();
  bool from_budget = reruns_.empty();
  double share = NextShare();
  std::optional<uint64_t> repeated_seed;
  if (!from_budget) {
    const Rerun& r = reruns_.front();
    repeated_seed = r.seed;
    params_for = [params = r.params](int) { return params; };
    const bool retry = r.retry > 0 && !r.retry_of;
    attrs[retry ? "retry_of" : "rerun_of"] = r.origin;
    if (r.retry_of) attrs["retry_of"] = *r.retry_of;
    if (r.retry > 0) attrs["retry"] = r.retry;
    if (r.whole_gpu) attrs["rerun_reason"] = "GPU out of memory while sharing a GPU: run alone";
    reruns_.pop_front();
  } else {
    params_for = [this](int number) { return parts_.sampler->Ask(number); };
  }
  auto gpus = slots_.Acquire(share);
  if (!gpus) return Internal("no GPU slot although capacity was reported");
  if (packing_) attrs["packing"] = packing_->ToJson();

  auto created = CreateTrialRecord(params_for, attrs, from_budget);
  if (!created.ok() && created.status().code() == StatusCode::kFailedPrecondition && from_budget) {
    // Another coordinator took the last trial of the budget.
    slots_.Release(*gpus, share);
    started_ = budget_;
    return Status::Ok();
  }
  CAIRN_ASSIGN_OR_RETURN(TrialRecord trial, std::move(created));
  const Params& params = trial.params;
  if (from_budget) ++started_;
  ++ran_here_;
  std::filesystem::path trial_dir =
      FreshTrialDir(trial, options_.trials_root / spec_.name / std::to_string(trial.number));
  // A re-run or retry repeats a trial: it gets that trial's seed.
  const int seed_number = trial.attrs.value("rerun_of", trial.attrs.value("retry_of", trial.number));
  uint64_t seed = repeated_seed.value_or(spec_.seed * 1000003ULL + static_cast<uint64_t>(seed_number));
  if (auto from_param = SeedParam(params)) seed = *from_param;
  std::map<std::string, std::string> extra = {
      {"trial_id", std::to_string(trial.id)}, {"trial_number", std::to_string(trial.number)},
      {"trial_dir", trial_dir.string()},      {"seed", std::to_string(seed)},
      {"study", spec_.name}};
  auto argv = ExpandCommand(spec_.command, params, extra, &spec_.space);
  LiveTrial live{trial, *gpus, share, packing_ ? packing_->PerGpu() : 1};
  live.trial_dir = trial_dir;
  live.record.attrs["argv"] = argv.ok() ? nlohmann::json(*argv) : nlohmann::json(spec_.command);
  live.record.attrs["seed"] = seed;
  // The budget it runs under: a resume that records its end after the study
  // file changed counts its value up to this.
  if (spec_.max_steps) live.record.attrs["max_steps"] = *spec_.max_steps;
  live.record.attrs["search"] = {{"sampler", spec_.sampler}, {"pruner", spec_.pruner}};
  if (!pruner_settings_.empty()) live.record.attrs["search"]["pruner_settings"] = pruner_settings_;
  live.record.attrs["gpus"] = *gpus;
  if (!gpus->empty()) live.record.attrs["gpu_share"] = share;
  live.record.attrs["trial_dir"] = trial_dir.string();
  int64_t id = trial.id;
  if (!argv.ok()) {
    live.record.state = TrialState::kFailed;
    live.record.end_reason = argv.status().message();
    live.record.ended_at = parts_.clock->WallTime();
    slots_.Release(*gpus, share);
    CountEnded(live.record);
    parts_.sampler->Tell({trial.number, params, TrialState::kFailed, std::nullopt, {}});
    return parts_.store->UpdateTrial(live.record);
  }
  LaunchRequest request = BuildLaunch(trial, *argv, *gpus);
  request.env["CAIRN_SEED"] = std::to_string(seed);
  request.trial_dir = trial_dir;
  if (options_.decorate_launch) options_.decorate_launch(request);
  if (options_.create_trial_dirs) {
    std::error_code ec;
    std::filesystem::create_directories(trial_dir, ec);
  }
  live_.emplace(id, std::move(live));
  CAIRN_TRY(parts_.store->UpdateTrial(live_.at(id).record));
  parts_.scheduler->OnTrialStart(trial.number, trial.params);
  Status launched = parts_.executor->Launch(request);
  if (launched.code() == StatusCode::kUnavailable) {
    // The cluster, not the trial: it is lost (run again when the study file
    // is), and nothing more is started now rather than burn the budget.
    launch_blocked_ = true;
    if (options_.on_message) {
      options_.on_message(fmt::format("cannot start trials: {}; the running ones go on, no more start; run the "
                                      "study file again when it is back",
                                      launched.message()));
    }
    return HandleExit(ExitEvent{id, ExitKind::kLost, std::nullopt, std::nullopt,
                                "not started: " + launched.message(), parts_.clock->Now()});
  }
  if (!launched.ok()) {
    ExitEvent failed{id, ExitKind::kLaunchFailed, std::nullopt, std::nullopt, launched.message(),
                     parts_.clock->Now()};
    return HandleExit(failed);
  }
  // Where it runs, stored now: a coordinator that takes over after this one
  // dies kills an orphaned local process by pid, or re-attaches to a job.
  LiveTrial& running = live_.at(id);
  auto pid = parts_.executor->Pid(id);
  if (pid) running.record.attrs["pid"] = *pid;
  if (auto where = parts_.executor->Describe(id); !where.empty()) running.record.attrs["executor"] = where;
  if (pid || running.record.attrs.contains("executor")) CAIRN_TRY(parts_.store->UpdateTrial(running.record));
  std::vector<std::filesystem::path> datasets;
  for (const auto& d : spec_.datasets) datasets.push_back(d.is_absolute() ? d : spec_.workdir / d);
  trail_.TrialStarted(id, {request.argv, TrialEnvironment(request), request.gpus, datasets, request.workdir},
                      parts_.executor->Pid(id));
  return Status::Ok();
}

LaunchRequest CoordinatorImpl::BuildLaunch(const TrialRecord& trial, const std::vector<std::string>& argv,
                                           const std::vector<std::string>& gpus) const {
  LaunchRequest request;
  request.trial_id = trial.id;
  request.number = trial.number;
  request.params = trial.params;
  request.argv = argv;
  request.workdir = spec_.workdir;
  request.env = spec_.env;
  request.gpus = gpus;
  request.timeout_s = spec_.timeout_s;
  request.grace_s = spec_.grace_s;
  return request;
}

Status CoordinatorImpl::HandleEvent(const ExecutorEvent& event) {
  if (const auto* report = std::get_if<ReportEvent>(&event)) {
    HandleReport(*report);
    return Status::Ok();
  }
  return HandleExit(std::get<ExitEvent>(event));
}

double CoordinatorImpl::WallTimeOf(double clock_time) const {
  const double now = parts_.clock->Now();
  const double late = clock_time > 0 && clock_time <= now ? now - clock_time : 0.0;
  return parts_.clock->WallTime() - late;
}

void CoordinatorImpl::HandleReport(const ReportEvent& report) {
  auto it = live_.find(report.trial_id);
  if (it == live_.end()) return;  // a late line of a trial already ended
  LiveTrial& live = it->second;
  // Without a step key the n-th report of the objective is step n (also
  // past max_steps and after a stop, where reports are kept as points only).
  int64_t step = report.step.value_or(live.last_seen_step.value_or(0) + 1);
  if (report.metrics.contains(spec_.metric)) live.last_seen_step = std::max(live.last_seen_step.value_or(step), step);
  if (live.stored_through_step && step <= *live.stored_through_step) return;  // read again after re-attaching
  // When it was read, not when this coordinator got to it (its store held
  // it up while the executor read on).
  const double wall = WallTimeOf(report.time);
  for (const auto& [key, value] : report.metrics) {
    pending_metrics_.push_back({report.trial_id, key, step, value, wall});
    live.metrics[key].Add(value, step, wall);
  }
  auto objective = report.metrics.find(spec_.metric);
  if (objective != report.metrics.end()) HandleObjective(live, step, objective->second);
}

void CoordinatorImpl::HandleObjective(LiveTrial& live, int64_t step, double value) {
  if (live.stop_cause != StopCause::kNone) {
    // Already being stopped: the point is kept, the value stays the one
    // the stop was decided on; how many came late is recorded.
    ++live.reports_after_stop;
    if (live.stop_cause == StopCause::kScheduler) live.after_stop.emplace_back(step, value);
    return;
  }
  if (spec_.max_steps && step > *spec_.max_steps) {
    // Past the budget (the program is in its grace period, or skipped
    // max_steps itself): the point stays in the metrics, but the trial's
    // value is its value at max_steps, or a faster program would win by
    // training longer than the others.
    if (!live.max_steps_deadline) live.max_steps_deadline = parts_.clock->Now() + spec_.grace_s;
    return;
  }
  if (!std::isfinite(value)) {
    CountObjective(live, step, value);
    RequestStop(live, StopCause::kNonFinite,
                fmt::format("objective {} reported {} at step {}", spec_.metric, value, step));
    return;
  }
  if (CountObjective(live, step, value)) {
    Decision d = parts_.scheduler->OnReport(live.record.number, step, value);
    if (d.stop()) {
      std::string detail = d.reason.empty() ? "stopped by " + d.rule : d.rule + ": " + d.reason;
      live.decision = d;
      RequestStop(live, StopCause::kScheduler, detail);
      return;
    }
    if (d.kept) {
      nlohmann::json entry = d.ToJson();
      entry["step"] = step;
      live.kept.push_back(std::move(entry));
    }
  }
  if (spec_.max_steps && step >= *spec_.max_steps && !live.max_steps_deadline) {
    // A program that runs exactly max_steps is about to finish by itself
    // (saving its model): give it the grace period before stopping it.
    live.max_steps_deadline = parts_.clock->Now() + spec_.grace_s;
  }
}

// Counts one objective report into the trial's value, steps and curve; true
// when it is the first report of a new step.
bool CoordinatorImpl::CountObjective(LiveTrial& live, int64_t step, double value) {
  // The value is the objective at the latest step: a report for an earlier
  // step (a program re-evaluating an old checkpoint) is kept as a metric
  // point but does not replace it. Steps count the steps trained: a step
  // reported again (a requeued job redoing the epochs after its checkpoint)
  // is not a new one.
  bool new_step = !live.last_step || step > *live.last_step;
  if (!live.last_step || step >= *live.last_step) live.record.value = value;
  if (new_step) ++live.record.steps;
  // A NaN is the value too (the trial fails on it), so its step is the
  // value's step; it is not a point of the curve the rule learns.
  if (new_step) live.last_step = step;
  if (!std::isfinite(value)) return false;
  live.curve.emplace_back(step, value);
  return new_step;
}

// A program ahead of a scheduler's stop that reported max_steps and exited 0
// by itself finished its run before the stop took effect (it was ahead of
// the signal, or ignored SIGTERM for the grace period): nothing was saved
// and its model is whole. (Without max_steps a clean exit after the stop
// cannot be told from a program that saved and quit on SIGTERM.)
bool CoordinatorImpl::FinishedBeforeTheStop(const LiveTrial& live, const ExitEvent& exit) const {
  if (live.stop_cause != StopCause::kScheduler || !spec_.max_steps) return false;
  if (exit.signal || exit.exit_code.value_or(1) != 0) return false;
  bool reached = false;
  for (const auto& [step, value] : live.after_stop) {
    if (step > *spec_.max_steps) continue;
    if (!std::isfinite(value)) return false;
    reached = reached || step == *spec_.max_steps;
  }
  return reached;
}

void CoordinatorImpl::RequestStop(LiveTrial& live, StopCause cause, std::string detail) {
  if (live.stop_cause != StopCause::kNone) return;
  live.stop_cause = cause;
  live.stop_detail = std::move(detail);
  // Why, beside its logs: a resume after this coordinator could not record
  // the end (its store stopped answering) records it as this would have.
  // Only trials with a folder of their own (a replay's have none).
  if (options_.create_trial_dirs) {
    study_internal::WriteStopRecord(live.trial_dir, live.record.id,
                                    {.cause = cause,
                                     .detail = live.stop_detail,
                                     .step = live.last_step,
                                     .decision = live.decision ? live.decision->ToJson() : nlohmann::json()});
  }
  parts_.executor->Stop(live.record.id);
}

Status CoordinatorImpl::HandleExit(const ExitEvent& exit) {
  auto it = live_.find(exit.trial_id);
  if (it == live_.end()) return Status::Ok();
  CAIRN_TRY(FlushMetrics());  // the trial's last reports land before its end
  LiveTrial live = std::move(it->second);
  live_.erase(it);
  slots_.Release(live.gpus, live.gpu_share);

  const bool finished_anyway = FinishedBeforeTheStop(live, exit);
  study_internal::TrialEnd end;
  if (finished_anyway) {
    for (const auto& [step, value] : live.after_stop) {
      if (step <= *spec_.max_steps) CountObjective(live, step, value);
    }
    live.reports_after_stop = 0;  // they are the value now
    end = {TrialState::kCompleted, fmt::format("ran to max_steps {} and exited 0 before the stop took effect ({})",
                                               *spec_.max_steps, live.stop_detail)};
  } else {
    end = ClassifyTrialEnd(exit, live.stop_cause, live.stop_detail);
  }
  if (end.state == TrialState::kCompleted && !live.last_step) end = study_internal::WithoutObjective(end, spec_.metric);
  TrialRecord& trial = live.record;
  trial.state = end.state;
  trial.end_reason = end.reason;
  trial.exit_code = exit.exit_code;
  trial.signal = exit.signal;
  // When the end was seen, not when this coordinator got to it (a store
  // that did not answer for minutes held it up).
  trial.ended_at = std::max(WallTimeOf(exit.time), trial.started_at.value_or(trial.created_at));
  trial.attrs["exit"] = {{"kind", ExitKindName(exit.kind)}, {"message", exit.message}};
  if (live.decision) trial.attrs["decision"] = live.decision->ToJson();
  if (!live.kept.empty()) trial.attrs["kept"] = live.kept;
  if (live.reports_after_stop > 0) trial.attrs["reports_after_stop"] = live.reports_after_stop;
  if (auto where = parts_.executor->Describe(trial.id); !where.empty()) trial.attrs["executor"] = where;
  trial.attrs["metrics"] = MetricsSummary(live);
  // The step the value belongs to: reports past max_steps or after a stop
  // are kept as points but are not the value (nor, then, its step).
  if (live.last_step) trial.attrs["value_step"] = *live.last_step;
  if (live.gpu_peak_alone) trial.attrs["gpu_peak_memory_bytes"] = *live.gpu_peak_alone;
  if (packing_ && live.gpu_peak_alone) packing_->RecordPeak(*live.gpu_peak_alone);
  if (trial.state == TrialState::kFailed) NoteGpuOutOfMemory(live);
  if (auto context = trail_.TakeContext(trial.id, /*wait=*/true)) CAIRN_TRY(StoreContext(trial, *context));
  CAIRN_TRY(parts_.store->UpdateTrial(trial));
  trail_.TrialEnded(trial.id, live.trial_dir);

  // The scheduler saw the trial only up to its stop: to it, it is stopped.
  parts_.scheduler->OnTrialEnd(trial.number, finished_anyway ? TrialState::kStopped : trial.state);
  parts_.sampler->Tell({trial.number, trial.params, trial.state, trial.value, live.curve});
  CountEnded(trial);
  if (trial.state == TrialState::kFailed) QueueRetry(trial);
  return Status::Ok();
}

// A failed trial runs again, up to max_retries times, unless it is already
// queued to run again (alone, after running out of GPU memory) or the study
// is being interrupted. True when a retry was queued.
bool CoordinatorImpl::QueueRetry(const TrialRecord& trial) {
  const int retry = trial.attrs.value("retry", 0);
  const bool repeated = trial.attrs.value("rerun", false);
  if (retry >= spec_.max_retries || interrupted_ || repeated) return false;
  const int origin = trial.attrs.value("retry_of", trial.number);
  reruns_.push_back({.params = trial.params, .origin = origin, .retry = retry + 1, .seed = RecordedSeed(trial.attrs)});
  return true;
}

// A failed trial whose stderr says the GPU ran out of memory is recorded as
// such; when it shared its GPU it runs again alone (once), and automatic
// packing puts fewer trials on a GPU from now on.
void CoordinatorImpl::NoteGpuOutOfMemory(LiveTrial& live) {
  if (live.gpus.empty()) return;
  std::ifstream in(live.trial_dir / "stderr.log", std::ios::binary);
  if (!in) return;
  constexpr std::streamoff kTail = 64 * 1024;  // the error is at the end
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - kTail));
  std::string tail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!LooksLikeGpuOutOfMemory(tail)) return;
  TrialRecord& trial = live.record;
  trial.end_reason = "GPU out of memory (" + trial.end_reason + ")";
  trial.attrs["gpu_out_of_memory"] = true;
  if (live.gpu_share >= 1.0 || trial.attrs.contains("rerun_reason") || interrupted_) return;
  if (packing_) packing_->RecordOutOfMemory(live.per_gpu);
  Rerun rerun = RerunOf(trial, trial.attrs.value("rerun_of", trial.number));
  rerun.whole_gpu = true;
  reruns_.push_back(std::move(rerun));
  trial.attrs["rerun"] = true;
}

// Peak GPU memory of trials alone on their GPUs, from the utilization
// samples ("sys/gpu<k>_mem_bytes" is the whole device's memory in use).
void CoordinatorImpl::TrackGpuMemory(const std::vector<MetricPoint>& samples) {
  for (const auto& sample : samples) {
    if (!sample.key.starts_with("sys/gpu") || !sample.key.ends_with("_mem_bytes")) continue;
    auto it = live_.find(sample.trial_id);
    if (it == live_.end() || !AloneOnItsGpus(it->second) || !std::isfinite(sample.value)) continue;
    auto bytes = static_cast<uint64_t>(std::max(0.0, sample.value));
    it->second.gpu_peak_alone = std::max(it->second.gpu_peak_alone.value_or(0), bytes);
  }
}

bool CoordinatorImpl::AloneOnItsGpus(const LiveTrial& live) const {
  if (live.gpus.empty()) return false;
  return std::all_of(live.gpus.begin(), live.gpus.end(), [&](const std::string& id) {
    auto used = slots_.Used(id);
    return used && *used <= std::min(1.0, live.gpu_share) + 1e-9;
  });
}

Status CoordinatorImpl::StoreContext(TrialRecord& trial, const CapturedContext& context) {
  for (const auto& blob : context.blobs) CAIRN_TRY(parts_.store->PutBlob(blob.hash, blob.kind, blob.body));
  trial.attrs["context"] = context.record;
  if (run_code_) trial.attrs["context"]["code"] = *run_code_;
  return Status::Ok();
}

// A resume after the code changed (another commit, other uncommitted
// changes): the study's code version is that of its first run, so the
// trials of this run record their own (context.code), which diff and
// reproduce read before the study's.
Status CoordinatorImpl::NoteTheCodeNow() {
  auto now = trail_.CaptureStudy(spec_.workdir);
  if (!now || !now->record.contains("code")) return Status::Ok();
  nlohmann::json study_context = study_.attrs.value("context", nlohmann::json());
  if (!study_context.is_object()) study_context = study_.spec_json.value("context", nlohmann::json());
  if (!study_context.is_object() || !study_context.contains("code")) return Status::Ok();
  const nlohmann::json& was = study_context["code"];
  const nlohmann::json& is = now->record["code"];
  auto field = [](const nlohmann::json& code, const char* key) { return code.value(key, nlohmann::json()); };
  bool same = true;
  for (const char* key : {"is_repo", "commit", "diff_sha256", "untracked"}) same = same && field(was, key) == field(is, key);
  if (same) return Status::Ok();
  for (const auto& blob : now->blobs) CAIRN_TRY(parts_.store->PutBlob(blob.hash, blob.kind, blob.body));
  run_code_ = is;
  if (options_.on_message) {
    options_.on_message(fmt::format("the code changed since the study began (commit {}{} then, {}{} now): the "
                                    "trials of this run record their own code version",
                                    field(was, "commit").dump(), field(was, "dirty") == true ? " dirty" : "",
                                    field(is, "commit").dump(), field(is, "dirty") == true ? " dirty" : ""));
  }
  return Status::Ok();
}

// A running trial's context is stored as soon as it is captured, not when
// the trial ends: if this coordinator dies, the trial is recorded as lost
// with its record trail (code, packages, host, data) rather than without.
Status CoordinatorImpl::StoreReadyContexts() {
  for (auto& [id, live] : live_) {
    if (live.record.attrs.contains("context")) continue;
    if (auto context = trail_.TakeContext(id, /*wait=*/false)) {
      CAIRN_TRY(StoreContext(live.record, *context));
      CAIRN_TRY(parts_.store->UpdateTrial(live.record));
    }
  }
  return Status::Ok();
}

// Artifact lists are made after a trial ended; add them to its record.
Status CoordinatorImpl::CollectArtifacts(bool wait) {
  for (auto& [trial_id, artifacts] : trail_.TakeArtifacts(wait)) {
    CAIRN_ASSIGN_OR_RETURN(TrialRecord trial, parts_.store->GetTrial(trial_id));
    trial.attrs["artifacts"] = std::move(artifacts);
    CAIRN_TRY(parts_.store->UpdateTrial(trial));
  }
  return Status::Ok();
}

// A new trial gets an empty folder. One that already holds files belongs to
// an earlier study of the same name in this work folder (another store, or a
// store that was deleted): a program that resumes from a checkpoint there
// would carry that study's weights into this trial, and that store's records
// still point at those files. So they are left alone and the new trial
// takes the next free name, <number>-2, -3, ..., which is said.
std::filesystem::path CoordinatorImpl::FreshTrialDir(TrialRecord& trial, const std::filesystem::path& dir) {
  std::error_code ec;
  auto taken = [&ec](const std::filesystem::path& d) {
    return std::filesystem::exists(d, ec) &&
           !(std::filesystem::is_directory(d, ec) && std::filesystem::is_empty(d, ec));
  };
  if (!options_.create_trial_dirs || !taken(dir)) return dir;
  std::filesystem::path fresh = dir;
  for (int k = 2; taken(fresh); ++k) fresh = dir.string() + "-" + std::to_string(k);
  trial.attrs["trial_dir_taken"] = dir.string();
  if (options_.on_message) {
    options_.on_message(fmt::format("trial {}: {} holds files of an earlier study named '{}' (another store?); "
                                    "they are left as they are and this trial uses {}",
                                    trial.number, dir.string(), spec_.name, fresh.string()));
  }
  return fresh;
}

nlohmann::json CoordinatorImpl::MetricsSummary(const LiveTrial& live) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, running] : live.metrics) {
    MetricSummary m = running.Summary();
    if (key == spec_.metric) m.best = spec_.direction == Direction::kMaximize ? m.max : m.min;
    out[key] = MetricSummaryJson(m);
  }
  return out;
}

void CoordinatorImpl::CountEnded(const TrialRecord& trial) {
  if (!IsFinal(trial.state)) return;
  ++ended_[trial.state];
  if (trial.state == TrialState::kCompleted && trial.value && std::isfinite(*trial.value)) {
    // Ties go to the lower number, as in `ls`, `status` and `query`.
    if (!best_ || IsBetter(spec_.direction, *trial.value, *best_) ||
        (*trial.value == *best_ && trial.number < *best_trial_)) {
      best_ = trial.value;
      best_trial_ = trial.number;
      auto kept = trial.attrs.is_object() ? trial.attrs.find("kept") : trial.attrs.end();
      const bool was_kept = kept != trial.attrs.end() && kept->is_array() && !kept->empty() &&
                            kept->front().is_object();
      best_kept_ = was_kept ? kept->front() : nlohmann::json();
    }
    NoteKeptBest();
  }
}

// A best trial that lost a rung and was kept past it (by the predictive
// rule's hedge or its prediction) means the early ranks did not pick this
// study's best, and the rungs may have stopped trials like it: said once a
// run, while the study can still be changed, once it is the best of a few.
void CoordinatorImpl::NoteKeptBest() {
  constexpr int kFewCompleted = 3;
  if (said_best_was_kept_ || !options_.on_message || !best_kept_.is_object() ||
      ended_[TrialState::kCompleted] < kFewCompleted) {
    return;
  }
  said_best_was_kept_ = true;
  options_.on_message(fmt::format(
      "trial {}, the best of {} completed trials ({} = {:.6g}), lost a rung at step {} and was kept past it ({}): "
      "early ranks did not pick the best here, so the rungs may have stopped others like it; `cairn show {} {}` "
      "says more, docs/schedulers.md (\"The hedge\") what to change",
      *best_trial_, ended_[TrialState::kCompleted], spec_.metric, *best_, best_kept_.value("step", int64_t{0}),
      best_kept_.value("reason", std::string()), spec_.name, *best_trial_));
}

// Trials other coordinators of the study ended after this one last read the
// store: counted before the summary, which speaks for the whole study.
Status CoordinatorImpl::CountOthersEnded() {
  CAIRN_ASSIGN_OR_RETURN(auto trials, parts_.store->ListTrials(study_.id));
  for (const auto& trial : trials) {
    if (told_.count(trial.number) || !IsFinal(trial.state)) continue;
    told_.insert(trial.number);
    CountEnded(trial);
  }
  return Status::Ok();
}

void CoordinatorImpl::EnforceMaxSteps() {
  double now = parts_.clock->Now();
  for (auto& [id, live] : live_) {
    if (live.max_steps_deadline && now >= *live.max_steps_deadline) {
      RequestStop(live, StopCause::kMaxSteps, fmt::format("reached max_steps {}", *spec_.max_steps));
    }
  }
}

Status CoordinatorImpl::ReleaseQueuedReruns() {
  for (const Rerun& r : reruns_) {
    if (!r.marked) continue;
    CAIRN_ASSIGN_OR_RETURN(TrialRecord trial, parts_.store->GetTrialByNumber(study_.id, r.origin));
    trial.attrs.erase("rerun");
    CAIRN_TRY(parts_.store->UpdateTrial(trial));
  }
  reruns_.clear();
  return Status::Ok();
}

Status CoordinatorImpl::InterruptAll() {
  interrupted_ = true;
  Status released = ReleaseQueuedReruns();
  for (auto& [id, live] : live_) {
    RequestStop(live, StopCause::kInterrupt,
                "interrupted: cairn was told to stop (Ctrl-C, SIGTERM or SIGHUP); running it again re-runs this trial");
  }
  if (options_.on_message && !live_.empty()) {
    options_.on_message(fmt::format("interrupted: stopping {} running trial(s), which have {:g} s to end "
                                    "(budget.grace); interrupt again to kill them now",
                                    live_.size(), spec_.grace_s));
  }
  return released;
}

Status CoordinatorImpl::KillAll() {
  Status interrupted = interrupted_ ? Status::Ok() : InterruptAll();
  killed_ = true;
  for (auto& [id, live] : live_) parts_.executor->Kill(id);
  if (options_.on_message && !live_.empty()) {
    options_.on_message(fmt::format("killing {} running trial(s) now", live_.size()));
  }
  return interrupted;
}

Status CoordinatorImpl::FlushMetrics() {
  if (pending_metrics_.empty()) return Status::Ok();
  Status s = parts_.store->AppendMetrics(pending_metrics_);
  if (s.ok()) pending_metrics_.clear();
  return s;
}

// Where a trial runs can change after its launch (a packed Slurm trial gets
// its job id when the pack is submitted): store it as soon as it does, so a
// coordinator that resumes after a crash finds the job.
Status CoordinatorImpl::StoreChangedDescriptions() {
  for (auto& [id, live] : live_) {
    nlohmann::json where = parts_.executor->Describe(id);
    if (where.empty() || live.record.attrs.value("executor", nlohmann::json()) == where) continue;
    live.record.attrs["executor"] = std::move(where);
    CAIRN_TRY(parts_.store->UpdateTrial(live.record));
  }
  return Status::Ok();
}

// Running trials say they are alive, so another coordinator can tell a
// dead owner's trials from live ones (every 10 s), and show their progress
// to `status` and `show` in other terminals (every 2 s while they report).
void CoordinatorImpl::Heartbeat() {
  constexpr double kAliveEveryS = 10.0, kProgressEveryS = 2.0;
  double now = parts_.clock->Now();
  if (now - last_heartbeat_ < kProgressEveryS) return;
  const bool alive_due = now - last_alive_ >= kAliveEveryS;
  last_heartbeat_ = now;
  if (alive_due) last_alive_ = now;
  for (auto& [id, live] : live_) {
    if (!alive_due && live.record.steps == live.steps_written) continue;
    live.record.heartbeat_at = parts_.clock->WallTime();
    live.steps_written = live.record.steps;
    // The value written goes with its step: `status` and `show` of a running
    // trial (or of one its coordinator lost) read the step from here, and
    // the stored points run ahead of the value.
    if (live.last_step) live.record.attrs["value_step"] = *live.last_step;
    (void)parts_.store->UpdateTrial(live.record);
    // A write that waited for the store went in with the stamp of before
    // the wait, already stale to the others: stamp it again.
    if (parts_.clock->WallTime() - *live.record.heartbeat_at > kAliveEveryS) {
      live.record.heartbeat_at = parts_.clock->WallTime();
      (void)parts_.store->UpdateTrial(live.record);
    }
  }
}

StudyProgress CoordinatorImpl::Progress() const {
  StudyProgress p;
  p.study = spec_.name;
  p.queued = std::max(0, budget_ - started_) + static_cast<int>(reruns_.size());
  if (interrupted_) p.queued = 0;
  p.running = static_cast<int>(live_.size());
  auto count = [this](TrialState s) {
    auto it = ended_.find(s);
    return it == ended_.end() ? 0 : it->second;
  };
  p.completed = count(TrialState::kCompleted);
  p.stopped = count(TrialState::kStopped);
  p.failed = count(TrialState::kFailed);
  p.interrupted = count(TrialState::kInterrupted);
  p.lost = count(TrialState::kLost);
  p.best = best_;
  p.best_trial = best_trial_;
  p.elapsed_s = parts_.clock->Now() - start_time_;
  return p;
}

void CoordinatorImpl::MaybeReportProgress(bool force) {
  if (!options_.on_progress) return;
  double now = parts_.clock->Now();
  if (!force && now - last_progress_ < options_.progress_interval_s) return;
  last_progress_ = now;
  options_.on_progress(Progress());
}

Result<StudySummary> CoordinatorImpl::Run() {
  last_turn_wall_ = parts_.clock->WallTime();
  for (;;) {
    NoteStall(last_turn_wall_);
    last_turn_wall_ = parts_.clock->WallTime();
    if (!interrupted_ && options_.interrupt && options_.interrupt->load()) CAIRN_TRY(InterruptAll());
    if (!killed_ && options_.kill && options_.kill->load()) CAIRN_TRY(KillAll());
    // Other coordinators may share the study: see what they did before
    // taking more of the budget.
    if (ShouldLaunch() && parts_.clock->Now() - last_refresh_ >= options_.refresh_interval_s) CAIRN_TRY(Refresh());
    while (ShouldLaunch()) CAIRN_TRY(LaunchNext());
    if (interrupted_ || launch_blocked_ || !BudgetLeft()) parts_.executor->NoMoreLaunches();
    if (live_.empty()) break;
    EnforceMaxSteps();
    auto events = parts_.executor->Poll(options_.poll_interval_s);
    for (const auto& event : events) CAIRN_TRY(HandleEvent(event));
    CAIRN_TRY(StoreChangedDescriptions());
    auto samples = trail_.DrainUtilization();
    TrackGpuMemory(samples);
    pending_metrics_.insert(pending_metrics_.end(), samples.begin(), samples.end());
    if (pending_metrics_.size() >= options_.metrics_batch) CAIRN_TRY(FlushMetrics());
    CAIRN_TRY(StoreReadyContexts());
    CAIRN_TRY(CollectArtifacts(/*wait=*/false));
    Heartbeat();
    MaybeReportProgress(false);
  }
  CAIRN_TRY(FlushMetrics());
  CAIRN_TRY(CollectArtifacts(/*wait=*/true));
  CAIRN_TRY(CountOthersEnded());
  MaybeReportProgress(true);
  StudySummary summary{Progress(), study_.id, interrupted_, ran_here_, budget_};
  return summary;
}

}  // namespace

Result<std::unique_ptr<Coordinator>> Coordinator::Create(const StudySpec& spec, const StudyParts& parts,
                                                         CoordinatorOptions options) {
  if (!parts.store || !parts.executor || !parts.clock || !parts.sampler || !parts.scheduler) {
    return InvalidArgument("Coordinator::Create: store, executor, clock, sampler and scheduler are required");
  }
  auto impl = std::make_unique<CoordinatorImpl>(spec, parts, std::move(options));
  CAIRN_TRY(impl->Attach());
  return std::unique_ptr<Coordinator>(std::move(impl));
}

}  // namespace cairn
