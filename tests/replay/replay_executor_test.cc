#include "cairn/replay_executor.h"

#include <chrono>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "replay/replay_testing.h"

namespace cairn {
namespace {

using testing::kNull;
using testing::MakeCurve;
using testing::Share;

LaunchRequest ByIndex(int64_t id, size_t curve) {
  LaunchRequest r;
  r.trial_id = id;
  r.number = static_cast<int>(id);
  r.env[kReplayCurveEnv] = std::to_string(curve);
  return r;
}

LaunchRequest ByParams(int64_t id, Params params) {
  LaunchRequest r;
  r.trial_id = id;
  r.params = std::move(params);
  return r;
}

// "r<id>:<step>@<time>" / "x<id>:<kind>@<time>" for compact comparisons.
std::string Describe(const ExecutorEvent& e) {
  if (auto* r = std::get_if<ReportEvent>(&e)) {
    double v = r->metrics.begin()->second;
    return "r" + std::to_string(r->trial_id) + ":" + std::to_string(*r->step) + "=" +
           (std::isnan(v) ? std::string("nan") : std::to_string(static_cast<int>(v))) + "@" +
           std::to_string(static_cast<int>(r->time));
  }
  const auto& x = std::get<ExitEvent>(e);
  return "x" + std::to_string(x.trial_id) + ":" +
         (x.kind == ExitKind::kExited ? "exit" : x.kind == ExitKind::kStopped ? "stop" : "?") + "@" +
         std::to_string(static_cast<int>(x.time));
}

std::vector<std::string> Drain(ReplayExecutor& ex, std::vector<size_t>* batch_sizes = nullptr) {
  std::vector<std::string> out;
  while (ex.Running() > 0) {
    auto events = ex.Poll(std::nullopt);
    if (batch_sizes) batch_sizes->push_back(events.size());
    for (const auto& e : events) out.push_back(Describe(e));
  }
  return out;
}

TEST(ReplayExecutor, ReportsEachStepAtCumulativeTimesThenExits) {
  auto curves = Share({MakeCurve("a", {10, kNull, 30}, {2, 3, 4}),
                       MakeCurve("b", {7, 8}, {})});  // no timings: one unit per step
  SimulatedClock clock(100.0);
  ReplayExecutor ex(curves, &clock);
  ASSERT_TRUE(ex.Launch(ByIndex(1, 0)).ok());
  ASSERT_TRUE(ex.Launch(ByIndex(2, 1)).ok());
  EXPECT_EQ(ex.Running(), 2);
  std::vector<size_t> batches;
  EXPECT_EQ(Drain(ex, &batches),
            (std::vector<std::string>{"r2:1=7@101", "r1:1=10@102", "r2:2=8@102", "x2:exit@102",
                                      "r1:2=nan@105", "r1:3=30@109", "x1:exit@109"}));
  // One batch per distinct time: 101, 102, 105, 109.
  EXPECT_EQ(batches, (std::vector<size_t>{1, 3, 1, 2}));
  EXPECT_DOUBLE_EQ(clock.Now(), 109.0);
  EXPECT_EQ(ex.Running(), 0);
  EXPECT_TRUE(ex.Poll(std::nullopt).empty());
}

TEST(ReplayExecutor, ReportsUseTheCurveMetricOrTheConfiguredKey) {
  auto curves = Share({MakeCurve("a", {1}, {})});
  SimulatedClock clock;
  ReplayExecutor plain(curves, &clock);
  ASSERT_TRUE(plain.Launch(ByIndex(1, 0)).ok());
  auto events = plain.Poll(std::nullopt);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(std::get<ReportEvent>(events[0]).metrics.count("acc"), 1u);
  ReplayExecutor keyed(curves, &clock, {.metric_key = "loss"});
  ASSERT_TRUE(keyed.Launch(ByIndex(1, 0)).ok());
  events = keyed.Poll(std::nullopt);
  EXPECT_EQ(std::get<ReportEvent>(events[0]).metrics.count("loss"), 1u);
}

TEST(ReplayExecutor, StopCancelsTheRestAndExitsNow) {
  auto curves = Share({MakeCurve("a", {1, 2, 3, 4}, {}), MakeCurve("b", {5, 6, 7, 8}, {})});
  SimulatedClock clock;
  ReplayExecutor ex(curves, &clock);
  ASSERT_TRUE(ex.Launch(ByIndex(1, 0)).ok());
  ASSERT_TRUE(ex.Launch(ByIndex(2, 1)).ok());
  std::vector<std::string> seen;
  for (int i = 0; i < 2; ++i) {
    for (const auto& e : ex.Poll(std::nullopt)) seen.push_back(Describe(e));
  }
  ex.Stop(1);
  ex.Stop(1);   // a second stop is a no-op
  ex.Stop(99);  // unknown: no-op
  auto rest = Drain(ex);
  seen.insert(seen.end(), rest.begin(), rest.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"r1:1=1@1", "r2:1=5@1", "r1:2=2@2", "r2:2=6@2",
                                            "x1:stop@2", "r2:3=7@3", "r2:4=8@4", "x2:exit@4"}));
  ex.Stop(2);  // already exited: no-op
  EXPECT_TRUE(ex.Poll(std::nullopt).empty());
}

TEST(ReplayExecutor, StoppedExitCarriesKindAndMessage) {
  auto curves = Share({MakeCurve("a", {1, 2, 3}, {})});
  SimulatedClock clock;
  ReplayExecutor ex(curves, &clock);
  ASSERT_TRUE(ex.Launch(ByIndex(5, 0)).ok());
  (void)ex.Poll(std::nullopt);
  ex.Stop(5);
  auto events = ex.Poll(std::nullopt);
  ASSERT_EQ(events.size(), 1u);
  const auto& exit = std::get<ExitEvent>(events[0]);
  EXPECT_EQ(exit.kind, ExitKind::kStopped);
  EXPECT_FALSE(exit.exit_code.has_value());
  EXPECT_DOUBLE_EQ(exit.time, 1.0);
  EXPECT_NE(exit.message.find("1 of 3"), std::string::npos) << exit.message;
}

TEST(ReplayExecutor, MaxStepsTruncates) {
  auto curves = Share({MakeCurve("a", {1, 2, 3, 4, 5}, {})});
  SimulatedClock clock;
  ReplayExecutor ex(curves, &clock, {.max_steps = 2});
  ASSERT_TRUE(ex.Launch(ByIndex(1, 0)).ok());
  EXPECT_EQ(Drain(ex), (std::vector<std::string>{"r1:1=1@1", "r1:2=2@2", "x1:exit@2"}));
}

TEST(ReplayExecutor, LaunchErrors) {
  auto curves = Share({MakeCurve("a", {1}, {})});
  SimulatedClock clock;
  ReplayExecutor ex(curves, &clock);
  EXPECT_EQ(ex.Launch(ByIndex(1, 3)).code(), StatusCode::kInvalidArgument);  // out of range
  LaunchRequest bad = ByIndex(1, 0);
  bad.env[kReplayCurveEnv] = "x1";
  EXPECT_EQ(ex.Launch(bad).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(ex.Launch(ByIndex(1, 0)).ok());
  EXPECT_EQ(ex.Launch(ByIndex(1, 0)).code(), StatusCode::kInvalidArgument);  // already running
  EXPECT_EQ(ex.Running(), 1);
}

TEST(ReplayExecutor, LooksUpExactThenNearestParameters) {
  auto curves = Share({
      MakeCurve("a", {1}, {}, {{"lr", 1e-4}, {"opt", std::string("sgd")}, {"width", int64_t{16}}}),
      MakeCurve("b", {2}, {}, {{"lr", 1e-1}, {"opt", std::string("sgd")}, {"width", int64_t{16}}}),
      MakeCurve("c", {3}, {}, {{"lr", 1e-2}, {"opt", std::string("adam")}, {"width", int64_t{256}}}),
  });
  auto lookup = MakeDefaultCurveLookup(curves);
  // Exact, with an integer given as a double.
  auto exact = lookup(ByParams(1, {{"lr", 1e-1}, {"opt", std::string("sgd")}, {"width", 16.0}}));
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(*exact, 1u);
  // lr is compared in log space: 2e-4 is nearest to 1e-4, not to 1e-2.
  auto near_a = lookup(ByParams(2, {{"lr", 2e-4}, {"opt", std::string("sgd")}, {"width", int64_t{16}}}));
  ASSERT_TRUE(near_a.ok());
  EXPECT_EQ(*near_a, 0u);
  // A differing category weighs as much as the whole range of a number.
  auto near_c = lookup(ByParams(3, {{"lr", 1e-2}, {"opt", std::string("adam")}, {"width", int64_t{200}}}));
  ASSERT_TRUE(near_c.ok());
  EXPECT_EQ(*near_c, 2u);
  // The explicit index wins over parameters.
  LaunchRequest both = ByIndex(4, 2);
  both.params = {{"lr", 1e-4}, {"opt", std::string("sgd")}, {"width", int64_t{16}}};
  EXPECT_EQ(*lookup(both), 2u);
  // The executor uses the same lookup by default.
  SimulatedClock clock;
  ReplayExecutor ex(curves, &clock);
  ASSERT_TRUE(ex.Launch(ByParams(7, {{"lr", 0.09}, {"opt", std::string("sgd")}, {"width", int64_t{16}}})).ok());
  EXPECT_EQ(ex.CurveOf(7), 1u);
}

TEST(ReplayExecutor, IsDeterministic) {
  std::vector<CurveRecord> list;
  for (int i = 0; i < 20; ++i) {
    std::vector<double> values, seconds;
    for (int s = 0; s < 10; ++s) {
      values.push_back(i * 10 + s);
      seconds.push_back(1 + (i * 7 + s * 3) % 4);  // many equal times
    }
    list.push_back(MakeCurve("c" + std::to_string(i), values, seconds));
  }
  auto curves = Share(std::move(list));
  auto run = [&] {
    SimulatedClock clock;
    ReplayExecutor ex(curves, &clock);
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(ex.Launch(ByIndex(100 - i, i)).ok());
    std::vector<std::string> log;
    while (ex.Running() > 0) {
      for (const auto& e : ex.Poll(std::nullopt)) {
        log.push_back(Describe(e));
        if (auto* r = std::get_if<ReportEvent>(&e); r && r->trial_id % 3 == 0 && *r->step == 4) {
          ex.Stop(r->trial_id);
        }
      }
    }
    return log;
  };
  auto first = run();
  EXPECT_EQ(first, run());
  EXPECT_GT(first.size(), 150u);
}

TEST(ReplayExecutor, TenThousandTrialsReplayQuickly) {
  std::vector<CurveRecord> list;
  for (int i = 0; i < 100; ++i) {
    std::vector<double> values(100), seconds(100);
    for (int s = 0; s < 100; ++s) {
      values[s] = s * 0.01 + i;
      seconds[s] = 0.5 + ((i + s) % 7) * 0.1;
    }
    list.push_back(MakeCurve("c" + std::to_string(i), values, seconds));
  }
  auto curves = Share(std::move(list));
  SimulatedClock clock;
  ReplayExecutor ex(curves, &clock);
  const int kTrials = 10000, kWorkers = 64;
  int launched = 0, reports = 0, exits = 0;
  auto start = std::chrono::steady_clock::now();
  auto launch = [&] {
    EXPECT_TRUE(ex.Launch(ByIndex(launched, launched % 100)).ok());
    ++launched;
  };
  while (launched < kWorkers) launch();
  while (ex.Running() > 0) {
    for (const auto& e : ex.Poll(std::nullopt)) {
      if (std::holds_alternative<ReportEvent>(e)) {
        ++reports;
      } else {
        ++exits;
        if (launched < kTrials) launch();
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(reports, kTrials * 100);
  EXPECT_EQ(exits, kTrials);
  // Reported for the record; no assertion on wall time.
  RecordProperty("replay_seconds", std::to_string(secs));
  std::printf("[ replay ] %d trials x 100 steps, %d workers: %.3f s\n", kTrials, kWorkers, secs);
}

}  // namespace
}  // namespace cairn
