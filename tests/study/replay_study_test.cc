#include "cairn/replay_study.h"

#include "cairn/bench_schedulers.h"
#include "cairn/curves_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>

#include "support/paths.h"

namespace cairn {
namespace {

// Twelve rising curves of 20 steps; curve i tends to (i + 1) / 12, so the
// last is the winner. One second per step.
std::vector<CurveRecord> Curves() {
  std::vector<CurveRecord> curves;
  for (int i = 0; i < 12; ++i) {
    CurveRecord c;
    c.id = "test/rising/" + std::to_string(i);
    c.params = {{"i", int64_t{i}}};
    c.metric = "acc";
    c.direction = Direction::kMaximize;
    for (int s = 1; s <= 20; ++s) c.values.push_back((i + 1) / 12.0 * (1 - std::exp(-0.3 * s)));
    c.seconds.assign(20, 1.0);
    curves.push_back(c);
  }
  // Shuffle so good and bad trials alternate (a fixed permutation).
  std::vector<CurveRecord> order;
  for (int k : {3, 11, 0, 7, 5, 1, 9, 2, 10, 4, 8, 6}) order.push_back(curves[k]);
  return order;
}

TEST(ReplayStudyTest, WithoutAPrunerEverythingRunsAndTheWinnerIsKept) {
  auto r = ReplayCurves(Curves(), {.pruner = "none", .workers = 2});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["steps_full"], 240);
  EXPECT_EQ((*r)["steps_used"], 240);
  EXPECT_DOUBLE_EQ((*r)["saved_fraction"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ((*r)["seconds_used"].get<double>(), 240.0);
  EXPECT_FALSE((*r)["lost_winner"].get<bool>());
  EXPECT_EQ((*r)["best_all"]["number"], 1) << "curve 11 is second in the order";
  EXPECT_EQ((*r)["best_all"]["id"], "test/rising/11") << "the file's own name for it";
}

// --list: every trial's fate, and the steps add up to the total.
TEST(ReplayStudyTest, ListsHowFarEveryTrialRanAndWhy) {
  auto r = ReplayCurves(Curves(), {.pruner = "median", .workers = 1, .list_trials = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const nlohmann::json& each = (*r)["each"];
  ASSERT_EQ(each.size(), 12u);
  int64_t steps = 0;
  int stopped = 0;
  for (size_t i = 0; i < each.size(); ++i) {
    const nlohmann::json& t = each[i];
    EXPECT_EQ(t["number"], static_cast<int>(i));
    steps += t["step"].get<int64_t>();
    if (t["state"] == "stopped") {
      ++stopped;
      EXPECT_LT(t["step"].get<int64_t>(), 20);
      EXPECT_NE(t["reason"].get<std::string>().find("median"), std::string::npos) << t["reason"];
    } else {
      EXPECT_EQ(t["state"], "completed");
      EXPECT_EQ(t["step"], 20);
    }
  }
  EXPECT_EQ(steps, (*r)["steps_used"].get<int64_t>());
  EXPECT_EQ(stopped, (*r)["stopped"].get<int>());
  EXPECT_GT(stopped, 0);
  // The recorded final: curve 11 (second in the order) tends to 12 / 12.
  EXPECT_EQ(each[1]["id"], "test/rising/11");
  EXPECT_NEAR(each[1]["final"].get<double>(), 1 - std::exp(-6.0), 1e-12);
  EXPECT_FALSE(ReplayCurves(Curves(), {.pruner = "median", .workers = 1})->contains("each"));
  // A curve the record cut short has no final to show.
  auto curves = Curves();
  curves[1].extra["state"] = "stopped";
  curves[1].values.resize(6);
  curves[1].seconds.resize(6);
  auto cut = ReplayCurves(curves, {.pruner = "none", .workers = 1, .list_trials = true});
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_TRUE((*cut)["each"][1]["final"].is_null()) << (*cut)["each"][1];
  EXPECT_EQ((*cut)["each"][1]["step"], 6);
  // Nothing stopped it in the replay and it did not fail: the record ended
  // (it used to read "failed" under the rules that let it run on).
  for (const char* pruner : {"none", "hyperband"}) {
    auto r = ReplayCurves(curves, {.pruner = pruner, .workers = 1, .list_trials = true});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)["each"][1]["state"], "cut short") << pruner << " " << (*r)["each"][1];
  }
  EXPECT_TRUE((*cut)["each"][0]["final"].is_number());
  // A rule's stop on the last value a cut-short record holds saved nothing:
  // the listing says "cut short" there, and "stopped" rows are the ones the
  // summary counts.
  for (const char* pruner : {"median", "asha", "predictive"}) {
    auto r = ReplayCurves(curves, {.pruner = pruner, .workers = 1, .list_trials = true});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    int stopped_rows = 0;
    for (const auto& t : (*r)["each"]) stopped_rows += t["state"] == "stopped";
    EXPECT_EQ(stopped_rows, (*r)["stopped"].get<int>()) << pruner;
  }
}

// The replay's store lives in memory and its trials need no folders: a
// replay of thousands of curves used to fsync every metric to a file.
TEST(ReplayStudyTest, AReplayWritesNothingToTheTemporaryFolder) {
  auto dir = testing::MakeTempDir("cairn-replay-tmp");
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  setenv("TMPDIR", dir.c_str(), 1);
  auto r = ReplayCurves(Curves(), {.pruner = "median", .workers = 3});
  if (old) setenv("TMPDIR", saved.c_str(), 1); else unsetenv("TMPDIR");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["trials"], 12);
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << dir;
  std::filesystem::remove_all(dir);
}

// "seconds": null in a curve file: steps are counted, hours are not invented.
TEST(ReplayStudyTest, CurvesWithoutTimingsReportNoHours) {
  auto curves = Curves();
  for (auto& c : curves) c.seconds.clear();
  auto r = ReplayCurves(curves, {.pruner = "median", .workers = 1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["untimed_curves"], 12);
  EXPECT_TRUE((*r)["hours_saved"].is_null());
  EXPECT_TRUE((*r)["seconds_used"].is_null());
  EXPECT_EQ((*r)["steps_full"], 240);
  auto timed = ReplayCurves(Curves(), {.pruner = "median", .workers = 1});
  ASSERT_TRUE(timed.ok());
  EXPECT_EQ((*timed)["untimed_curves"], 0);
  EXPECT_EQ((*timed)["steps_used"], (*r)["steps_used"]) << "timings do not change the decisions";
  // A trial that failed before its first report took no time: the others' hours stand.
  auto with_empty = Curves();
  with_empty.push_back(CurveRecord{.id = "s/t/empty", .metric = with_empty[0].metric});
  auto still_timed = ReplayCurves(with_empty, {.pruner = "median", .workers = 1});
  ASSERT_TRUE(still_timed.ok()) << still_timed.status().ToString();
  EXPECT_EQ((*still_timed)["untimed_curves"], 0);
  EXPECT_FALSE((*still_timed)["hours_saved"].is_null());
}

// A curve the recorded study cut short (stopped, failed) has no final value:
// it is neither the file's best nor a result the rule kept.
TEST(ReplayStudyTest, CurvesCutShortAreNotResults) {
  auto curves = Curves();
  curves[1].extra["state"] = "stopped";  // curve 11, the best
  curves[1].values.resize(6);
  curves[1].seconds.resize(6);
  curves[1].steps = {5, 10, 15, 20, 25, 30};  // reported every 5th step
  auto r = ReplayCurves(curves, {.pruner = "none", .workers = 1, .list_trials = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["each"][1]["reason"], "cut short in the record (stopped) at step 30") << (*r)["each"][1];
  EXPECT_EQ((*r)["best_all"]["number"], 8) << "curve 10, the best that ran to its end";
  EXPECT_EQ((*r)["best_found"]["number"], 8);
  EXPECT_FALSE((*r)["lost_winner"].get<bool>());
  EXPECT_EQ((*r)["steps_full"], 250) << "11 curves of 20 steps and one cut short at step 30";
  EXPECT_EQ((*r)["cut_short"], 1);
  EXPECT_NE((*r)["note"].get<std::string>().find("1 of the 12 trials was cut short"), std::string::npos) << (*r)["note"];
  EXPECT_FALSE(ReplayCurves(Curves(), {.pruner = "none"})->contains("note"));
  auto few = Curves();
  few.resize(3);
  EXPECT_EQ((*ReplayCurves(few, {.pruner = "none", .workers = 10}))["workers"], 3) << "no idle workers reported";
}

// A null (NaN) fails a trial where it stands, in a replay as in a live
// study: such a curve cannot be the winner, and "full" is what a study
// without a pruner would have run, so `none` saves nothing and loses nothing.
TEST(ReplayStudyTest, ACurveWithANullFailsThereAndIsNoWinner) {
  auto curves = Curves();
  curves[1].values.back() = NAN;  // curve 11, the best, at its last step
  curves[0].values[4] = NAN;      // curve 3, at step 5
  auto r = ReplayCurves(curves, {.pruner = "none", .workers = 1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["best_all"]["number"], 8) << "curve 10";
  EXPECT_FALSE((*r)["lost_winner"].get<bool>());
  EXPECT_EQ((*r)["steps_full"], 225);
  EXPECT_EQ((*r)["steps_used"], 225);
  EXPECT_DOUBLE_EQ((*r)["saved_fraction"].get<double>(), 0.0);
  EXPECT_EQ((*r)["cut_short"], 2);
}

// The rules must not learn from a cut-short curve either: a trial stopped at
// 0.9 after one step is not "1 completed trial" for the median rule.
TEST(ReplayStudyTest, ARuleDoesNotTakeACurveCutShortForACompletedTrial) {
  CurveRecord cut;
  cut.id = "t/x/a";
  cut.metric = "acc";
  cut.values = {0.9};
  cut.extra = {{"state", "stopped"}};
  CurveRecord whole = cut;
  whole.id = "t/x/b";
  whole.values = {0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.24, 0.26, 0.28};
  whole.extra = {{"state", "completed"}};
  auto r = ReplayCurves({cut, whole}, {.pruner = "median", .pruner_options = {{"startup_trials", 1}}, .workers = 1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["pruner_options"], (nlohmann::json{{"startup_trials", 1}})) << "the report says what it ran";
  // ... and every setting in force, the defaults it was not given included.
  EXPECT_EQ((*r)["pruner_settings"]["startup_trials"], 1);
  EXPECT_EQ((*r)["pruner_settings"]["percentile"], 50.0);
  EXPECT_EQ((*r)["pruner_settings"].size(), 5u) << (*r)["pruner_settings"];
  EXPECT_EQ((*r)["winner"]["state"], "completed") << (*r)["winner"];
  EXPECT_FALSE((*r)["lost_winner"].get<bool>());
  EXPECT_EQ((*r)["stopped"], 0);
}

// `cairn replay` drives the real coordinator and store, `cairn bench
// schedulers` a minimal loop: on the same order they must make the same
// decisions with every rule (Hyperband's brackets once hung on the store's
// row ids, so the two disagreed).
TEST(ReplayStudyTest, TheCoordinatorAndTheBenchLoopDecideAlike) {
  std::vector<CurveRecord> curves;
  for (int i = 0; i < 40; ++i) {
    CurveRecord c;
    c.id = "test/mixed/" + std::to_string(i);
    c.params = {{"i", int64_t{i}}};
    c.metric = "acc";
    const double final = 0.3 + 0.6 * ((i * 37) % 40) / 40.0, rate = 0.05 + 0.02 * (i % 7);
    for (int s = 1; s <= 27; ++s) c.values.push_back(final * (1 - std::exp(-rate * s)) + 0.01 * ((i * s) % 5));
    c.seconds.assign(27, 1.0);
    curves.push_back(c);
  }
  auto dir = testing::MakeTempDir("cairn-replay-bench");
  ASSERT_TRUE(WriteCurvesFile(dir / "c.jsonl", curves).ok());
  SchedulerBenchOptions bench;
  bench.curves = dir / "c.jsonl";
  bench.n = 30;
  bench.repeats = 1;
  bench.seed = 2;
  auto table = RunSchedulerBench(bench);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  std::vector<CurveRecord> ordered;
  for (size_t i : BenchOrder(curves, bench.seed, bench.n)) ordered.push_back(curves[i]);
  for (const auto& row : (*table)["schedulers"]) {
    const std::string name = row["name"];
    auto r = ReplayCurves(ordered, {.pruner = name, .workers = 1, .seed = bench.seed});
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    EXPECT_EQ((*r)["steps_used"].get<double>(), row["epochs_used"].get<double>()) << name;
    EXPECT_DOUBLE_EQ((*r)["regret"].get<double>(), row["regret"].get<double>()) << name;
  }
  std::filesystem::remove_all(dir);
}

TEST(ReplayStudyTest, MedianRuleSavesStepsAndKeepsTheWinnerDeterministically) {
  ReplayStudyOptions options{.pruner = "median", .pruner_options = {{"startup_trials", 2}}, .workers = 1};
  auto a = ReplayCurves(Curves(), options);
  auto b = ReplayCurves(Curves(), options);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_GT((*a)["stopped"].get<int>(), 0);
  EXPECT_GT((*a)["saved_fraction"].get<double>(), 0.2);
  EXPECT_LT((*a)["seconds_used"].get<double>(), 240.0);
  EXPECT_GT((*a)["hours_saved"].get<double>(), 0.0);
  EXPECT_FALSE((*a)["lost_winner"].get<bool>());
}

TEST(ReplayStudyTest, AReportOfALostWinnerSaysWhichRuleStoppedItAndWhen) {
  auto curves = Curves();
  // A late learner, last in the order: flat for 10 steps, then the best.
  CurveRecord late = curves.front();
  late.id = "test/late";
  for (int s = 1; s <= 20; ++s) late.values[s - 1] = s <= 10 ? 0.0 : 1.2 * (1 - std::exp(-0.5 * (s - 10)));
  curves.push_back(late);
  ReplayStudyOptions options{.pruner = "median", .pruner_options = {{"startup_trials", 2}}, .workers = 1};
  auto r = ReplayCurves(curves, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)["lost_winner"].get<bool>());
  const nlohmann::json& winner = (*r)["winner"];
  EXPECT_EQ(winner["number"], 12);
  EXPECT_EQ(winner["state"], "stopped");
  EXPECT_EQ(winner["steps"], 1) << "worse than the median at its first report";
  EXPECT_NE(winner["reason"].get<std::string>().find("median"), std::string::npos) << winner.dump();

  auto kept = ReplayCurves(curves, {.pruner = "none", .workers = 1});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ((*kept)["winner"]["state"], "completed");
  EXPECT_EQ((*kept)["winner"]["steps"], 20);

  // A program that reported every 10th step: the winner's fate is in steps,
  // with its reports beside them.
  for (auto& c : curves) {
    c.steps.clear();
    for (size_t i = 0; i < c.values.size(); ++i) c.steps.push_back(10 * static_cast<int64_t>(i + 1));
  }
  auto sparse = ReplayCurves(curves, options);
  ASSERT_TRUE(sparse.ok()) << sparse.status().ToString();
  EXPECT_EQ((*sparse)["winner"]["steps"], 10) << (*sparse)["winner"];
  EXPECT_EQ((*sparse)["winner"]["reports"], 1) << (*sparse)["winner"];
}

// A winner kept only because the rule overruled its first rung (here the
// predictive rule's hedge) is reported with that rung: the early ranks did
// not pick it.
TEST(ReplayStudyTest, AReportSaysWhenTheWinnerLostARungAndWasKept) {
  auto curves = Curves();
  // Fourth in the order (number 3, hedged with hedge_every 4): the worst at
  // its first report, the best from its second on.
  CurveRecord slow = curves.front();
  slow.id = "test/slow-start";
  for (int s = 1; s <= 20; ++s) slow.values[s - 1] = s == 1 ? 0.0 : 1.2 * (1 - std::exp(-0.3 * s));
  curves.insert(curves.begin() + 3, slow);
  auto r = ReplayCurves(curves, {.pruner = "predictive", .pruner_options = {{"hedge_every", 4}}, .workers = 1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE((*r)["lost_winner"].get<bool>());
  const nlohmann::json& winner = (*r)["winner"];
  EXPECT_EQ(winner["number"], 3);
  ASSERT_TRUE(winner.contains("kept")) << winner.dump();
  ASSERT_EQ(winner["kept"].size(), 1u) << winner.dump();
  EXPECT_EQ(winner["kept"][0]["step"], 1);
  EXPECT_EQ(winner["kept"][0]["reason"].get<std::string>().rfind("kept by the hedge (one trial in 4 passes the "
                                                                   "rungs before step 3) although rank 4 of 4",
                                                                   0),
            0u)
      << winner.dump();
  // Without the hedge the rung stops it at once.
  auto plain = ReplayCurves(curves, {.pruner = "predictive", .workers = 1});
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE((*plain)["lost_winner"].get<bool>());
  EXPECT_EQ((*plain)["winner"]["steps"], 1);
  EXPECT_FALSE((*plain)["winner"].contains("kept"));
}

// A store in `dir` holding study "s" (objective acc) whose trials are the
// Curves(), value i reported at step `step_of(i)` and time 1000 + `time_of(i)`
// seconds; `extra(id)` returns more points for a trial.
std::unique_ptr<Store> StoreOfCurves(const std::filesystem::path& dir, int parallel,
                                     const std::function<int64_t(size_t)>& step_of,
                                     const std::function<double(size_t)>& time_of,
                                     const std::function<std::vector<MetricPoint>(int64_t)>& extra = nullptr) {
  auto store = OpenStore("sqlite://" + (dir / "db").string());
  EXPECT_TRUE(store.ok());
  StudyRecord study{.name = "s", .objective = "acc", .direction = Direction::kMaximize};
  study.spec_json = {{"budget", {{"parallel", parallel}}}, {"pruner", {{"name", "none"}}}};
  auto study_id = (*store)->CreateStudy(study);
  EXPECT_TRUE(study_id.ok());
  auto curves = Curves();
  for (size_t n = 0; n < curves.size(); ++n) {
    TrialRecord t{.study_id = *study_id, .number = static_cast<int>(n), .state = TrialState::kCompleted};
    t.params = curves[n].params;
    t.started_at = 1000.0;
    auto id = (*store)->CreateTrial(t);
    EXPECT_TRUE(id.ok());
    std::vector<MetricPoint> points;
    for (size_t i = 0; i < curves[n].values.size(); ++i) {
      points.push_back({*id, "acc", step_of(i), curves[n].values[i], 1000.0 + time_of(i)});
    }
    if (extra) for (auto& p : extra(*id)) points.push_back(p);
    EXPECT_TRUE((*store)->AppendMetrics(points).ok());
  }
  return std::move(*store);
}

TEST(ReplayStudyTest, ReplaysAStudyFromTheStore) {
  auto dir = testing::MakeTempDir("cairn-replay-study");
  auto store = StoreOfCurves(dir, 2, [](size_t i) { return static_cast<int64_t>(i + 1); },
                             [](size_t i) { return 2.0 * static_cast<double>(i + 1); });
  auto from_store = StudyCurves(*store, "s");
  ASSERT_TRUE(from_store.ok());
  ASSERT_EQ(from_store->size(), 12u);
  EXPECT_DOUBLE_EQ((*from_store)[0].seconds[0], 2.0) << "seconds per step come from report times";

  auto r = ReplayStudy(*store, {.study = "s", .pruner = "asha"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["workers"], 2);
  EXPECT_DOUBLE_EQ((*r)["seconds_full"].get<double>(), 480.0);
  EXPECT_EQ((*r)["recorded"]["pruner"], "none");
  EXPECT_FALSE(ReplayStudy(*store, {.study = "missing"}).ok());
  std::filesystem::remove_all(dir);
}

// A study's replay keeps its trial numbers (a trial that reported nothing
// stays in its place, as it failed), its seed (Hyperband's brackets hang on
// it) and its budget: reports past max_steps are not a trial's value.
TEST(ReplayStudyTest, AStudysReplayKeepsItsTrialNumbersSeedAndBudget) {
  auto dir = testing::MakeTempDir("cairn-replay-numbers");
  auto store = OpenStore("sqlite://" + (dir / "db").string());
  ASSERT_TRUE(store.ok());
  StudyRecord study{.name = "s", .objective = "acc", .direction = Direction::kMaximize};
  study.spec_json = {{"budget", {{"parallel", 1}, {"max_steps", 10}}},
                     {"sampler", {{"name", "random"}, {"seed", 5}}},
                     {"pruner", {{"name", "none"}}}};
  auto study_id = (*store)->CreateStudy(study);
  ASSERT_TRUE(study_id.ok());
  // Trial 0 ends at 0.9 at step 10, then collapses; trial 1 failed before
  // reporting; trial 2 ends at 0.5 at step 10 and jumps to 0.99 after.
  const std::vector<std::pair<TrialState, std::function<double(int)>>> trials = {
      {TrialState::kCompleted, [](int s) { return s <= 10 ? 0.09 * s : 0.1; }},
      {TrialState::kFailed, nullptr},
      {TrialState::kCompleted, [](int s) { return s <= 10 ? 0.05 * s : 0.99; }}};
  for (size_t n = 0; n < trials.size(); ++n) {
    auto id = (*store)->CreateTrial(
        {.study_id = *study_id, .number = static_cast<int>(n), .state = trials[n].first});
    ASSERT_TRUE(id.ok());
    if (!trials[n].second) continue;
    std::vector<MetricPoint> points;
    for (int step = 1; step <= 15; ++step) points.push_back({*id, "acc", step, trials[n].second(step), 1000.0 + step});
    ASSERT_TRUE((*store)->AppendMetrics(points).ok());
  }
  auto curves = StudyCurves(**store, "s");
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  ASSERT_EQ(curves->size(), 3u);
  EXPECT_EQ((*curves)[0].values.size(), 10u) << "cut at max_steps";
  EXPECT_TRUE((*curves)[1].values.empty());
  EXPECT_EQ((*curves)[1].extra["state"], "failed");

  auto r = ReplayStudy(**store, {.study = "s", .pruner = "none", .list_trials = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["seed"], 5) << "the study's own seed";
  EXPECT_EQ((*r)["max_steps"], 10);
  EXPECT_EQ((*r)["steps_full"], 20);
  EXPECT_EQ((*r)["best_all"]["number"], 0) << "0.9 at step 10, not trial 2's 0.99 at step 11";
  EXPECT_DOUBLE_EQ((*r)["best_all"]["value"].get<double>(), 0.9);
  ASSERT_EQ((*r)["each"].size(), 3u);
  EXPECT_EQ((*r)["each"][1]["number"], 1);
  EXPECT_EQ((*r)["each"][1]["state"], "cut short") << "it ended where the record ends";
  EXPECT_EQ((*r)["each"][2]["number"], 2);
  auto seeded = ReplayStudy(**store, {.study = "s", .pruner = "none", .seed = 3});
  ASSERT_TRUE(seeded.ok());
  EXPECT_EQ((*seeded)["seed"], 3) << "--seed overrides it";
  std::filesystem::remove_all(dir);
}

// A trial stopped by the study's rule whose program reported on after the
// stop: its curve ends where the rule stopped it (its value step), so a
// replay of that rule cannot credit the stop as a saving.
TEST(ReplayStudyTest, AStoppedTrialsCurveEndsAtItsValueStep) {
  auto dir = testing::MakeTempDir("cairn-replay-stopped");
  auto store = OpenStore("sqlite://" + (dir / "db").string());
  ASSERT_TRUE(store.ok());
  StudyRecord study{.name = "s", .objective = "acc", .direction = Direction::kMaximize};
  study.spec_json = {{"budget", {{"parallel", 1}, {"max_steps", 10}}}, {"pruner", {{"name", "none"}}}};
  auto study_id = (*store)->CreateStudy(study);
  ASSERT_TRUE(study_id.ok());
  auto id = (*store)->CreateTrial({.study_id = *study_id, .number = 0, .state = TrialState::kStopped,
                                   .attrs = {{"value_step", 4}, {"reports_after_stop", 2}}});
  ASSERT_TRUE(id.ok());
  std::vector<MetricPoint> points;
  for (int step = 1; step <= 6; ++step) points.push_back({*id, "acc", step, 0.1 * step, 1000.0 + step});
  ASSERT_TRUE((*store)->AppendMetrics(points).ok());
  auto curves = StudyCurves(**store, "s");
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  ASSERT_EQ(curves->size(), 1u);
  EXPECT_EQ((*curves)[0].steps, (std::vector<int64_t>{1, 2, 3, 4}));
  std::filesystem::remove_all(dir);
}

// `cairn replay STUDY --pruner median` of a study that ran median with its
// own options replays those options, and says so; another rule, or options
// given, are not touched.
TEST(ReplayStudyTest, TheRuleAStudyRanWithIsReplayedWithItsOwnOptions) {
  auto dir = testing::MakeTempDir("cairn-replay-own");
  auto store = OpenStore("sqlite://" + (dir / "db").string());
  ASSERT_TRUE(store.ok());
  StudyRecord study{.name = "s", .objective = "acc", .direction = Direction::kMaximize};
  study.spec_json = {{"budget", {{"parallel", 1}}},
                     {"pruner", {{"name", "median"}, {"options", {{"startup_trials", 2}, {"warmup_steps", 15}}}}}};
  auto study_id = (*store)->CreateStudy(study);
  ASSERT_TRUE(study_id.ok());
  auto curves = Curves();
  for (size_t n = 0; n < curves.size(); ++n) {
    auto id = (*store)->CreateTrial(
        {.study_id = *study_id, .number = static_cast<int>(n), .state = TrialState::kCompleted});
    ASSERT_TRUE(id.ok());
    std::vector<MetricPoint> points;
    for (size_t i = 0; i < curves[n].values.size(); ++i) {
      points.push_back({*id, "acc", static_cast<int64_t>(i + 1), curves[n].values[i], 1000.0 + i});
    }
    ASSERT_TRUE((*store)->AppendMetrics(points).ok());
  }
  auto own = ReplayStudy(**store, {.study = "s", .pruner = "median", .use_study_pruner_options = true});
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ((*own)["pruner_options"], (nlohmann::json{{"startup_trials", 2}, {"warmup_steps", 15}}));
  EXPECT_EQ((*own)["pruner_options_from"], "study");
  EXPECT_EQ((*own)["recorded"]["pruner_options"], (*own)["pruner_options"]);
  auto given = ReplayStudy(**store, {.study = "s", .pruner = "median", .pruner_options = {{"startup_trials", 3}}});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ((*given)["pruner_options"], (nlohmann::json{{"startup_trials", 3}}));
  EXPECT_FALSE(given->contains("pruner_options_from"));
  auto other = ReplayStudy(**store, {.study = "s", .pruner = "asha", .use_study_pruner_options = true});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)["pruner_options"], nlohmann::json::object()) << "median's options are not asha's";
  // Warm-up 15 of 20 steps: the study's own median stops later than the defaults do.
  auto defaults = ReplayStudy(**store, {.study = "s", .pruner = "median"});
  ASSERT_TRUE(defaults.ok());
  EXPECT_GT((*own)["steps_used"].get<int64_t>(), (*defaults)["steps_used"].get<int64_t>());
  std::filesystem::remove_all(dir);
}

// A program that reports every 10th epoch: the replay reports at the
// recorded steps and counts steps, not reports, like the live study did;
// the bench loop does the same.
TEST(ReplayStudyTest, ReplaysAtTheRecordedStepsAndCountsSteps) {
  auto dir = testing::MakeTempDir("cairn-replay-steps");
  auto every_10th = [](size_t i) { return static_cast<int64_t>(10 * (i + 1)); };
  auto store = StoreOfCurves(dir, 1, every_10th, [&](size_t i) { return static_cast<double>(every_10th(i)); },
                             [](int64_t id) {
                               // Step 50 reported twice: one value per step all the same.
                               return std::vector<MetricPoint>{{id, "acc", 50, 0.0, 1300.0}};
                             });
  auto from_store = StudyCurves(*store, "s");
  ASSERT_TRUE(from_store.ok());
  ASSERT_EQ((*from_store)[0].steps.size(), 20u);
  EXPECT_EQ((*from_store)[0].steps.front(), 10);
  EXPECT_EQ((*from_store)[0].steps.back(), 200);

  auto none = ReplayStudy(*store, {.study = "s", .pruner = "none"});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)["steps_full"], 12 * 200) << "steps, not 12 x 20 reports";
  EXPECT_EQ((*none)["recorded"]["steps_used"], 12 * 200) << "the record in the same unit";
  // median with warmup_steps 50 (steps): it may stop at the 5th report; with
  // reports taken for steps it could never reach step 50 of a 20-step curve.
  ReplayStudyOptions median{.study = "s", .pruner = "median",
                            .pruner_options = {{"startup_trials", 2}, {"warmup_steps", 50}}};
  auto r = ReplayStudy(*store, median);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT((*r)["stopped"].get<int>(), 0);
  EXPECT_EQ((*r)["steps_used"].get<int64_t>() % 10, 0) << "whole reports of 10 steps";

  // The bench loop, on the same curves in the same order, agrees.
  ASSERT_TRUE(WriteCurvesFile(dir / "c.jsonl", *from_store).ok());
  SchedulerBenchOptions bench;
  bench.curves = dir / "c.jsonl";
  bench.n = 12;
  bench.repeats = 1;
  bench.schedulers = {"none", "asha"};
  auto table = RunSchedulerBench(bench);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_DOUBLE_EQ((*table)["schedulers"][0]["epochs_full"].get<double>(), 12 * 200.0);
  std::vector<CurveRecord> ordered;
  for (size_t i : BenchOrder(*from_store, bench.seed, bench.n)) ordered.push_back((*from_store)[i]);
  auto asha = ReplayCurves(ordered, {.pruner = "asha", .workers = 1, .seed = bench.seed});
  ASSERT_TRUE(asha.ok());
  EXPECT_EQ((*asha)["steps_used"].get<double>(), (*table)["schedulers"][1]["epochs_used"].get<double>());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn
