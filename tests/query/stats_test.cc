// ComputeStats on constructed trials: counts, hours, GPU-hours, hours saved
// by early stopping, model sizes, best results and days.
#include <limits>

#include <gtest/gtest.h>

#include "cairn/stats.h"
#include "query/query_fixture.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

const json& StudyOf(const json& stats, const std::string& name) {
  for (const auto& s : stats["studies"]) {
    if (s["study"] == name) return s;
  }
  static const json kNull;
  ADD_FAILURE() << "no study " << name;
  return kNull;
}

class StatsTest : public QueryStoreTest {};

TEST_F(StatsTest, NumbersOfTheFixtureStore) {
  auto index = TrialIndex::Build(*store_);
  ASSERT_TRUE(index.ok());
  json stats = ComputeStats(*index);
  const json& d = StudyOf(stats, "digits");
  EXPECT_EQ(d["trials"], 4);
  EXPECT_EQ(d["models_trained"], 4);
  EXPECT_EQ(d["states"], (json{{"completed", 2}, {"stopped", 1}, {"failed", 1}}));
  EXPECT_DOUBLE_EQ(d["compute_hours"].get<double>(), 3500.0 / 3600);
  EXPECT_DOUBLE_EQ(d["gpu_hours"].get<double>(), 2500.0 / 3600);  // the failed trial had no GPU
  // Stopped at 5 of budget.max_steps = 20 steps, 100 s per step.
  EXPECT_DOUBLE_EQ(d["saved_hours"].get<double>(), 1500.0 / 3600);
  EXPECT_EQ(d["best"], (json{{"number", 0}, {"value", 0.95}}));
  EXPECT_EQ(d["model_size"]["source"], "artifact bytes");  // stdout.log is not the model
  EXPECT_DOUBLE_EQ(d["model_size"]["median"].get<double>(), 4002);
  EXPECT_DOUBLE_EQ(d["model_size"]["max"].get<double>(), 4003);
  const json& m = StudyOf(stats, "mnist");
  EXPECT_EQ(m["model_size"]["source"], "metric n_params");
  EXPECT_DOUBLE_EQ(m["model_size"]["median"].get<double>(), 123456);
  EXPECT_EQ(m["best"]["value"], 0.2);
  EXPECT_EQ(stats["per_day"], (json{{{"day", "2026-10-31"}, {"models_trained", 1}, {"compute_hours", 500.0 / 3600}},
                                    {{"day", "2026-11-01"}, {"models_trained", 3}, {"compute_hours", 3000.0 / 3600}},
                                    {{"day", "2026-11-02"}, {"models_trained", 1}, {"compute_hours", 0.5}}}));
  EXPECT_EQ(stats["total"]["trials"], 5);
  EXPECT_DOUBLE_EQ(stats["total"]["compute_hours"].get<double>(), 5300.0 / 3600);
  std::string text = RenderStats(stats);
  EXPECT_NE(text.find("total: 5 trials, 5 models trained, 1.47 compute hours (0.69 GPU-hours), 0.42 hours saved"),
            std::string::npos) << text;
}

TEST(StatsConstructed, SavedHoursUseTheMedianCompletedStepsWithoutABudget) {
  TrialIndex index(nullptr);
  StudyRecord study{.name = "s", .objective = "loss", .direction = Direction::kMinimize};
  std::vector<TrialRecord> trials;
  auto add = [&](TrialState state, int64_t steps, double seconds, std::optional<double> value, int gpus) {
    TrialRecord t{.number = static_cast<int>(trials.size()), .state = state, .value = value, .steps = steps};
    t.started_at = 1000.0;
    t.ended_at = 1000.0 + seconds;
    t.attrs["gpus"] = json::array();
    for (int g = 0; g < gpus; ++g) t.attrs["gpus"].push_back(g);
    trials.push_back(t);
  };
  add(TrialState::kCompleted, 10, 360, 0.5, 2);
  add(TrialState::kCompleted, 20, 720, 0.3, 2);
  add(TrialState::kCompleted, 30, 1080, 0.4, 2);
  add(TrialState::kStopped, 4, 400, 0.9, 1);     // (20 - 4) x 100 s = 1600 s saved
  add(TrialState::kStopped, 25, 250, 0.9, 1);    // past the median: nothing saved
  add(TrialState::kRunning, 3, 0, std::nullopt, 1);
  trials.back().ended_at.reset();
  add(TrialState::kFailed, 0, 36, std::nullopt, 1);  // crashed before its first report: no model, but 36 s
  // Reported only NaN (then stopped for it): no model either, but 12 s. Its
  // summary as the coordinator writes it, the NaN spelled out, and one
  // model size that is NaN, which is no size.
  add(TrialState::kFailed, 1, 12, std::numeric_limits<double>::quiet_NaN(), 1);
  trials.back().attrs["metrics"] = {
      {"loss", {{"steps", 1}, {"last", "nan"}, {"min", nullptr}, {"max", nullptr}, {"nonfinite", 1}}},
      {"n_params", {{"steps", 1}, {"last", "nan"}, {"min", nullptr}, {"max", nullptr}, {"nonfinite", 1}}}};
  ASSERT_TRUE(index.AddStudy(study, trials).ok());
  json stats = ComputeStats(index);
  json s = stats["studies"][0];
  EXPECT_EQ(s["target_steps"], 20.0);
  EXPECT_DOUBLE_EQ(s["saved_hours"].get<double>(), 1600.0 / 3600);
  EXPECT_EQ(s["models_trained"], 5);
  EXPECT_EQ(stats["per_day"][0]["models_trained"], 5);
  EXPECT_DOUBLE_EQ(s["compute_hours"].get<double>(), (360 + 720 + 1080 + 400 + 250 + 36 + 12) / 3600.0);
  EXPECT_DOUBLE_EQ(s["gpu_hours"].get<double>(), (2 * (360 + 720 + 1080) + 400 + 250 + 36 + 12) / 3600.0);
  EXPECT_EQ(s["best"], (json{{"number", 1}, {"value", 0.3}}));  // minimize; stopped trials do not count
  EXPECT_TRUE(s["model_size"].is_null());
}

// A short trial's start-up (loading data before its first step) is not part
// of its pace: the steps it did not run would have cost their pace only.
TEST(StatsConstructed, SavedHoursLeaveOutTheStartUpBeforeTheFirstReport) {
  TrialIndex index(nullptr);
  StudyRecord study{.name = "s", .objective = "acc", .direction = Direction::kMaximize};
  study.spec_json = {{"budget", {{"max_steps", 50}}}};
  std::vector<TrialRecord> trials;
  // Each trial starts up for 20 s, then reports one step every `pace` s.
  auto add = [&](TrialState state, int64_t steps, double pace, bool with_times) {
    TrialRecord t{.number = static_cast<int>(trials.size()), .state = state, .value = 0.5, .steps = steps};
    t.started_at = 1000.0;
    t.ended_at = 1000.0 + 20 + pace * static_cast<double>(steps);
    json m = {{"steps", steps}, {"last", 0.5}, {"min", 0.1}, {"max", 0.5}};
    if (with_times) {
      m["first_at"] = 1000.0 + 20 + pace;
      m["last_at"] = *t.ended_at;
    }
    t.attrs["metrics"] = {{"acc", m}};
    trials.push_back(t);
  };
  add(TrialState::kCompleted, 50, 2.0, true);
  add(TrialState::kStopped, 5, 4.0, true);   // its own pace: 45 x 4 s
  add(TrialState::kStopped, 1, 9.0, true);   // one report, no pace: the study's median (3 s) x 49
  add(TrialState::kStopped, 10, 1.0, false);  // no report times (older record): the study pace x 40
  ASSERT_TRUE(index.AddStudy(study, trials).ok());
  json s = ComputeStats(index)["studies"][0];
  EXPECT_NEAR(s["saved_hours"].get<double>(), (45 * 4.0 + 49 * 3.0 + 40 * 3.0) / 3600, 1e-12);
  // A study of seconds shows its hours to two significant digits, not 0.00.
  json small = {{"studies", json::array()}, {"per_day", json::array()},
                {"total", {{"trials", 3}, {"models_trained", 3}, {"compute_hours", 0.0109}, {"gpu_hours", 0.0},
                           {"saved_hours", 0.000912}}}};
  EXPECT_NE(RenderStats(small).find("0.01 compute hours (0.00 GPU-hours), 0.00091 hours saved"), std::string::npos)
      << RenderStats(small);
}

// A program that evaluates every 10th step: steps reached and pace are in
// the study's step units, not in reports.
TEST(StatsConstructed, SavedHoursCountStepsNotReportsForSparseReports) {
  TrialIndex index(nullptr);
  StudyRecord study{.name = "s", .objective = "acc", .direction = Direction::kMaximize};
  study.spec_json = {{"budget", {{"max_steps", 100}}}};
  std::vector<TrialRecord> trials;
  // Reports at steps 10, 20, ..., each 10 steps of 1 s apart.
  auto add = [&](TrialState state, int64_t last_step) {
    const int64_t reports = last_step / 10;
    TrialRecord t{.number = static_cast<int>(trials.size()), .state = state, .value = 0.5, .steps = reports};
    t.started_at = 1000.0;
    t.ended_at = 1000.0 + static_cast<double>(last_step);
    t.attrs["metrics"] = {{"acc", {{"steps", reports}, {"last", 0.5}, {"min", 0.1}, {"max", 0.5},
                                   {"first_at", 1010.0}, {"last_at", *t.ended_at},
                                   {"first_step", 10}, {"last_step", last_step}}}};
    trials.push_back(t);
  };
  add(TrialState::kCompleted, 100);
  add(TrialState::kStopped, 30);  // 70 steps of 1 s not run
  ASSERT_TRUE(index.AddStudy(study, trials).ok());
  json s = ComputeStats(index)["studies"][0];
  EXPECT_NEAR(s["saved_hours"].get<double>(), 70.0 / 3600, 1e-12)
      << "counted in reports it would be (100 - 3) x 10 s";
}

}  // namespace
}  // namespace cairn::testing
