#include "cairn/study.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cairn/study/recovery.h"
#include "support/fake_executor.h"
#include "support/paths.h"

namespace cairn {
namespace {

using testing::FakeExecutor;
using testing::Script;

StudySpec MakeSpec(int trials, int parallel) {
  StudySpec spec;
  spec.name = "fake";
  spec.command = {"train", "--x", "{x}"};
  spec.workdir = "/tmp";
  spec.metric = "score";
  spec.direction = Direction::kMaximize;
  spec.trials = trials;
  spec.parallel = parallel;
  spec.space.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = 0.0, .high = 1.0});
  return spec;
}

double X(const LaunchRequest& r) { return *ParamValueAsDouble(r.params.at("x")); }

// A curve that rises towards x: trials with a larger x are better.
Script Rising(const LaunchRequest& r, int steps = 10) {
  Script s;
  for (int i = 1; i <= steps; ++i) s.values.push_back(X(r) * (1.0 - std::exp(-0.3 * i)));
  return s;
}

// Rising for `steps` steps, then exit 1.
Script FailsAfter(const LaunchRequest& r, int steps) {
  Script s = Rising(r, steps);
  s.exit_code = 1;
  return s;
}

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("cairn-coord");
    auto store = OpenStore("sqlite://" + (dir_ / "cairn.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<StudySummary> RunStudy(const StudySpec& spec, FakeExecutor& exec, const std::string& pruner = "none",
                                const std::atomic<bool>* interrupt = nullptr,
                                std::function<void(const StudyProgress&)> on_progress = {},
                                std::function<void(const std::string&)> on_message = {}) {
    auto sampler = MakeSampler("random", spec.space, spec.direction, 7);
    if (!sampler.ok()) return sampler.status();
    nlohmann::json opts = pruner == "median" ? nlohmann::json{{"startup_trials", 2}} : nlohmann::json::object();
    auto scheduler = MakeScheduler(pruner, {spec.direction, std::nullopt, 7}, opts);
    if (!scheduler.ok()) return scheduler.status();
    StudyParts parts{store_.get(), &exec, &clock_, sampler->get(), scheduler->get()};
    CoordinatorOptions options;
    options.trials_root = dir_ / "trials";
    options.interrupt = interrupt;
    options.on_progress = std::move(on_progress);
    options.on_message = std::move(on_message);
    options.progress_interval_s = 0;
    auto coordinator = Coordinator::Create(spec, parts, options);
    if (!coordinator.ok()) return coordinator.status();
    return (*coordinator)->Run();
  }

  // A coordinator of `spec` on this test's store and clock, with a `sampler`
  // (seed 7) and no pruner that the fixture keeps alive; options.trials_root
  // is the test's. Null (and a failure) when it cannot be made.
  std::unique_ptr<Coordinator> Coordinate(const StudySpec& spec, FakeExecutor& exec, CoordinatorOptions options,
                                          const std::string& sampler = "random") {
    auto made = MakeSampler(sampler, spec.space, spec.direction, 7);
    auto scheduler = MakeScheduler("none", {spec.direction, std::nullopt, 7}, nlohmann::json::object());
    EXPECT_TRUE(made.ok() && scheduler.ok());
    if (!made.ok() || !scheduler.ok()) return nullptr;
    sampler_ = std::move(*made);
    scheduler_ = std::move(*scheduler);
    options.trials_root = dir_ / "trials";
    auto coordinator =
        Coordinator::Create(spec, StudyParts{store_.get(), &exec, &clock_, sampler_.get(), scheduler_.get()}, options);
    EXPECT_TRUE(coordinator.ok()) << coordinator.status().ToString();
    return coordinator.ok() ? std::move(*coordinator) : nullptr;
  }

  // Runs `spec` with a random sampler (seed 7) and `scheduler`, which the
  // caller keeps; options.trials_root is the test's.
  Status RunWith(const StudySpec& spec, FakeExecutor& exec, Scheduler& scheduler, CoordinatorOptions options = {}) {
    auto sampler = MakeSampler("random", spec.space, spec.direction, 7);
    if (!sampler.ok()) return sampler.status();
    options.trials_root = dir_ / "trials";
    auto coordinator =
        Coordinator::Create(spec, StudyParts{store_.get(), &exec, &clock_, sampler->get(), &scheduler}, options);
    if (!coordinator.ok()) return coordinator.status();
    return (*coordinator)->Run().status();
  }

  // Runs `spec` and interrupts it (Ctrl-C) once `seconds` of it have passed.
  Status RunUntil(const StudySpec& spec, FakeExecutor& exec, double seconds) {
    std::atomic<bool> interrupt{false};
    return RunStudy(spec, exec, "none", &interrupt, [&](const StudyProgress& p) {
             if (p.elapsed_s >= seconds) interrupt = true;
           }).status();
  }

  std::vector<TrialRecord> Trials() {
    auto study = store_->GetStudy("fake");
    EXPECT_TRUE(study.ok());
    auto trials = store_->ListTrials(study->id);
    EXPECT_TRUE(trials.ok());
    return *trials;
  }

  // A study of one trial with this max_steps and grace; its record.
  TrialRecord RunOneTrial(FakeExecutor& exec, int64_t max_steps, double grace_s) {
    StudySpec spec = MakeSpec(1, 1);
    spec.max_steps = max_steps;
    spec.grace_s = grace_s;
    EXPECT_TRUE(RunStudy(spec, exec).ok());
    auto trials = Trials();
    EXPECT_EQ(trials.size(), 1u);
    return trials.empty() ? TrialRecord{} : trials[0];
  }

  std::filesystem::path dir_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<Store> store_;
  SimulatedClock clock_{0.0, 1.7e9};
};

// Records the parameters each trial starts with.
class StartsSeen final : public Scheduler {
 public:
  void OnTrialStart(int64_t trial_id, const Params& params) override { starts[trial_id] = params; }
  Decision OnReport(int64_t, int64_t, double) override { return Decision::Continue(); }
  std::string Name() const override { return "starts-seen"; }
  std::map<int64_t, Params> starts;
};

TEST_F(CoordinatorTest, TheSchedulerHearsEachTrialsParametersAtItsStart) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
  StartsSeen seen;
  ASSERT_TRUE(RunWith(MakeSpec(4, 2), exec, seen).ok());
  ASSERT_EQ(seen.starts.size(), 4u);
  for (const TrialRecord& t : Trials()) {
    ASSERT_TRUE(seen.starts.count(t.number)) << t.number;
    EXPECT_EQ(seen.starts[t.number], t.params) << t.number;
  }
}

// Overrules a rung loss of trial 1 at step 2 (as the predictive rule's
// hedge or prediction does): a continue that says it kept the trial.
class KeepsTrialOne final : public Scheduler {
 public:
  Decision OnReport(int64_t trial_id, int64_t step, double) override {
    Decision d;
    if (trial_id == 1 && step == 2) {
      d.rule = "test";
      d.kept = true;
      d.reason = "kept by the test although rank 2 of 2";
    }
    return d;
  }
  std::string Name() const override { return "keeps-trial-one"; }
};

// The rung losses a rule overruled are recorded with the trial, and when
// such a trial is the best of a few completed ones the study says so once:
// its early ranks did not pick its best.
TEST_F(CoordinatorTest, RecordsRungLossesARuleOverruledAndSaysWhenTheBestHadOne) {
  // Trial 1 is the best; parallel 1, so 0, 1, 2, 3 end in order.
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) {
    Script s;
    s.values.assign(5, r.number == 1 ? 0.9 : 0.1 * (r.number + 1));
    return s;
  });
  KeepsTrialOne keeps;
  CoordinatorOptions options;
  std::vector<std::string> messages;
  options.on_message = [&](const std::string& m) { messages.push_back(m); };
  ASSERT_TRUE(RunWith(MakeSpec(4, 1), exec, keeps, options).ok());
  for (const TrialRecord& t : Trials()) {
    EXPECT_EQ(t.state, TrialState::kCompleted) << t.number;
    if (t.number != 1) {
      EXPECT_FALSE(t.attrs.contains("kept")) << t.number;
      continue;
    }
    ASSERT_TRUE(t.attrs.contains("kept"));
    ASSERT_EQ(t.attrs["kept"].size(), 1u);
    const nlohmann::json& k = t.attrs["kept"][0];
    EXPECT_EQ(k.value("step", 0), 2);
    EXPECT_EQ(k.value("rule", std::string()), "test");
    EXPECT_EQ(k.value("kept", false), true);
    EXPECT_EQ(k.value("action", std::string()), "continue");
  }
  // Said once, when trial 1 was the best of three completed (trial 2's end),
  // not at trial 1's own end (two completed) nor again at trial 3's.
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].rfind("trial 1, the best of 3 completed trials (score = 0.9), lost a rung at step 2 and was "
                              "kept past it (kept by the test although rank 2 of 2): early ranks did not pick",
                              0),
            0u)
      << messages[0];
  EXPECT_NE(messages[0].find("`cairn show fake 1`"), std::string::npos) << messages[0];
}

