#include "cairn/bench_schedulers.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <gtest/gtest.h>

#include "cairn/replay/bench_study.h"
#include "replay/replay_testing.h"
#include "support/paths.h"

namespace cairn {
namespace {

using testing::kNull;
using testing::MakeCurve;

SchedulerFactory Toy(std::function<std::unique_ptr<Scheduler>()> make) {
  return [make](const std::string&, const SchedulerContext&,
                const nlohmann::json&) -> Result<std::unique_ptr<Scheduler>> { return make(); };
}

class BenchTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("cairn-bench"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path Write(const std::vector<CurveRecord>& curves) {
    auto path = dir_ / "curves.jsonl";
    EXPECT_TRUE(WriteCurvesFile(path, curves).ok());
    return path;
  }
  std::filesystem::path dir_;
};

TEST(BenchOrder, SortsBySha256OfRepeatAndId) {
  std::vector<CurveRecord> curves;
  for (int i = 0; i < 10; ++i) curves.push_back(MakeCurve("c" + std::to_string(i), {1}));
  // Expected orders from Python: sorted(range(10), key=lambda i:
  //   hashlib.sha256(f"{r}:c{i}".encode()).hexdigest())[:5]
  EXPECT_EQ(BenchOrder(curves, 0, 5), (std::vector<size_t>{4, 3, 6, 5, 2}));
  EXPECT_EQ(BenchOrder(curves, 1, 5), (std::vector<size_t>{0, 5, 7, 3, 2}));
  EXPECT_EQ(BenchOrder(curves, 7, 5), (std::vector<size_t>{3, 8, 1, 6, 2}));
  EXPECT_EQ(BenchOrder(curves, 0, 100).size(), 10u);
}

TEST(BenchOrder, EqualIdsKeepFileOrder) {
  std::vector<CurveRecord> curves = {MakeCurve("same", {1}), MakeCurve("same", {2}),
                                     MakeCurve("same", {3})};
  EXPECT_EQ(BenchOrder(curves, 4, 3), (std::vector<size_t>{0, 1, 2}));
}

// Four curves, read in file order (n = all, one repeat); hand-computed metrics.
std::vector<CurveRecord> FourCurves() {
  return {MakeCurve("a", {0.1, 0.2, 0.3, 0.4}),       // final 0.4
          MakeCurve("b", {0.6, 0.7, 0.8, 0.9}),       // final 0.9 (the best)
          MakeCurve("c", {0.2, kNull, 0.1}),          // final 0.1 (the worst)
          MakeCurve("d", {0.55, 0.6, 0.7, 0.8, 0.85})};  // final 0.85
}

// Curves without one value: nothing to find and nothing lost, so regret 0
// and found_best 1, as found_best means regret 0.
TEST_F(BenchTest, CurvesWithoutValuesLoseNothing) {
  SchedulerBenchOptions o;
  o.curves = Write({MakeCurve("a", {kNull, kNull}), MakeCurve("b", {kNull})});
  o.n = 2;
  o.repeats = 1;
  o.schedulers = {"none"};
  auto result = RunSchedulerBench(o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const auto& row = (*result)["schedulers"][0];
  EXPECT_DOUBLE_EQ(row["regret"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(row["found_best"].get<double>(), 1.0);
}

TEST_F(BenchTest, ExactMetricsWithAToyScheduler) {
  SchedulerBenchOptions o;
  o.curves = Write(FourCurves());
  o.n = 4;
  o.repeats = 1;
  o.schedulers = {"below-0.5", "never"};
  o.make_scheduler = [](const std::string& name, const SchedulerContext&,
                        const nlohmann::json&) -> Result<std::unique_ptr<Scheduler>> {
    if (name == "never") return std::unique_ptr<Scheduler>(new testing::NeverStop());
    return std::unique_ptr<Scheduler>(new testing::StopBelow(0.5));
  };
  auto result = RunSchedulerBench(o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const auto& j = *result;
  EXPECT_EQ(j["n"], 4);
  EXPECT_EQ(j["repeats"], 1);
  EXPECT_EQ(j["seed"], o.seed) << "a saved result says which orders it ran";
  EXPECT_EQ(j["workers"], 1);
  EXPECT_EQ(j["metric"], "acc");
  EXPECT_EQ(j["mode"], "max");
  EXPECT_EQ(j["curves"], o.curves.string());
  ASSERT_EQ(j["schedulers"].size(), 2u);
  // below-0.5 stops a and c after step 1: used 1 + 4 + 1 + 5 = 11 of 16.
  const auto& below = j["schedulers"][0];
  EXPECT_EQ(below["name"], "below-0.5");
  EXPECT_DOUBLE_EQ(below["epochs_used"].get<double>(), 11.0);
  EXPECT_DOUBLE_EQ(below["epochs_full"].get<double>(), 16.0);
  EXPECT_DOUBLE_EQ(below["saved_fraction"].get<double>(), 1.0 - 11.0 / 16.0);
  EXPECT_DOUBLE_EQ(below["regret"].get<double>(), 0.0);  // b ran to its end
  EXPECT_DOUBLE_EQ(below["found_best"].get<double>(), 1.0);
  EXPECT_GE(below["seconds"].get<double>(), 0.0);
  const auto& never = j["schedulers"][1];
  EXPECT_DOUBLE_EQ(never["epochs_used"].get<double>(), 16.0);
  EXPECT_DOUBLE_EQ(never["saved_fraction"].get<double>(), 0.0);
}

TEST_F(BenchTest, RegretCountsOnlyTrialsThatRanToTheEnd) {
  SchedulerBenchOptions o;
  o.curves = Write(FourCurves());
  o.n = 4;
  o.repeats = 1;
  o.schedulers = {"below-0.5"};
  // Stops a (0.1) and c (0.2) at step 1; b, the best, runs to its end.
  o.make_scheduler = Toy([] { return std::make_unique<testing::StopBelow>(0.5); });
  auto r = RunSchedulerBench(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ((*r)["schedulers"][0]["regret"].get<double>(), 0.0);

  // Make the best curve start low: it is stopped, so the best found is d's 0.85.
  auto curves = FourCurves();
  curves[1].values[0] = 0.3;
  o.curves = Write(curves);
  r = RunSchedulerBench(o);
  ASSERT_TRUE(r.ok());
  const auto& row = (*r)["schedulers"][0];
  EXPECT_NEAR(row["regret"].get<double>(), 0.9 - 0.85, 1e-12);
  EXPECT_NEAR(row["regret_norm"].get<double>(), 0.05 / 0.8, 1e-12);
  EXPECT_DOUBLE_EQ(row["found_best"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(row["epochs_used"].get<double>(), 1 + 1 + 1 + 5);
}

// A curve cut short in the record (an exported study's stopped trial) is
// not a configuration: its last value would be "the best" it cannot be.
TEST_F(BenchTest, CurvesCutShortAreLeftOut) {
  auto curves = FourCurves();
  CurveRecord cut = MakeCurve("e", {0.95});
  cut.extra = {{"state", "stopped"}};
  curves.push_back(cut);
  curves[0].extra = {{"state", "completed"}};
  SchedulerBenchOptions o;
  o.curves = Write(curves);
  o.n = 5;
  o.repeats = 1;
  o.schedulers = {"never"};
  o.make_scheduler = Toy([] { return std::make_unique<testing::NeverStop>(); });
  std::vector<std::string> lines;
  auto r = RunSchedulerBench(o, [&](std::string line) { lines.push_back(std::move(line)); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["cut_short"], 1);
  EXPECT_EQ((*r)["n"], 4);
  EXPECT_DOUBLE_EQ((*r)["schedulers"][0]["regret"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ((*r)["schedulers"][0]["epochs_full"].get<double>(), 4 + 4 + 3 + 5);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].find("left out 1 curves cut short"), std::string::npos) << lines[0];
  // A file of cut curves only has nothing to measure.
  o.curves = Write({cut});
  EXPECT_EQ(RunSchedulerBench(o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(BenchTest, StopAtLastStepIsIgnoredAndNullStepsAreNotReported) {
  auto curves = std::make_shared<const std::vector<CurveRecord>>(FourCurves());
  testing::StopAtStep stop_at_3(3);
  auto out = replay::ReplayStudy(curves, {0, 1, 2, 3}, stop_at_3, Direction::kMaximize, 1);
  // a, b, d stop at step 3 (not their last); c's step 3 is its last: it completes.
  EXPECT_EQ(out.epochs_used, 3 + 3 + 3 + 3);
  EXPECT_EQ(out.epochs_full, 16);
  EXPECT_EQ(stop_at_3.ends.at(0), TrialState::kStopped);
  EXPECT_EQ(stop_at_3.ends.at(2), TrialState::kCompleted);
  EXPECT_EQ(stop_at_3.starts, (std::vector<int64_t>{0, 1, 2, 3}));
  int c_reports = 0;
  for (const auto& r : stop_at_3.reports) c_reports += r.trial == 2;
  EXPECT_EQ(c_reports, 2);  // steps 1 and 3; the null step 2 is skipped
  // Only c completed, with final 0.1, the worst: regret = spread, norm 1.
  EXPECT_NEAR(out.regret, 0.8, 1e-12);
  EXPECT_DOUBLE_EQ(out.regret_norm, 1.0);
}

TEST_F(BenchTest, ZeroSecondStepsAfterAStopAreNotCounted) {
  // All steps of a happen at time 0, so they arrive in one Poll batch.
  auto curves = std::make_shared<const std::vector<CurveRecord>>(std::vector<CurveRecord>{
      MakeCurve("a", {1, 2, 3, 4}, {0, 0, 0, 0}), MakeCurve("b", {5, 6, 7, 8}, {0, 0, 0, 0})});
  testing::StopAtStep stop_at_2(2);
  auto out = replay::ReplayStudy(curves, {0, 1}, stop_at_2, Direction::kMaximize, 1);
  EXPECT_EQ(out.epochs_used, 4);
  EXPECT_EQ(stop_at_2.reports.size(), 4u);
  EXPECT_EQ(stop_at_2.ends.at(0), TrialState::kStopped);
  EXPECT_EQ(stop_at_2.ends.at(1), TrialState::kStopped);
}

TEST_F(BenchTest, SequentialTrialsDoNotOverlap) {
  // With one worker, a trial's first report comes after the previous exit.
  auto curves = std::make_shared<const std::vector<CurveRecord>>(std::vector<CurveRecord>{
      MakeCurve("a", {1, 2}, {5, 5}), MakeCurve("b", {3, 4}, {1, 1})});
  testing::StopAtStep never(100);
  replay::ReplayStudy(curves, {0, 1}, never, Direction::kMaximize, 1);
  ASSERT_EQ(never.reports.size(), 4u);
  EXPECT_EQ(never.reports[1].trial, 0);
  EXPECT_EQ(never.reports[2].trial, 1);
  // With two workers b (faster) reports both steps before a's second.
  testing::StopAtStep never2(100);
  replay::ReplayStudy(curves, {0, 1}, never2, Direction::kMaximize, 2);
  std::vector<int64_t> trials;
  for (const auto& r : never2.reports) trials.push_back(r.trial);
  EXPECT_EQ(trials, (std::vector<int64_t>{1, 1, 0, 0}));
}

TEST_F(BenchTest, ParallelWorkersUseTheSameDefinitions) {
  std::vector<CurveRecord> curves;
  for (int i = 0; i < 30; ++i) {
    double start = (i % 7) * 0.1;
    curves.push_back(MakeCurve("k" + std::to_string(i), {start, start + 0.05, start + 0.1},
                               {1.0 + i % 3, 1.0, 1.0}));
  }
  SchedulerBenchOptions o;
  o.curves = Write(curves);
  o.n = 20;
  o.repeats = 3;
  o.workers = 4;
  o.schedulers = {"below"};
  o.make_scheduler = Toy([] { return std::make_unique<testing::StopBelow>(0.25); });
  auto r = RunSchedulerBench(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["workers"], 4);
  // StopBelow decides on step 1 alone, so the order of events does not
  // matter: compute the expected epochs directly from the orders.
  auto loaded = ReadCurvesFile(o.curves);
  ASSERT_TRUE(loaded.ok());
  double used = 0;
  for (int k = 0; k < 3; ++k) {
    for (size_t i : BenchOrder(*loaded, k, 20)) used += (*loaded)[i].values[0] < 0.25 ? 1 : 3;
  }
  EXPECT_DOUBLE_EQ((*r)["schedulers"][0]["epochs_used"].get<double>(), used / 3);
  EXPECT_DOUBLE_EQ((*r)["schedulers"][0]["epochs_full"].get<double>(), 60.0);
}

TEST_F(BenchTest, RejectsBadOptionsAndMixedFiles) {
  SchedulerBenchOptions o;
  o.curves = Write(FourCurves());
  o.make_scheduler = Toy([] { return std::make_unique<testing::NeverStop>(); });
  o.n = 0;
  EXPECT_EQ(RunSchedulerBench(o).status().code(), StatusCode::kInvalidArgument);
  o.n = 2;
  o.workers = 0;
  EXPECT_EQ(RunSchedulerBench(o).status().code(), StatusCode::kInvalidArgument);
  o.workers = 1;
  auto mixed = FourCurves();
  mixed[2].direction = Direction::kMinimize;
  o.curves = Write(mixed);
  auto r = RunSchedulerBench(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'c'"), std::string::npos) << r.status().message();
  o.make_scheduler = [](const std::string& name, const SchedulerContext&,
                        const nlohmann::json&) -> Result<std::unique_ptr<Scheduler>> {
    return InvalidArgument("unknown scheduler " + name);
  };
  o.curves = Write(FourCurves());
  r = RunSchedulerBench(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("scheduler none"), std::string::npos) << r.status().message();
}

TEST_F(BenchTest, PassesPerSchedulerOptionsAndContext) {
  SchedulerBenchOptions o;
  o.curves = Write(FourCurves());
  o.repeats = 2;
  o.seed = 5;
  o.schedulers = {"x", "y"};
  o.scheduler_options = {{"x", {{"eta", 3}}}};
  std::vector<std::string> seen;
  o.make_scheduler = [&](const std::string& name, const SchedulerContext& ctx,
                         const nlohmann::json& opts) -> Result<std::unique_ptr<Scheduler>> {
    seen.push_back(name + ":" + opts.dump() + ":" + std::to_string(ctx.seed) + ":" +
                   std::to_string(ctx.max_steps.value_or(-1)));
    return std::unique_ptr<Scheduler>(new testing::NeverStop());
  };
  std::vector<std::string> progress;
  auto result = RunSchedulerBench(o, [&](std::string s) { progress.push_back(s); });
  ASSERT_TRUE(result.ok());
  // Each row says the options it ran with, when not the rule's defaults.
  EXPECT_EQ((*result)["schedulers"][0]["options"], (nlohmann::json{{"eta", 3}}));
  EXPECT_FALSE((*result)["schedulers"][1].contains("options"));
  EXPECT_NE(RenderBenchTable(*result, nullptr).find("  x ran with {\"eta\":3}\n"), std::string::npos)
      << RenderBenchTable(*result, nullptr);
  // Each rule is made once up front (its options checked), then per repeat.
  EXPECT_EQ(seen, (std::vector<std::string>{R"(x:{"eta":3}:5:5)", "y:{}:5:5", R"(x:{"eta":3}:5:5)",
                                            R"(x:{"eta":3}:6:5)", "y:{}:5:5", "y:{}:6:5"}));
  ASSERT_EQ(progress.size(), 5u);
  EXPECT_NE(progress[0].find("holds 4 configurations: each study uses all of them, not 200"), std::string::npos)
      << progress[0];
}

// Records what a rule is told about parameters.
class ParamsSeen final : public Scheduler {
 public:
  explicit ParamsSeen(std::vector<std::string>* seen) : seen_(seen) {}
  void OnTrialStart(int64_t, const Params& params) override {
    auto it = params.find("width");
    seen_->push_back(it == params.end() ? "-" : ParamValueToString(it->second));
  }
  Decision OnReport(int64_t, int64_t, double) override { return Decision::Continue(); }
  std::string Name() const override { return "params-seen"; }

 private:
  std::vector<std::string>* seen_;
};

TEST_F(BenchTest, RulesSeeTheFilesSpaceAndEachTrialsParameters) {
  std::vector<CurveRecord> curves = FourCurves();
  for (size_t i = 0; i < curves.size(); ++i) curves[i].params = {{"width", int64_t{16} << (2 * i)}};
  curves[2].params.clear();
  SchedulerBenchOptions o;
  o.curves = Write(curves);
  o.repeats = 1;
  o.schedulers = {"p"};
  std::vector<std::string> seen;
  std::optional<SearchSpace> space;
  o.make_scheduler = [&](const std::string&, const SchedulerContext& ctx,
                         const nlohmann::json&) -> Result<std::unique_ptr<Scheduler>> {
    space = ctx.space;
    return std::unique_ptr<Scheduler>(new ParamsSeen(&seen));
  };
  ASSERT_TRUE(RunSchedulerBench(o, nullptr).ok());
  ASSERT_TRUE(space.has_value());
  ASSERT_EQ(space->params.size(), 1u);
  EXPECT_EQ(space->params[0].kind, ParamKind::kInt);
  EXPECT_EQ(space->params[0].low, 16);
  EXPECT_EQ(space->params[0].high, 1024);
  EXPECT_TRUE(space->params[0].log);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"-", "1024", "16", "64"}));
}

TEST_F(BenchTest, RendersATable) {
  nlohmann::json ours = {{"curves", "f.jsonl"}, {"n", 4}, {"repeats", 1}, {"workers", 1},
                         {"metric", "acc"}, {"mode", "max"},
                         {"schedulers", {{{"name", "median"}, {"saved_fraction", 0.5},
                                          {"regret", 0.25}, {"regret_norm", 0.1},
                                          {"found_best", 1.0}, {"epochs_used", 8.0},
                                          {"epochs_full", 16.0}, {"seconds", 0.001}}}}};
  nlohmann::json peer = {{"optuna", "3.1.0"},
                         {"schedulers", {{{"name", "optuna-median"}, {"saved_fraction", 0.25}}}}};
  std::string table = RenderBenchTable(ours, &peer);
  EXPECT_NE(table.find("median"), std::string::npos);
  EXPECT_NE(table.find("50.0%"), std::string::npos);
  EXPECT_NE(table.find("optuna-median"), std::string::npos);
  EXPECT_NE(table.find("25.0%"), std::string::npos);
  EXPECT_EQ(RenderBenchTable(ours, nullptr).find("optuna"), std::string::npos);
}

// The shared development file: the "none" row must match Optuna's NopPruner.
TEST(BenchShared, NoneRowMatchesThePeerOnDevDigits) {
  auto path = testing::SharedCurves("dev-digits.jsonl.gz");
  if (!path) GTEST_SKIP() << "shared curves (../shared/data/curves/dev-digits.jsonl.gz) not present";
  SchedulerBenchOptions o;
  o.curves = *path;
  o.schedulers = {"none"};  // the real MakeScheduler("none")
  auto r = RunSchedulerBench(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& row = (*r)["schedulers"][0];
  EXPECT_EQ(row["epochs_full"].get<double>(), 10000.0);
  EXPECT_EQ(row["epochs_used"].get<double>(), 10000.0);
  EXPECT_EQ(row["regret"].get<double>(), 0.0);
  EXPECT_EQ(row["found_best"].get<double>(), 1.0);
  EXPECT_EQ((*r)["metric"], "val_acc");
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// Prints the full benchmark on the shared files (slow; run by hand with
// --gtest_also_run_disabled_tests --gtest_filter='*PrintSharedBench*').
TEST(BenchShared, DISABLED_PrintSharedBench) {
  for (const char* file : {"dev-digits.jsonl.gz", "dev-curves.jsonl.gz"}) {
    auto path = testing::SharedCurves(file);
    if (!path) continue;
    SchedulerBenchOptions o;
    o.curves = *path;
    if (const char* w = std::getenv("CAIRN_BENCH_WORKERS")) o.workers = std::atoi(w);
    auto r = RunSchedulerBench(o, [](std::string s) { std::printf("  %s\n", s.c_str()); });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::printf("%s\n%s\n", RenderBenchTable(*r, nullptr).c_str(), r->dump(1).c_str());
  }
}

}  // namespace
}  // namespace cairn
