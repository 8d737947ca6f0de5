// Parameters as regressors: the encoding, the ridge links of PredictStats,
// and the predictive rule ranking a rung by what trials are predicted to reach.
#include <cmath>

#include <gtest/gtest.h>

#include "cairn/schedule/param_features.h"
#include "cairn/schedule/predict_stats.h"
#include "cairn/schedule/predictive.h"
#include "schedule/scheduler_test_util.h"

namespace cairn::testing {
namespace {

using schedule::ParamFeatures;
using schedule::PredictStats;
using schedule::PredictStatsOptions;

SearchSpace MixedSpace() {
  SearchSpace space;
  space.params.push_back({.name = "lr", .kind = ParamKind::kFloat, .low = 1e-4, .high = 1e-1, .log = true});
  space.params.push_back({.name = "width", .kind = ParamKind::kInt, .low = 16, .high = 272});
  space.params.push_back({.name = "opt", .kind = ParamKind::kCategorical,
                          .choices = {std::string("sgd"), std::string("adam"), std::string("rmsprop")}});
  ParamSpec arch{.name = "arch", .kind = ParamKind::kCategorical};
  for (int i = 0; i < 20; ++i) arch.choices.push_back("cell" + std::to_string(i));
  space.params.push_back(arch);
  return space;
}

TEST(ParamFeatures, ScalesNumbersIntoTheirRangeAndOneHotsShortChoiceLists) {
  ParamFeatures f(MixedSpace());
  // The 20-choice label is left out; "sgd", the first choice, has no column.
  EXPECT_EQ(f.Names(), (std::vector<std::string>{"lr", "width", "opt=adam", "opt=rmsprop"}));
  std::vector<double> row = f.Encode({{"lr", 1e-2}, {"width", int64_t{144}}, {"opt", std::string("rmsprop")},
                                      {"arch", std::string("cell3")}});
  ASSERT_EQ(row.size(), 4u);
  EXPECT_NEAR(row[0], 2.0 / 3.0, 1e-12);  // 1e-2 is two thirds of the way from 1e-4 to 1e-1 in log space
  EXPECT_NEAR(row[1], 0.5, 1e-12);
  EXPECT_EQ(row[2], 0.0);
  EXPECT_EQ(row[3], 1.0);
  // What a replay tells the user the rule reads, and what it leaves out.
  EXPECT_EQ(f.Read(), (std::vector<std::string>{"lr (log)", "width", "opt (3 choices)"}));
  EXPECT_EQ(f.LeftOut(), (std::vector<std::string>{"arch (20 choices)"}));
}

TEST(ParamFeatures, AMissingParameterIsZeroInAllItsColumns) {
  ParamFeatures f(MixedSpace());
  EXPECT_EQ(f.Encode({{"lr", 1e-1}}), (std::vector<double>{1.0, 0.0, 0.0, 0.0}));
  EXPECT_EQ(f.Encode({}), (std::vector<double>(4, 0.0)));
}

TEST(ParamFeatures, AParameterWithOneValueSaysNothing) {
  SearchSpace space;
  space.params.push_back({.name = "fixed", .kind = ParamKind::kFloat, .low = 2, .high = 2});
  space.params.push_back({.name = "only", .kind = ParamKind::kCategorical, .choices = {int64_t{1}}});
  EXPECT_EQ(ParamFeatures(space).size(), 0u);
  EXPECT_EQ(ParamFeatures(space).LeftOut(), (std::vector<std::string>{"fixed (one value)", "only (one value)"}));
}

TEST(ParamFeatures, ARangeWiderThanADoubleHoldsIsLeftOut) {
  // A curve file's values from -1e308 to 1e308: high - low overflows, and
  // scaling the ends gave NaN features (a NaN P, so no stop at all).
  SearchSpace space;
  space.params.push_back({.name = "h", .kind = ParamKind::kFloat, .low = -1e308, .high = 1e308});
  space.params.push_back({.name = "ok", .kind = ParamKind::kFloat, .low = -1e307, .high = 1e307});
  ParamFeatures f(space);
  EXPECT_EQ(f.Names(), (std::vector<std::string>{"ok"}));
  EXPECT_EQ(f.LeftOut(), (std::vector<std::string>{"h (range too wide)"}));
  EXPECT_EQ(f.Encode({{"h", 1e308}, {"ok", 1e307}}), (std::vector<double>{1.0}));
}

// Completed curves of two kinds: a "wide" parameter adds `gain` to the final
// whatever the level at step 1.
PredictStats StatsWithAParameterEffect(double gain, int trials) {
  PredictStats stats(PredictStatsOptions{.features = 1});
  for (int i = 0; i < trials; ++i) {
    const double wide = i % 2;
    const double level = 0.2 + 0.01 * (i % 7);
    const double final_value = 0.5 + level + gain * wide + 0.002 * ((i % 3) - 1);
    stats.AddCompleted({1, 2}, {level, final_value}, final_value, {wide});
  }
  return stats;
}

TEST(PredictStats, WithEnoughTrialsAParameterShiftsThePrediction) {
  PredictStats stats = StatsWithAParameterEffect(0.3, 24);
  auto narrow = stats.Predict(1, 0.23, 0.0, {0.0});
  auto wide = stats.Predict(1, 0.23, 0.0, {1.0});
  ASSERT_TRUE(narrow && wide);
  EXPECT_NEAR(narrow->mean, 0.73, 0.02);
  EXPECT_NEAR(wide->mean, 1.03, 0.02);
  // Without features the line on the level alone averages the two kinds.
  auto blind = stats.Predict(1, 0.23);
  ASSERT_TRUE(blind);
  EXPECT_NEAR(blind->mean, 0.88, 0.05);
  EXPECT_GT(blind->scale, 3 * wide->scale);
}

TEST(PredictStats, FewTrialsPerCoefficientFallBackToTheLine) {
  // Two coefficients (level, wide) need 2 * (2 + 1) = 6 trials.
  PredictStats stats = StatsWithAParameterEffect(0.3, 5);
  auto wide = stats.Predict(1, 0.23, 0.0, {1.0});
  auto blind = stats.Predict(1, 0.23);
  ASSERT_TRUE(wide && blind);
  EXPECT_DOUBLE_EQ(wide->mean, blind->mean);
  EXPECT_TRUE(stats.ScoreAhead(1, {0.23}, {{1.0}}).empty());
}

TEST(PredictStats, ScoresRankWhatTrialsArePredictedToReach) {
  PredictStats stats = StatsWithAParameterEffect(0.3, 24);
  // A wide trial behind by 0.1 at step 1 is ahead by 0.2 at the end.
  std::vector<double> scores = stats.ScoreAhead(1, {0.2, 0.3}, {{1.0}, {0.0}});
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_NEAR(scores[0] - scores[1], 0.2, 0.03);
  auto p = stats.Predict(1, 0.2, 0.0, {1.0});
  ASSERT_TRUE(p);
  EXPECT_NEAR(scores[0], p->mean, 1e-9);  // one walk, the same number
}

TEST(PredictStats, EqualLevelsFallBackToTheLineNotToRoundingNoise) {
  // Every trial at level 22.8 (a value whose square is not exact): the
  // centred sum of the level is rounding noise; a plane on it once gave a
  // negative leverage and a NaN interval.
  PredictStats stats(PredictStatsOptions{.features = 1});
  for (int i = 0; i < 40; ++i) {
    const double f = (i % 5) / 4.0;
    stats.AddCompleted({1, 2}, {22.8, 40 + 10 * f}, 40 + 10 * f + 0.01 * (i % 3), {f});
  }
  auto p = stats.Predict(1, 30.0, 0.0, {0.5});
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::isfinite(p->mean));
  EXPECT_TRUE(std::isfinite(p->scale));
  EXPECT_GT(p->scale, 0.0);
  EXPECT_LT(p->scale, 10.0);
}

TEST(PredictStats, AFeatureNoTrialVariedIsLeftOutNotABlownUpInterval) {
  // The second feature (a category none of the completed trials had) is 0
  // for all of them; a trial that has it must get an ordinary interval.
  PredictStats stats(PredictStatsOptions{.features = 2});
  for (int i = 0; i < 30; ++i) {
    const double wide = i % 2, level = 0.2 + 0.01 * (i % 7);
    const double final_value = 0.5 + level + 0.3 * wide + 0.002 * ((i % 3) - 1);
    stats.AddCompleted({1, 2}, {level, final_value}, final_value, {wide, 0.0});
  }
  auto seen = stats.Predict(1, 0.23, 0.0, {1.0, 0.0});
  auto unseen = stats.Predict(1, 0.23, 0.0, {1.0, 1.0});
  ASSERT_TRUE(seen && unseen);
  EXPECT_NEAR(unseen->mean, seen->mean, 1e-9);  // nothing learned about it, nothing added
  EXPECT_NEAR(unseen->scale, seen->scale, 1e-9);
}

// A study where wide networks learn late: at step 1 they sit below every
// narrow one, and they end on top, each a little better than the last (so
// every wide trial may become the best and none is hopeless).
std::vector<double> Narrow(int i) {
  std::vector<double> v;
  for (int s = 1; s <= 27; ++s) v.push_back(0.40 + 0.003 * (i % 5) + 0.10 * (1 - std::exp(-s / 3.0)));
  return v;
}
std::vector<double> Wide(int i) {
  std::vector<double> v;
  for (int s = 1; s <= 27; ++s) v.push_back(0.10 + 0.003 * i + 0.6 * (1 - std::exp(-s / 6.0)));
  return v;
}

// Runs 60 trials, every third wide; returns how many wide trials after the
// 30th ran to their end.
int LateWideTrialsFinished(const std::string& params_option) {
  SearchSpace space;
  space.params.push_back({.name = "width", .kind = ParamKind::kInt, .low = 64, .high = 512, .log = true});
  auto s = Make("predictive", {.direction = Direction::kMaximize, .max_steps = 27, .seed = 1, .space = space},
                {{"params", params_option}});
  int finished = 0;
  for (int i = 0; i < 60; ++i) {
    const bool wide = i % 3 == 0;
    // The first wide trials run to their end whatever the rule says (as a
    // user's first trials, or those another rule let through): the study has
    // seen what width does.
    const std::vector<double> curve = wide ? Wide(i) : Narrow(i);
    const Params params{{"width", int64_t{wide ? 512 : 64}}};
    if (i < 12) {
      s->OnTrialStart(i, params);
      for (int step = 1; step <= 27; ++step) (void)s->OnReport(i, step, curve[step - 1]);
      s->OnTrialEnd(i, TrialState::kCompleted);
      continue;
    }
    const int64_t stopped_at = RunTrial(*s, i, curve, nullptr, params);
    if (wide && i >= 30 && stopped_at == 0) ++finished;
  }
  return finished;
}

TEST(PredictiveParams, ARungKeepsTheLateLearnersItsParametersPredict) {
  // Wide trials 30..57: 10 of them. Ranked by value at step 1 they lose the
  // first rung to the narrow ones; ranked by what they are predicted to reach
  // they win it.
  EXPECT_EQ(LateWideTrialsFinished("ignore"), 0);
  EXPECT_EQ(LateWideTrialsFinished("use"), 10);
}

TEST(PredictiveParams, SaysWhenARungRanksByPrediction) {
  SearchSpace space;
  space.params.push_back({.name = "width", .kind = ParamKind::kInt, .low = 64, .high = 512, .log = true});
  // Predictions wait for 50 completed trials: the rungs decide alone.
  auto s = Make("predictive", {.direction = Direction::kMaximize, .max_steps = 27, .seed = 1, .space = space},
                {{"min_completed", 50}});
  for (int i = 0; i < 12; ++i) {
    const bool wide = i % 3 == 0;
    const std::vector<double> curve = wide ? Wide(i) : Narrow(i);
    s->OnTrialStart(i, {{"width", int64_t{wide ? 512 : 64}}});
    for (int step = 1; step <= 27; ++step) (void)s->OnReport(i, step, curve[step - 1]);
    s->OnTrialEnd(i, TrialState::kCompleted);
  }
  // A narrow trial below the others at step 1.
  Decision last;
  std::vector<double> poor = Narrow(0);
  for (double& v : poor) v -= 0.05;
  ASSERT_GT(RunTrial(*s, 100, poor, &last, {{"width", int64_t{64}}}), 0);
  EXPECT_NE(last.reason.find("ranked by the value each is predicted to reach"), std::string::npos) << last.reason;
}

TEST(PredictiveParams, TheOptionIsCheckedAndReported) {
  nlohmann::json settings;
  ASSERT_TRUE(MakeScheduler("predictive", {}, {}, &settings).ok());
  EXPECT_EQ(settings["params"], "use");
  auto bad = MakeScheduler("predictive", {}, {{"params", "maybe"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("params"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace cairn::testing