TEST_F(CoordinatorTest, RunsTheBudgetWithBoundedParallelism) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r); });
  auto summary = RunStudy(MakeSpec(6, 2), exec);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(exec.launched.size(), 6u);
  EXPECT_EQ(exec.max_running, 2);
  EXPECT_EQ(summary->progress.completed, 6);
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 6u);
  double best = -1;
  for (const auto& t : trials) {
    EXPECT_EQ(t.state, TrialState::kCompleted);
    EXPECT_EQ(t.steps, 10);
    ASSERT_TRUE(t.value.has_value());
    best = std::max(best, *t.value);
    auto points = store_->ReadMetrics({t.id, std::string("score")});
    ASSERT_TRUE(points.ok());
    EXPECT_EQ(points->size(), 10u);
    EXPECT_EQ(t.attrs["argv"][0], "train");
  }
  EXPECT_DOUBLE_EQ(*summary->progress.best, best);
  // Argv is the template with the parameter substituted, never a shell string.
  EXPECT_EQ(exec.launched[0].argv.size(), 3u);
  EXPECT_EQ(exec.launched[0].argv[2], ParamValueToString(exec.launched[0].params.at("x")));
}

// Exit 0 without one objective value is no result: recorded as failed,
// saying why, so it is never ranked or taken for a finished model.
TEST_F(CoordinatorTest, ACleanExitWithoutTheObjectiveIsAFailure) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) {
    Script s = Rising(r, 3);
    if (r.number == 1) s.metric = "other";  // reports, but never the objective
    return s;
  });
  auto summary = RunStudy(MakeSpec(2, 1), exec);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].state, TrialState::kCompleted);
  EXPECT_EQ(trials[1].state, TrialState::kFailed);
  EXPECT_NE(trials[1].end_reason.find("exit 0 without reporting the objective score"), std::string::npos)
      << trials[1].end_reason;
}

// A new study whose name and work folder an earlier study had (another
// store, or a deleted one) must not find that study's checkpoints in its
// trial folders, nor move them (that store's records point at them): the
// new trial takes the next free folder name, and it is said.
TEST_F(CoordinatorTest, ANewTrialNeverInheritsAnEarlierStudysFolder) {
  std::filesystem::create_directories(dir_ / "trials" / "fake" / "0");
  testing::WriteFile(dir_ / "trials" / "fake" / "0" / "checkpoint.pt", "old weights");
  std::filesystem::create_directories(dir_ / "trials" / "fake" / "1");  // empty: used as it is
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r); });
  std::vector<std::string> messages;
  auto summary = RunStudy(MakeSpec(2, 1), exec, "none", nullptr, {},
                          [&](const std::string& m) { messages.push_back(m); });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(testing::ReadFile(dir_ / "trials" / "fake" / "0" / "checkpoint.pt"), "old weights");
  ASSERT_EQ(exec.launched.size(), 2u);
  EXPECT_EQ(exec.launched[0].trial_dir, dir_ / "trials" / "fake" / "0-2");
  EXPECT_EQ(exec.launched[1].trial_dir, dir_ / "trials" / "fake" / "1");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("earlier study named 'fake'"), std::string::npos) << messages[0];
  EXPECT_NE(messages[0].find("0-2"), std::string::npos) << messages[0];
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].attrs.value("trial_dir", ""), (dir_ / "trials" / "fake" / "0-2").string());
  EXPECT_EQ(trials[0].attrs.value("trial_dir_taken", ""), (dir_ / "trials" / "fake" / "0").string());
  EXPECT_FALSE(trials[1].attrs.contains("trial_dir_taken"));
}

// The same name with another program or space is another study: refused,
// so two studies' trials never mix. A new budget is a resume.
TEST_F(CoordinatorTest, TheSameNameWithAnotherCommandOrSpaceIsRefused) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
  ASSERT_TRUE(RunStudy(MakeSpec(2, 1), exec).ok());
  ASSERT_TRUE(RunStudy(MakeSpec(3, 1), exec).ok()) << "a larger budget resumes";
  StudySpec other_command = MakeSpec(4, 1);
  other_command.command = {"train2", "--x", "{x}"};
  auto refused = RunStudy(other_command, exec);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("exists in"), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("another command"), std::string::npos) << refused.status().message();
  StudySpec other_space = MakeSpec(4, 1);
  other_space.space.params[0].high = 2.0;
  EXPECT_NE(RunStudy(other_space, exec).status().message().find("another space"), std::string::npos);
  StudySpec other_env = MakeSpec(4, 1);
  other_env.env = {{"MODE", "b"}};
  auto env_refused = RunStudy(other_env, exec);
  EXPECT_EQ(env_refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(env_refused.status().message().find("another env"), std::string::npos) << env_refused.status().message();
  StudySpec other_data = MakeSpec(4, 1);
  other_data.datasets = {"/data/other"};
  EXPECT_NE(RunStudy(other_data, exec).status().message().find("another datasets"), std::string::npos);
  EXPECT_EQ(Trials().size(), 3u);
}

// A resume with another sampler: the study's file becomes the new one (the
// earlier kept), and each trial says what it ran under.
TEST_F(CoordinatorTest, AResumeWithAChangedFileKeepsBothFiles) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
  StudySpec first = MakeSpec(2, 1);
  first.source_text = "name: fake\nsampler: tpe\n";
  first.sampler = "tpe";
  ASSERT_TRUE(RunStudy(first, exec).ok());
  StudySpec second = MakeSpec(3, 1);
  second.source_text = "name: fake\nsampler: random\n";
  second.sampler = "random";
  ASSERT_TRUE(RunStudy(second, exec).ok());
  auto study = store_->GetStudy("fake");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->spec_yaml, second.source_text);
  EXPECT_EQ(study->spec_json["sampler"]["name"], "random");
  ASSERT_EQ(study->attrs["earlier_specs"].size(), 1u);
  EXPECT_EQ(study->attrs["earlier_specs"][0]["spec_yaml"], first.source_text);
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].attrs["search"]["sampler"], "tpe");
  EXPECT_EQ(trials[2].attrs["search"]["sampler"], "random");
  EXPECT_FALSE(trials[0].attrs["search"].contains("pruner_settings")) << "the none rule has no options";
}

// A resumed study's pruner judges new trials against every trial of the
// study: the median rule (2 startup trials) of a second run starts with the
// completed trials of the first, so two hopeless new trials stop at
// their first report. Before, it started empty and let both finish.
TEST_F(CoordinatorTest, AResumedStudysPrunerKnowsTheEarlierTrials) {
  FakeExecutor good(&clock_, [](const LaunchRequest& r) { return Rising(r); });
  ASSERT_TRUE(RunStudy(MakeSpec(4, 1), good, "median").ok());
  FakeExecutor hopeless(&clock_, [](const LaunchRequest&) {
    Script s;
    s.values.assign(10, 0.0);
    return s;
  });
  ASSERT_TRUE(RunStudy(MakeSpec(6, 1), hopeless, "median").ok());
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 6u);
  // The first run's own rule may have stopped one of its four.
  const auto completed = std::count_if(trials.begin(), trials.begin() + 4,
                                       [](const TrialRecord& t) { return t.state == TrialState::kCompleted; });
  ASSERT_GE(completed, 2);
  for (int n : {4, 5}) {
    EXPECT_EQ(trials[n].state, TrialState::kStopped) << "trial " << n << ": " << trials[n].end_reason;
    EXPECT_EQ(trials[n].steps, 1) << trials[n].end_reason;
    EXPECT_NE(trials[n].end_reason.find("of " + std::to_string(completed) + " completed trials"), std::string::npos)
        << trials[n].end_reason;
  }
}

// Records what a rule hears, in order: "start 0", "0@2=0.5", "end 0 completed".
class Hears final : public Scheduler {
 public:
  void OnTrialStart(int64_t trial_id, const Params&) override { heard.push_back(fmt::format("start {}", trial_id)); }
  Decision OnReport(int64_t trial_id, int64_t step, double value) override {
    heard.push_back(fmt::format("{}@{}={:g}", trial_id, step, value));
    return Decision::Continue();
  }
  void OnTrialEnd(int64_t trial_id, TrialState state) override {
    heard.push_back(fmt::format("end {} {}", trial_id, TrialStateName(state)));
  }
  std::string Name() const override { return "hears"; }
  std::vector<std::string> heard;
};

// A resumed study's rule hears the earlier trials as it heard them live:
// interleaved in the order they happened (told one whole trial after
// another, a rung rule once judged each against the wrong field), and
// without the reports past max_steps, which live it never heard.
TEST_F(CoordinatorTest, AResumedRuleHearsTheEarlierTrialsAsItDidLive) {
  StudySpec spec = MakeSpec(5, 2);
  spec.max_steps = 4;
  spec.grace_s = 2;  // the programs report on past max_steps for a turn or two
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3 + r.number % 4); });
  Hears live;
  ASSERT_TRUE(RunWith(spec, exec, live).ok());
  ASSERT_EQ(Trials().size(), 5u);
  EXPECT_TRUE(std::none_of(live.heard.begin(), live.heard.end(),
                           [](const std::string& h) { return h.find("@5=") != std::string::npos; }));

  FakeExecutor none(&clock_, [](const LaunchRequest& r) { return Rising(r); });
  Hears resumed;
  ASSERT_TRUE(RunWith(spec, none, resumed).ok());
  EXPECT_TRUE(none.launched.empty()) << "the budget was spent";
  EXPECT_EQ(resumed.heard, live.heard);
}

TEST_F(CoordinatorTest, EachTrialRecordsEveryOptionOfTheStudysRuleInForce) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
  StudySpec spec = MakeSpec(2, 1);
  spec.pruner = "predictive";
  spec.pruner_options = {{"p_keep", 0.3}};
  ASSERT_TRUE(RunStudy(spec, exec).ok());
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 2u);
  nlohmann::json& settings = trials[1].attrs["search"]["pruner_settings"];
  EXPECT_EQ(settings["p_keep"], 0.3) << "as given";
  EXPECT_EQ(settings["p_min"], 0.1) << "the default in force";
  EXPECT_EQ(settings["rung_count"], "promoted");
}

// Another coordinator takes trials of the budget after this one last read
// the store: the store's atomic claim, not this coordinator's stale count,
// decides, so the study never runs more than its budget.
TEST_F(CoordinatorTest, TrialsAnotherCoordinatorClaimedAreNotRunAgain) {
  StudySpec spec = MakeSpec(3, 1);
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
  CoordinatorOptions options;
  options.refresh_interval_s = std::numeric_limits<double>::infinity();  // never re-reads the store
  auto coordinator = Coordinate(spec, exec, options);
  ASSERT_TRUE(coordinator);

  int64_t study = store_->GetStudy("fake")->id;
  for (int number = 0; number < 2; ++number) {
    TrialRecord other{.study_id = study, .number = number, .state = TrialState::kCompleted, .params = {{"x", 0.5}}};
    other.value = 0.4;
    other.owner = "another-host:1:1";
    ASSERT_TRUE(store_->CreateBudgetTrial(other, spec.trials).ok());
  }
  auto summary = coordinator->Run();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(exec.launched.size(), 1u) << "one trial of the budget of 3 was left";
  EXPECT_EQ(Trials().size(), 3u);
}

TEST_F(CoordinatorTest, RecordsCrashesAndNonFiniteValuesAsFailed) {
  int n = 0;
  FakeExecutor exec(&clock_, [&n](const LaunchRequest& r) {
    Script s = Rising(r, 4);
    if (n == 1) s.values[2] = std::nan("");
    if (n == 2) { s.end = ExitKind::kSignaled; s.signal = 11; }
    if (n == 3) s.exit_code = 3;
    ++n;
    return s;
  });
  auto summary = RunStudy(MakeSpec(4, 1), exec);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 4u);
  EXPECT_EQ(trials[0].state, TrialState::kCompleted);
  EXPECT_EQ(trials[1].state, TrialState::kFailed);
  EXPECT_NE(trials[1].end_reason.find("nan at step 3"), std::string::npos) << trials[1].end_reason;
  // The NaN is the value, at its own step (once "nan at step 2" in `show`).
  EXPECT_TRUE(std::isnan(trials[1].value.value_or(0)));
  EXPECT_EQ(trials[1].attrs.value("value_step", 0), 3);
  EXPECT_EQ(trials[1].steps, 3);
  EXPECT_EQ(trials[2].state, TrialState::kFailed);
  EXPECT_EQ(trials[2].signal, 11);
  EXPECT_EQ(trials[3].state, TrialState::kFailed);
  EXPECT_EQ(trials[3].exit_code, 3);
  EXPECT_EQ(summary->progress.failed, 3);
}

// The metric summary of a trial whose objective diverged keeps the inf
// (JSON has no inf: "inf") and counts it, so `query` can find the trial.
TEST_F(CoordinatorTest, TheSummaryOfADivergedMetricKeepsItsInfinity) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) {
    Script s = Rising(r, 4);
    s.values[2] = std::numeric_limits<double>::infinity();
    return s;
  });
  ASSERT_TRUE(RunStudy(MakeSpec(1, 1), exec).ok());
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kFailed);
  const nlohmann::json& m = trials[0].attrs["metrics"]["score"];
  EXPECT_EQ(m["max"], "inf") << m;
  EXPECT_EQ(m["nonfinite"], 1) << m;
  EXPECT_TRUE(m["min"].is_number()) << m;
  EXPECT_EQ(m["best"], "inf") << m;  // the objective is maximised
}

TEST_F(CoordinatorTest, MedianRuleStopsTrialsThatFallBehind) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 20); });
  auto summary = RunStudy(MakeSpec(20, 1), exec, "median");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  int stopped = 0;
  for (const auto& t : Trials()) {
    if (t.state != TrialState::kStopped) continue;
    ++stopped;
    EXPECT_LT(t.steps, 20);
    EXPECT_EQ(t.attrs["decision"]["rule"], "median");
    EXPECT_FALSE(t.end_reason.empty());
    // Why, also beside its logs, for a resume that must record it.
    auto record = study_internal::ReadStopRecord(t.attrs.value("trial_dir", ""), t.id);
    ASSERT_TRUE(record.has_value()) << "trial " << t.number;
    EXPECT_EQ(record->cause, study_internal::StopCause::kScheduler);
    EXPECT_EQ(record->decision["rule"], "median");
    EXPECT_EQ(record->step, t.steps);
  }
  EXPECT_GT(stopped, 0);
  EXPECT_EQ(static_cast<size_t>(stopped), exec.stopped.size());
}

// A program ahead of the stop: what it reports after the stop was asked for
// is kept as points and counted, the value stays the one the rule judged.
TEST_F(CoordinatorTest, ReportsAfterAStopAreKeptAndCounted) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  exec.stop_delay = 2;  // it goes on for two more steps after Stop()
  TrialRecord trial = RunOneTrial(exec, /*max_steps=*/4, /*grace_s=*/0);
  EXPECT_EQ(trial.steps, 4);
  EXPECT_EQ(trial.attrs["reports_after_stop"], 2) << trial.attrs.dump();
  auto points = store_->ReadMetrics({trial.id, std::string("score")});
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 6u);
}

// The median rule (after 2 completed trials) stops the third, poor trial at
// its first step; the program is `ahead` reports ahead of the signal.
class LateStopTest : public CoordinatorTest {
 protected:
  TrialRecord RunPoorThirdTrial(int ahead, std::optional<int64_t> max_steps) {
    int launched = 0;
    FakeExecutor exec(&clock_, [&](const LaunchRequest&) {
      Script s;
      double level = launched++ < 2 ? 1.0 : 0.1;
      for (int i = 1; i <= 5; ++i) s.values.push_back(level * i);
      return s;
    });
    exec.stop_delay = ahead;
    StudySpec spec = MakeSpec(3, 1);
    spec.max_steps = max_steps;
    spec.grace_s = 0;
    EXPECT_TRUE(RunStudy(spec, exec, "median").ok());
    auto trials = Trials();
    EXPECT_EQ(trials.size(), 3u);
    return trials.size() == 3 ? trials[2] : TrialRecord{};
  }
};

TEST_F(LateStopTest, AProgramThatFinishedBeforeTheStopIsCompleted) {
  TrialRecord t = RunPoorThirdTrial(/*ahead=*/10, /*max_steps=*/5);
  EXPECT_EQ(t.state, TrialState::kCompleted) << t.end_reason;
  EXPECT_EQ(t.steps, 5);
  EXPECT_DOUBLE_EQ(t.value.value_or(0), 0.5);
  EXPECT_NE(t.end_reason.find("before the stop took effect (median"), std::string::npos) << t.end_reason;
  EXPECT_EQ(t.attrs["decision"]["rule"], "median");  // what the rule asked stays on record
  EXPECT_FALSE(t.attrs.contains("reports_after_stop"));
}

TEST_F(LateStopTest, AProgramStoppedBeforeItsLastStepStaysStopped) {
  TrialRecord t = RunPoorThirdTrial(/*ahead=*/2, /*max_steps=*/5);
  EXPECT_EQ(t.state, TrialState::kStopped) << t.end_reason;
  EXPECT_EQ(t.steps, 1);
  EXPECT_DOUBLE_EQ(t.value.value_or(0), 0.1);
  EXPECT_EQ(t.attrs["decision"]["rule"], "median");
  EXPECT_EQ(t.attrs["reports_after_stop"], 2);
  EXPECT_EQ(t.attrs["value_step"], 1) << "the step the stop was decided at, not the late reports'";
}

TEST_F(LateStopTest, WithoutMaxStepsACleanExitAfterTheStopStaysStopped) {
  // It may as well have saved and quit on SIGTERM: nothing tells the two apart.
  TrialRecord t = RunPoorThirdTrial(/*ahead=*/10, std::nullopt);
  EXPECT_EQ(t.state, TrialState::kStopped) << t.end_reason;
  EXPECT_EQ(t.steps, 1);
  EXPECT_EQ(t.attrs["reports_after_stop"], 4);
}

// A cluster that cannot take jobs (controller down) must not burn the
// budget: the trial it refused is lost, nothing more starts, and running
// the study again runs it.
TEST_F(CoordinatorTest, AnUnavailableExecutorStopsLaunchesAndLosesNoBudget) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
  exec.refuse_launches = Unavailable("sbatch: Unable to contact slurm controller");
  std::vector<std::string> said;
  auto summary = RunStudy(MakeSpec(5, 2), exec, "none", nullptr, {}, [&](const std::string& m) { said.push_back(m); });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 1u) << "one refusal, then no more attempts";
  EXPECT_EQ(trials[0].state, TrialState::kLost);
  EXPECT_NE(trials[0].end_reason.find("not started: sbatch: Unable to contact"), std::string::npos);
  ASSERT_FALSE(said.empty());
  EXPECT_NE(said.back().find("cannot start trials"), std::string::npos) << said.back();
  exec.refuse_launches.reset();
  ASSERT_TRUE(RunStudy(MakeSpec(5, 2), exec).ok());
  int completed = 0;
  for (const auto& t : Trials()) completed += t.state == TrialState::kCompleted;
  EXPECT_EQ(completed, 5) << "the whole budget runs once the cluster is back";
}

// Another terminal's `status` follows a running trial: its steps and value
// reach the store while it runs, not only at its end.
TEST_F(CoordinatorTest, ARunningTrialsProgressReachesTheStore) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 20); });
  const double start = clock_.Now();
  std::optional<double> first_seen;  // when the store first showed steps of the running trial
  auto watch = [&](const StudyProgress&) {
    auto study = store_->GetStudy("fake");
    if (!study.ok() || first_seen) return;
    auto trials = store_->ListTrials(study->id);  // kept: a loop over *temporary would dangle
    if (!trials.ok()) return;
    for (const auto& t : *trials) {
      if (t.state == TrialState::kRunning && t.steps > 0) first_seen = clock_.Now() - start;
    }
  };
  ASSERT_TRUE(RunStudy(MakeSpec(1, 1), exec, "none", nullptr, watch).ok());
  ASSERT_TRUE(first_seen.has_value());
  EXPECT_LE(*first_seen, 4.0) << "one report a second, written every 2 s while it reports";
}

TEST_F(CoordinatorTest, MaxStepsEndsATrialAsCompletedAfterTheGracePeriod) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  StudySpec spec = MakeSpec(2, 1);
  spec.max_steps = 4;
  spec.grace_s = 2.5;  // the fake reports one step per simulated second
  ASSERT_TRUE(RunStudy(spec, exec).ok());
  for (const auto& t : Trials()) {
    EXPECT_EQ(t.state, TrialState::kCompleted);
    // Step 4 at t=4 sets the deadline t=6.5; the stop goes out before the
    // first poll after it, so steps 5 to 7 still arrive: they are kept as
    // metrics, but the trial's value and steps end at max_steps, so a fast
    // program gains nothing by training past the budget.
    EXPECT_EQ(t.steps, 4);
    EXPECT_DOUBLE_EQ(*t.value, Rising(LaunchRequest{.params = t.params}, 4).values[3]) << t.number;
    auto points = store_->ReadMetrics({t.id, std::string("score")});
    ASSERT_TRUE(points.ok());
    EXPECT_EQ(points->size(), 7u);
    EXPECT_NE(t.end_reason.find("max_steps"), std::string::npos);
    // The value's step, not the last point's (status and show read it).
    EXPECT_EQ(t.attrs["value_step"], 4) << t.attrs.dump();
  }
}

// A report for an earlier step (a program evaluating an old checkpoint
// again) is kept as a point, but the value stays that of the latest step.
TEST_F(CoordinatorTest, AReportForAnEarlierStepDoesNotReplaceTheValue) {
  FakeExecutor exec(&clock_, [](const LaunchRequest&) {
    Script s;
    s.values = {0.1, 0.2, 0.3, 0.9};
    s.steps = {1, 2, 3, 2};
    return s;
  });
  ASSERT_TRUE(RunStudy(MakeSpec(1, 1), exec).ok());
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].value, 0.3);
  EXPECT_EQ(trials[0].attrs["metrics"]["score"]["last"], 0.3);  // what `show` prints as LAST
  EXPECT_EQ(trials[0].steps, 3) << "steps trained, not reports read";
  // The summary's step range, which `stats` counts saved steps in.
  EXPECT_EQ(trials[0].attrs["metrics"]["score"]["first_step"], 1);
  EXPECT_EQ(trials[0].attrs["metrics"]["score"]["last_step"], 3);
  auto points = store_->ReadMetrics({trials[0].id, std::string("score")});
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 4u);
}

// A program that prints no step key: its n-th objective report is step n,
// past max_steps too (the reports after it were all stored at max_steps + 1).
TEST_F(CoordinatorTest, ReportsWithoutAStepKeyPastMaxStepsKeepCounting) {
  FakeExecutor exec(&clock_, [](const LaunchRequest&) {
    Script s;
    s.values = {0.1, 0.2, 0.3, 0.4, 0.5};
    s.no_step_key = true;
    return s;
  });
  TrialRecord trial = RunOneTrial(exec, /*max_steps=*/3, /*grace_s=*/10);
  EXPECT_DOUBLE_EQ(trial.value.value_or(0), 0.3);
  EXPECT_EQ(trial.attrs["value_step"], 3);
  auto points = store_->ReadMetrics({trial.id, std::string("score")});
  ASSERT_TRUE(points.ok());
  std::vector<int64_t> steps;
  for (const auto& p : *points) steps.push_back(p.step);
  EXPECT_EQ(steps, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST_F(CoordinatorTest, ATrialThatEndsAtMaxStepsIsNotStopped) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 4); });
  StudySpec spec = MakeSpec(2, 1);
  spec.max_steps = 4;
  ASSERT_TRUE(RunStudy(spec, exec).ok());
  EXPECT_TRUE(exec.stopped.empty());
  for (const auto& t : Trials()) {
    EXPECT_EQ(t.state, TrialState::kCompleted);
    EXPECT_EQ(t.end_reason, "exit 0");
  }
}

// Two coordinators of one study with one seed draw the same parameters for
// the same number. When another takes the number this one was about to
// claim, this one must draw again for the next number, not run the lost
// number's parameters under the next one (they would be run twice).
TEST_F(CoordinatorTest, ATrialNumberLostToAnotherCoordinatorIsDrawnAfresh) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
  StudySpec spec = MakeSpec(3, 1);
  auto twin = MakeSampler("random", spec.space, spec.direction, 7);  // the other coordinator's
  ASSERT_TRUE(twin.ok());
  CoordinatorOptions options;
  options.refresh_interval_s = std::numeric_limits<double>::infinity();  // it learns of the other only by the claim
  auto coordinator = Coordinate(spec, exec, options);
  ASSERT_TRUE(coordinator);

  // The other coordinator claims number 0 first, with what it drew for 0.
  auto study = store_->GetStudy("fake");
  ASSERT_TRUE(study.ok());
  TrialRecord other;
  other.study_id = study->id;
  other.number = 0;
  other.params = (*twin)->Ask(0);
  other.state = TrialState::kCompleted;
  other.value = 0.5;
  other.owner = "the-other-coordinator";
  ASSERT_TRUE(store_->CreateBudgetTrial(other, spec.trials).ok());

  ASSERT_TRUE(coordinator->Run().ok());
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 3u);
  std::set<double> xs;
  for (const auto& t : trials) {
    EXPECT_EQ(t.params, (*twin)->Ask(t.number)) << "trial " << t.number << " runs what was drawn for its number";
    xs.insert(*ParamValueAsDouble(t.params.at("x")));
  }
  EXPECT_EQ(xs.size(), 3u) << "no parameters run twice";
}

// The summary speaks for the whole study: a trial another coordinator ended
// after this one last read the store counts, and can be the best.
TEST_F(CoordinatorTest, TheSummaryCountsWhatAnotherCoordinatorEnded) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
  StudySpec spec = MakeSpec(3, 2);
  CoordinatorOptions options;
  TrialRecord other;  // trial 0, run by a coordinator on another machine
  options.on_progress = [&](const StudyProgress&) {
    if (other.id == 0 || other.state == TrialState::kCompleted) return;
    other.state = TrialState::kCompleted;  // it ends while this one runs its two
    other.value = 5.0;
    other.ended_at = clock_.WallTime();
    ASSERT_TRUE(store_->UpdateTrial(other).ok());
  };
  options.progress_interval_s = 0;
  // It re-reads the store only when it claims a trial: the other's end
  // comes after its last read.
  options.refresh_interval_s = std::numeric_limits<double>::infinity();
  auto coordinator = Coordinate(spec, exec, options);
  ASSERT_TRUE(coordinator);
  auto study = store_->GetStudy("fake");
  ASSERT_TRUE(study.ok());
  other.study_id = study->id;
  other.number = 0;
  other.params = {{"x", 0.5}};
  other.state = TrialState::kRunning;
  other.owner = "another-host:1:1";
  other.heartbeat_at = clock_.WallTime();
  auto id = store_->CreateBudgetTrial(other, spec.trials);
  ASSERT_TRUE(id.ok());
  other.id = *id;

  auto summary = coordinator->Run();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->progress.completed, 3);
  EXPECT_EQ(summary->progress.best, 5.0);
  EXPECT_EQ(summary->progress.best_trial, 0);
}

// A grid of two points with a budget of five runs two trials, and says so:
// the other three would repeat them.
TEST_F(CoordinatorTest, AGridStopsAfterOnePass) {
  FakeExecutor exec(&clock_, [](const LaunchRequest&) { return Script{.values = {0.5}}; });
  StudySpec spec = MakeSpec(5, 2);
  spec.space.params = {{.name = "d", .kind = ParamKind::kCategorical, .choices = {int64_t{1}, int64_t{2}}}};
  spec.command = {"train", "--d", "{d}"};
  CoordinatorOptions options;
  std::vector<std::string> messages;
  options.on_message = [&](const std::string& m) { messages.push_back(m); };
  auto coordinator = Coordinate(spec, exec, options, "grid");
  ASSERT_TRUE(coordinator);
  auto summary = coordinator->Run();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->progress.completed, 2);
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_NE(trials[0].params, trials[1].params);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "the grid sampler has 2 parameter sets: the study runs 2 trials, not budget.trials 5");
}

// Equal values: the lower number is the best, as everywhere else.
TEST_F(CoordinatorTest, ATieForTheBestGoesToTheLowerNumber) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) {
    Script s;
    s.values.assign(r.number == 0 ? 3 : 1, 0.7);  // trial 1 ends first
    return s;
  });
  auto summary = RunStudy(MakeSpec(2, 2), exec);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->progress.best_trial, 0);
}

TEST_F(CoordinatorTest, RetriesFailedTrialsWithTheSameParameters) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) {
    Script s = Rising(r, 2);
    s.exit_code = 1;
    return s;
  });
  StudySpec spec = MakeSpec(1, 1);
  spec.max_retries = 2;
  ASSERT_TRUE(RunStudy(spec, exec).ok());
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[1].attrs["retry_of"], 0);
  EXPECT_EQ(trials[2].attrs["retry"], 2);
  EXPECT_EQ(trials[2].params, trials[0].params);
  // The same trial again: the same seed (CAIRN_SEED, {seed}).
  EXPECT_EQ(trials[1].attrs["seed"], trials[0].attrs["seed"]);
  EXPECT_EQ(trials[2].attrs["seed"], trials[0].attrs["seed"]);
}

// A retry of a re-run, and a re-run of a re-run, repeat the first trial:
// they get its seed, not one derived from the trial they directly repeat.
TEST_F(CoordinatorTest, RepeatsOfRepeatsKeepTheFirstTrialsSeed) {
  FakeExecutor first(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  StudySpec spec = MakeSpec(1, 1);
  spec.seed = 7;
  spec.max_retries = 1;
  ASSERT_TRUE(RunUntil(spec, first, 2).ok());
  FakeExecutor second(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  ASSERT_TRUE(RunUntil(spec, second, 2).ok());
  FakeExecutor failing(&clock_, [](const LaunchRequest& r) { return FailsAfter(r, 2); });
  ASSERT_TRUE(RunStudy(spec, failing).ok());
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 4u);  // 0 interrupted, 1 re-runs 0 (interrupted), 2 re-runs 1 (fails), 3 retries 2
  EXPECT_EQ(trials[1].attrs["rerun_of"], 0);
  EXPECT_EQ(trials[2].attrs["rerun_of"], 1);
  EXPECT_EQ(trials[3].attrs["retry_of"], 2);
  for (const auto& t : trials) EXPECT_EQ(t.attrs["seed"], trials[0].attrs["seed"]) << "trial " << t.number;
}

// A retry interrupted while it ran is re-run as that retry: the count of
// retries holds through interrupts (a re-run once started the count again,
// so each interrupt bought another max_retries runs).
TEST_F(CoordinatorTest, ARetryInterruptedIsReRunAsTheSameRetry) {
  StudySpec spec = MakeSpec(1, 1);
  spec.max_retries = 2;
  // Trial 0 fails at once; its retry (trial 1) runs long and is interrupted.
  FakeExecutor first(&clock_, [](const LaunchRequest& r) { return FailsAfter(r, r.number == 0 ? 1 : 10); });
  ASSERT_TRUE(RunUntil(spec, first, 4).ok());
  FakeExecutor failing(&clock_, [](const LaunchRequest& r) { return FailsAfter(r, 2); });
  ASSERT_TRUE(RunStudy(spec, failing).ok());
  auto trials = Trials();
  // 0 fails, 1 (retry 1 of 0) interrupted, 2 re-runs 1 and fails, 3 is retry 2 of 0; no more.
  ASSERT_EQ(trials.size(), 4u);
  EXPECT_EQ(trials[1].state, TrialState::kInterrupted);
  EXPECT_EQ(trials[2].attrs["rerun_of"], 1);
  EXPECT_EQ(trials[2].attrs["retry_of"], 0);
  EXPECT_EQ(trials[2].attrs["retry"], 1);
  EXPECT_EQ(trials[3].attrs["retry_of"], 0);
  EXPECT_EQ(trials[3].attrs["retry"], 2);
  EXPECT_FALSE(trials[3].attrs.contains("rerun_of"));
}

// A running trial's record pairs its value with that value's step: the
// stored points run ahead of the value, and `status` once showed the value
// of one step beside a later step (and kept it so after a kill -9).
TEST_F(CoordinatorTest, ARunningTrialsValueGoesWithItsStep) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 20); });
  int checked = 0;
  ASSERT_TRUE(RunStudy(MakeSpec(1, 1), exec, "none", nullptr, [&](const StudyProgress& p) {
                if (p.running == 0 || p.elapsed_s < 5) return;
                auto study = store_->GetStudy("fake");
                auto trials = store_->ListTrials(study->id);
                if (!trials.ok() || trials->empty() || !(*trials)[0].value) return;
                const TrialRecord& t = (*trials)[0];
                const int64_t step = t.attrs.value("value_step", int64_t{0});
                ASSERT_GT(step, 0) << t.attrs.dump();
                EXPECT_EQ(step, t.steps);
                EXPECT_DOUBLE_EQ(*t.value, *ParamValueAsDouble(t.params.at("x")) * (1.0 - std::exp(-0.3 * step)));
                ++checked;
              }).ok());
  EXPECT_GT(checked, 0);
}

TEST_F(CoordinatorTest, InterruptedStudyResumesAndRerunsInterruptedTrials) {
  std::atomic<bool> interrupt{false};
  FakeExecutor first(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  auto summary = RunStudy(MakeSpec(6, 2), first, "none", &interrupt, [&](const StudyProgress& p) {
    if (p.elapsed_s >= 15) interrupt = true;  // mid-way through the second pair
  });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(summary->interrupted);
  auto trials = Trials();
  int interrupted = 0;
  for (const auto& t : trials) interrupted += t.state == TrialState::kInterrupted;
  EXPECT_GT(interrupted, 0);

  FakeExecutor second(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  auto resumed = RunStudy(MakeSpec(6, 2), second);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  int completed = 0, reruns = 0;
  for (const auto& t : Trials()) {
    completed += t.state == TrialState::kCompleted;
    reruns += t.attrs.contains("rerun_of");
  }
  EXPECT_EQ(completed, 6);
  EXPECT_EQ(reruns, interrupted);
}

// A resume interrupted before it started the re-runs it queued leaves them
// to the next resume: the interrupted trials are not marked as re-run.
TEST_F(CoordinatorTest, AResumeInterruptedBeforeItsRerunsLeavesThemToTheNext) {
  std::atomic<bool> interrupt{false};
  FakeExecutor first(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  auto summary = RunStudy(MakeSpec(3, 3), first, "none", &interrupt, [&](const StudyProgress& p) {
    if (p.elapsed_s >= 2) interrupt = true;
  });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  int interrupted = 0;
  for (const auto& t : Trials()) interrupted += t.state == TrialState::kInterrupted;
  ASSERT_EQ(interrupted, 3);

  std::atomic<bool> at_once{true};  // Ctrl-C before the resume launched anything
  FakeExecutor second(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  ASSERT_TRUE(RunStudy(MakeSpec(3, 1), second, "none", &at_once).ok());
  for (const auto& t : Trials()) EXPECT_FALSE(t.attrs.value("rerun", false)) << "trial " << t.number;

  FakeExecutor third(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  ASSERT_TRUE(RunStudy(MakeSpec(3, 3), third).ok());
  int completed = 0;
  for (const auto& t : Trials()) completed += t.state == TrialState::kCompleted;
  EXPECT_EQ(completed, 3);
}

// The store as a coordinator on another host leaves it when it is killed
// mid-trial: trial 0 running, its heartbeat long silent, steps 1..4 stored.
int64_t LeaveRunningTrial(Store& store, const StudySpec& spec, double now_wall, const nlohmann::json& executor) {
  StudyRecord study;
  study.name = spec.name;
  study.objective = spec.metric;
  study.direction = spec.direction;
  study.created_at = now_wall - 3600;
  auto study_id = store.CreateStudy(study);
  EXPECT_TRUE(study_id.ok()) << study_id.status().ToString();
  TrialRecord trial;
  trial.study_id = *study_id;
  trial.params = {{"x", 0.9}};
  trial.state = TrialState::kRunning;
  trial.created_at = now_wall - 3600;
  trial.owner = "a-host-that-died:4242:1";
  trial.heartbeat_at = now_wall - 600;
  trial.attrs = {{"argv", {"train", "--x", "0.9"}}, {"trial_dir", "/tmp/none"}, {"executor", executor}};
  auto id = store.CreateTrial(trial);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  std::vector<MetricPoint> points;
  for (int step = 1; step <= 4; ++step) points.push_back({*id, spec.metric, step, 0.1 * step, now_wall - 700});
  EXPECT_TRUE(store.AppendMetrics(points).ok());
  return *id;
}

Script TenSteps() {
  Script s;
  for (int i = 1; i <= 10; ++i) s.values.push_back(0.1 * i);
  return s;
}

// Another host's coordinator shares the study; this one is held up for 90 s
// (its store did not answer). Over those 90 s the other's heartbeat went
// silent too, for the same reason: it is not taken for gone until it has
// been silent for a whole timeout after this coordinator hears the store
// again, so its running trial is not re-run twice over.
TEST_F(CoordinatorTest, AStallDoesNotMakeAnotherCoordinatorsTrialsLookLost) {
  StudySpec spec = MakeSpec(3, 1);
  int64_t other = LeaveRunningTrial(*store_, spec, clock_.WallTime(), nlohmann::json::object());
  TrialRecord fresh = *store_->GetTrial(other);
  fresh.heartbeat_at = clock_.WallTime();  // alive when this coordinator starts
  ASSERT_TRUE(store_->UpdateTrial(fresh).ok());
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  exec.extra_turn_s[3] = 90;  // held up for 90 s in its fourth turn
  auto summary = RunStudy(spec, exec);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].state, TrialState::kRunning) << trials[0].end_reason;
  for (const auto& t : trials) EXPECT_FALSE(t.attrs.contains("rerun_of")) << "trial " << t.number;
}

// Reports the executor read while the coordinator was held up by its
// store carry when they were read, not when the coordinator got to them:
// a 90 s outage once put every point read during it 90 s late.
TEST_F(CoordinatorTest, AReportReadDuringAStallKeepsItsTime) {
  StudySpec spec = MakeSpec(1, 1);
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 10); });
  exec.extra_turn_s[3] = 90;  // held up for 90 s in its fourth turn...
  exec.read_early_s[3] = 90;  // ...after the executor had read its report
  auto summary = RunStudy(spec, exec);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 1u);
  auto points = store_->ReadMetrics({trials[0].id, "score"});
  ASSERT_TRUE(points.ok());
  ASSERT_EQ(points->size(), 10u);
  EXPECT_NEAR((*points)[3].time - (*points)[2].time, 1.0, 1e-6) << "read a turn after step 3";
  EXPECT_NEAR((*points)[4].time - (*points)[3].time, 91.0, 1e-6) << "the stall comes after it";
}

// A predictive study of a few dozen trials is told, once, that the rule
// needs completed trials to predict and the median rule suits it better.
TEST_F(CoordinatorTest, APredictiveStudyOfFewTrialsIsToldTheMedianRuleSuitsIt) {
  for (int trials : {12, 60}) {
    for (const std::string pruner : {"predictive", "median"}) {
      StudySpec spec = MakeSpec(trials, 4);
      spec.name = fmt::format("{}{}", pruner, trials);
      FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
      std::vector<std::string> messages;
      auto summary = RunStudy(spec, exec, pruner, nullptr, {}, [&](const std::string& m) { messages.push_back(m); });
      ASSERT_TRUE(summary.ok()) << summary.status().ToString();
      const auto told = std::count_if(messages.begin(), messages.end(), [](const std::string& m) {
        return m.find("pruner predictive learns when to stop") != std::string::npos;
      });
      EXPECT_EQ(told, pruner == "predictive" && trials < 50 ? 1 : 0) << pruner << " " << trials;
      if (told > 0) {
        EXPECT_NE(std::find_if(messages.begin(), messages.end(),
                               [](const std::string& m) { return m.find("with 12 trials few will complete") !=
                                                                 std::string::npos; }),
                  messages.end());
      }
    }
  }
}

TEST_F(CoordinatorTest, ResumeReattachesATrialItsExecutorStillRuns) {
  StudySpec spec = MakeSpec(1, 1);
  int64_t id = LeaveRunningTrial(*store_, spec, clock_.WallTime(), {{"fake_job", "job-7"}});
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r); });
  exec.survivors["job-7"] = TenSteps();

  auto summary = RunStudy(spec, exec);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(exec.reattached, std::vector<int64_t>{id});
  EXPECT_TRUE(exec.launched.empty()) << "the budget's one trial was still running: nothing to launch";
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kCompleted) << trials[0].end_reason;
  EXPECT_EQ(trials[0].attrs.value("reattached", 0), 1);
  EXPECT_EQ(trials[0].steps, 10);
  // The job's log is read from its start again: every step is stored once.
  auto points = store_->ReadMetrics({id, "score"});
  ASSERT_TRUE(points.ok());
  ASSERT_EQ(points->size(), 10u);
  for (size_t i = 0; i < points->size(); ++i) EXPECT_EQ((*points)[i].step, static_cast<int64_t>(i + 1));
}

TEST_F(CoordinatorTest, ResumeRerunsATrialItsExecutorNoLongerHas) {
  StudySpec spec = MakeSpec(1, 1);
  const double left_at = clock_.WallTime();
  LeaveRunningTrial(*store_, spec, left_at, {{"fake_job", "gone"}});
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r); });

  auto summary = RunStudy(spec, exec);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(exec.reattached.empty());
  auto trials = Trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].state, TrialState::kLost);
  // Its end is its last sign of life (the heartbeat 600 s before), not the
  // resume: the time between would count as its run time.
  ASSERT_TRUE(trials[0].ended_at.has_value());
  EXPECT_DOUBLE_EQ(*trials[0].ended_at, left_at - 600);
  EXPECT_NE(trials[0].attrs.value("reattach_error", ""), "");
  EXPECT_EQ(trials[1].attrs.value("rerun_of", -1), 0);
  EXPECT_EQ(trials[1].state, TrialState::kCompleted);
  EXPECT_EQ(trials[1].attrs["seed"], spec.seed * 1000003ULL) << "trial 0's seed";
}

// How trial 0 of LeaveEndedTrial ended: its log, its executor's exit
// record, the coordinator's stop record if it asked it to stop, and attrs
// it was launched with.
struct LeftEnd {
  std::string log;
  ExitEvent exit;
  std::optional<study_internal::StopRecord> stop;
  nlohmann::json attrs = nlohmann::json::object();
};

// Trial 0 as LeaveRunningTrial leaves it, with a trial dir that holds `end`.
int64_t LeaveEndedTrial(Store& store, const StudySpec& spec, double now_wall, const std::filesystem::path& dir,
                        LeftEnd end) {
  int64_t id = LeaveRunningTrial(store, spec, now_wall, nlohmann::json::object());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "stdout.log") << end.log;
  end.exit.trial_id = id;
  EXPECT_TRUE(WriteExitRecord(dir, end.exit).ok());
  if (end.stop) study_internal::WriteStopRecord(dir, id, *end.stop);
  TrialRecord trial = *store.GetTrial(id);
  trial.attrs["trial_dir"] = dir.string();
  trial.attrs.update(end.attrs);
  EXPECT_TRUE(store.UpdateTrial(trial).ok());
  return id;
}

// Resumes a study whose trial 0 ended unrecorded (LeaveEndedTrial).
class RecoveredEndTest : public CoordinatorTest {
 protected:
  // A fresh store `name`.db where trial 0 of `spec` printed `log` and ended
  // as `exit` says, then a run of `spec` on it: the trials it leaves.
  std::vector<TrialRecord> Resume(const StudySpec& spec, const std::string& name, LeftEnd end) {
    store_.reset();
    auto fresh = OpenStore("sqlite://" + (dir_ / (name + ".db")).string());
    EXPECT_TRUE(fresh.ok()) << fresh.status().ToString();
    if (!fresh.ok()) return {};
    store_ = std::move(*fresh);
    LeaveEndedTrial(*store_, spec, clock_.WallTime(), dir_ / name, std::move(end));
    FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r); });
    auto summary = RunStudy(spec, exec);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    launched_ = exec.launched.size();
    return Trials();
  }
  size_t launched_ = 0;
};

// Its coordinator gave up on the store (or was killed) after the program
// finished: the resume records the end from the executor's exit record and
// the log, and does not run the finished model again.
TEST_F(RecoveredEndTest, ATrialThatEndedUnrecordedIsRecordedNotRerun) {
  const double ended = clock_.WallTime() - 300;
  std::string log;
  for (int step = 1; step <= 10; ++step) log += fmt::format("epoch={} score=0.{}\n", step, step - 1);
  auto trials = Resume(MakeSpec(1, 1), "left",
                       {.log = log, .exit = {.kind = ExitKind::kExited, .exit_code = 0, .message = "exit 0", .time = ended}});
  EXPECT_EQ(launched_, 0u) << "the budget's one trial had finished";
  ASSERT_EQ(trials.size(), 1u);
  const TrialRecord& t = trials[0];
  EXPECT_EQ(t.state, TrialState::kCompleted) << t.end_reason;
  EXPECT_NE(t.end_reason.find("exit record"), std::string::npos) << t.end_reason;
  EXPECT_EQ(t.steps, 10);
  EXPECT_DOUBLE_EQ(t.value.value_or(-1), 0.9);
  EXPECT_EQ(t.exit_code, 0);
  ASSERT_TRUE(t.ended_at.has_value());
  EXPECT_DOUBLE_EQ(*t.ended_at, ended);
  EXPECT_EQ(t.attrs["metrics"]["score"]["steps"], 10);
  EXPECT_EQ(t.attrs["value_step"], 10);
}

// A crash recorded on resume is a failure, and gets the study's retries;
// one Cairn stopped (why died with the coordinator) is lost and run again.
TEST_F(RecoveredEndTest, ACrashIsRetriedAndAStopRerun) {
  StudySpec spec = MakeSpec(1, 1);
  spec.max_retries = 1;
  auto trials =
      Resume(spec, "crashed",
             {.log = "epoch=1 score=0.1\n",
              .exit = {.kind = ExitKind::kSignaled, .signal = 11, .message = "killed by SIGSEGV", .time = 1e300}});
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].state, TrialState::kFailed);
  EXPECT_NE(trials[0].end_reason.find("killed by SIGSEGV"), std::string::npos) << trials[0].end_reason;
  EXPECT_LE(trials[0].ended_at.value_or(1e301), clock_.WallTime()) << "a record's time is not past now";
  EXPECT_EQ(trials[1].attrs.value("retry_of", -1), 0);
  EXPECT_EQ(trials[1].state, TrialState::kCompleted);

  // Stopped without a stop record, or by an interrupt: lost, and run again.
  const ExitEvent stopped{.kind = ExitKind::kStopped, .signal = 15, .message = "stopped", .time = 1};
  for (const std::optional<study_internal::StopRecord>& stop :
       {std::optional<study_internal::StopRecord>(),
        std::optional<study_internal::StopRecord>({.cause = study_internal::StopCause::kInterrupt})}) {
    trials = Resume(MakeSpec(1, 1), stop ? "interrupted" : "stopped",
                    {.log = "epoch=1 score=0.1\n", .exit = stopped, .stop = stop});
    ASSERT_EQ(trials.size(), 2u);
    EXPECT_EQ(trials[0].state, TrialState::kLost);
    EXPECT_EQ(trials[1].attrs.value("rerun_of", -1), 0);
  }
}

// Stopped by a rule, or at a NaN, while its coordinator could not record it:
// the stop record says why, and it is recorded as live, not run again.
TEST_F(RecoveredEndTest, AStopWithItsRecordIsRecordedAsLive) {
  const ExitEvent stopped{.kind = ExitKind::kStopped, .signal = 15, .message = "stopped", .time = 1};
  const std::string log = "epoch=1 score=0.1\nepoch=2 score=0.2\nepoch=3 score=0.3\n";
  auto trials = Resume(MakeSpec(1, 1), "pruned",
                       {.log = log,
                        .exit = stopped,
                        .stop = study_internal::StopRecord{.cause = study_internal::StopCause::kScheduler,
                                                           .detail = "median: worse than the median",
                                                           .step = 2,
                                                           .decision = {{"rule", "median"}, {"action", "stop"}}}});
  EXPECT_EQ(launched_, 0u);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kStopped) << trials[0].end_reason;
  EXPECT_NE(trials[0].end_reason.find("median: worse than the median"), std::string::npos);
  EXPECT_DOUBLE_EQ(trials[0].value.value_or(-1), 0.2) << "the value the stop was decided on";
  EXPECT_EQ(trials[0].attrs["decision"]["rule"], "median");

  trials = Resume(MakeSpec(1, 1), "nonfinite",
                  {.log = "epoch=1 score=0.1\nepoch=2 score=nan\n",
                   .exit = stopped,
                   .stop = study_internal::StopRecord{.cause = study_internal::StopCause::kNonFinite,
                                                      .detail = "objective score reported nan at step 2",
                                                      .step = 1}});
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kFailed);
  EXPECT_NE(trials[0].end_reason.find("reported nan at step 2"), std::string::npos) << trials[0].end_reason;
}

// No end on record (the coordinator gave up and killed it), but its log
// reached a NaN objective: live it was failed there, so it is not re-run.
TEST_F(RecoveredEndTest, ANanInTheLogFailsATrialWithoutAnEndOnRecord) {
  auto trials = Resume(MakeSpec(1, 1), "nan-unrecorded",
                       {.log = "epoch=5 score=nan\n", .exit = {.kind = ExitKind::kLost, .message = "none", .time = 1}});
  EXPECT_EQ(launched_, 0u);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kFailed) << trials[0].end_reason;
  EXPECT_NE(trials[0].end_reason.find("objective score reported nan at step 5"), std::string::npos)
      << trials[0].end_reason;
  EXPECT_NE(trials[0].end_reason.find("read on resume from its log"), std::string::npos) << trials[0].end_reason;
  EXPECT_EQ(trials[0].attrs.value("value_step", 0), 5) << "the NaN's step, as live";
}

// Past max_steps, and a NaN: the end is counted as the coordinator counts it live.
TEST_F(RecoveredEndTest, TheObjectiveIsCountedAsLive) {
  const ExitEvent exit0{.kind = ExitKind::kExited, .exit_code = 0, .message = "exit 0", .time = 1};
  StudySpec spec = MakeSpec(1, 1);
  spec.max_steps = 3;
  const std::string log = "epoch=1 score=0.1\nepoch=2 score=0.2\nepoch=3 score=0.3\nepoch=4 score=0.9\n";
  auto trials = Resume(spec, "past", {.log = log, .exit = exit0});
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kCompleted);
  EXPECT_DOUBLE_EQ(trials[0].value.value_or(-1), 0.3) << "its value at max_steps";
  EXPECT_EQ(trials[0].steps, 3);

  // The study file's max_steps changed since it ran: it counts to its own.
  StudySpec longer = MakeSpec(1, 1);
  longer.max_steps = 10;
  trials = Resume(longer, "was-shorter", {.log = log, .exit = exit0, .attrs = {{"max_steps", 3}}});
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_DOUBLE_EQ(trials[0].value.value_or(-1), 0.3) << "its value at the max_steps it ran under";

  trials = Resume(MakeSpec(1, 1), "nan",
                  {.log = "epoch=1 score=0.1\nepoch=2 score=0.2\nepoch=5 score=nan\nepoch=6 score=0.3\n", .exit = exit0});
  ASSERT_GE(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kFailed);
  EXPECT_NE(trials[0].end_reason.find("objective score reported nan at step 5"), std::string::npos)
      << trials[0].end_reason;
}

TEST_F(CoordinatorTest, StoresWhereATrialRunsAsSoonAsItStarts) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 3); });
  exec.describe_jobs = true;
  int running_seen = 0;
  auto summary = RunStudy(MakeSpec(2, 2), exec, "none", nullptr, [&](const StudyProgress&) {
    for (const auto& t : Trials()) {
      if (t.state != TrialState::kRunning) continue;
      ++running_seen;
      EXPECT_EQ(t.attrs["executor"]["fake_job"], std::to_string(t.id));
    }
  });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_GT(running_seen, 0);
}

TEST_F(CoordinatorTest, StoresWhereATrialRunsWhenTheExecutorLearnsItLater) {
  FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r, 6); });
  exec.describe_jobs = true;
  std::set<int64_t> renamed, seen_renamed;
  auto summary = RunStudy(MakeSpec(2, 2), exec, "none", nullptr, [&](const StudyProgress&) {
    for (const auto& t : Trials()) {
      if (t.state != TrialState::kRunning) continue;
      if (renamed.insert(t.id).second) {
        exec.job_names[t.id] = "pack-" + std::to_string(t.id);  // the pack went out
      } else if (t.attrs["executor"]["fake_job"] == "pack-" + std::to_string(t.id)) {
        seen_renamed.insert(t.id);
      }
    }
  });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(seen_renamed, renamed) << "every running trial's new job id reached the store while it ran";
  EXPECT_FALSE(renamed.empty());
}

// A parameter named "seed" is the recorded seed when it is one; a value no
// seed can be (negative, fractional, past 2^64) keeps the study's own
// instead of converting it (undefined behaviour, caught by UBSan).
TEST_F(CoordinatorTest, ASeedParameterIsTheSeedOnlyWhenItCanBeOne) {
  const std::vector<std::pair<double, std::optional<uint64_t>>> cases = {
      {7.0, 7u}, {-3.0, std::nullopt}, {2.5, std::nullopt}, {1e30, std::nullopt}};
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [value, expected] = cases[i];
    StudySpec spec = MakeSpec(1, 1);
    spec.name = fmt::format("seeded{}", i);
    spec.space.params.push_back({.name = "seed", .kind = ParamKind::kCategorical, .choices = {ParamValue(value)}});
    FakeExecutor exec(&clock_, [](const LaunchRequest& r) { return Rising(r); });
    auto summary = RunStudy(spec, exec);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    auto study = store_->GetStudy(spec.name);
    ASSERT_TRUE(study.ok());
    auto trials = store_->ListTrials(study->id);
    ASSERT_TRUE(trials.ok());
    ASSERT_EQ(trials->size(), 1u);
    const auto& attrs = (*trials)[0].attrs;
    EXPECT_EQ(attrs.value("seed", uint64_t{0}), expected.value_or(spec.seed * 1000003ULL)) << "seed param " << value;
  }
}

}  // namespace
}  // namespace cairn
