// none, median, asha and hyperband on constructed curves: exactly which trial
// stops at which step.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cairn/schedule/hyperband.h"
#include "schedule/scheduler_test_util.h"

namespace cairn::testing {
namespace {

TEST(Factory, RejectsUnknownNamesAndOptions) {
  SchedulerContext ctx;
  EXPECT_EQ(MakeScheduler("nope", ctx).status().code(), StatusCode::kInvalidArgument);
  auto bad = MakeScheduler("median", ctx, {{"warmup", 3}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("warmup"), std::string::npos);
  EXPECT_FALSE(MakeScheduler("asha", ctx, {{"reduction_factor", 1}}).ok());
  EXPECT_FALSE(MakeScheduler("asha", ctx, {{"min_resource", "sometimes"}}).ok());
  EXPECT_FALSE(MakeScheduler("predictive", ctx, {{"p_min", 2.0}}).ok());
  EXPECT_FALSE(MakeScheduler("predictive", ctx, {{"rung_count", "all"}}).ok());
  EXPECT_FALSE(MakeScheduler("median", ctx, nlohmann::json::array()).ok());
  for (const char* name : {"none", "median", "asha", "hyperband", "predictive"}) {
    auto s = MakeScheduler(name, ctx);
    ASSERT_TRUE(s.ok()) << name;
    EXPECT_EQ((*s)->Name(), name);
  }
}

// An integer option beyond 64 bits is refused with the value written, not
// wrapped into a negative number (or cast with undefined behaviour).
TEST(Factory, IntegerOptionsOutOfRangeSayWhatWasWritten) {
  SchedulerContext ctx;
  const nlohmann::json huge[] = {nlohmann::json(1e30), nlohmann::json(uint64_t{9223372036854775808ULL}),
                                 nlohmann::json::parse("18446744073709551621"), nlohmann::json(-1e300)};
  for (const nlohmann::json& v : huge) {
    auto made = MakeScheduler("median", ctx, {{"startup_trials", v}});
    ASSERT_FALSE(made.ok()) << v.dump();
    EXPECT_NE(made.status().message().find("startup_trials: " + v.dump() + " is out of range for an integer option"),
              std::string::npos)
        << made.status().message();
  }
  EXPECT_FALSE(MakeScheduler("asha", ctx, {{"min_resource", 1e300}}).ok());
  EXPECT_TRUE(MakeScheduler("median", ctx, {{"startup_trials", 4.0}}).ok()) << "4.0 is 4";
}

// A first rung at or past max_steps would judge no trial (no rule stops a
// trial at max_steps): refused, not run as a rule that never stops anything.
TEST(Factory, AFirstRungAtOrPastMaxStepsIsRefused) {
  const SchedulerContext ctx{.direction = Direction::kMaximize, .max_steps = 30};
  for (const char* name : {"asha", "hyperband"}) {
    for (int first : {50, 30}) {
      auto made = MakeScheduler(name, ctx, {{"min_resource", first}});
      ASSERT_FALSE(made.ok()) << name;
      EXPECT_NE(made.status().message().find(fmt::format("{} scheduler option min_resource: {} is not before the "
                                                         "study's max_steps 30",
                                                         name, first)),
                std::string::npos)
          << made.status().message();
    }
    EXPECT_TRUE(MakeScheduler(name, ctx, {{"min_resource", 29}}).ok()) << name;
    EXPECT_TRUE(MakeScheduler(name, SchedulerContext{}, {{"min_resource", 50}}).ok()) << "no max_steps known";
  }
  // hyperband's max_resource does not move its first rung: still refused.
  EXPECT_FALSE(MakeScheduler("hyperband", ctx, {{"min_resource", 50}, {"max_resource", 100}}).ok());
  EXPECT_TRUE(MakeScheduler("hyperband", ctx, {{"min_resource", 5}, {"max_resource", 100}}).ok());
}

// Rules decide before max_steps: a first decision at or past it is refused.
TEST(Factory, AFirstDecisionAtMaxStepsIsRefused) {
  const SchedulerContext ctx{.direction = Direction::kMaximize, .max_steps = 30};
  for (const auto& [name, option] : {std::pair{"median", "warmup_steps"}, std::pair{"predictive", "min_steps"}}) {
    auto made = MakeScheduler(name, ctx, {{option, 30}});
    ASSERT_FALSE(made.ok()) << name;
    EXPECT_NE(made.status().message().find(fmt::format("{} scheduler option {}: 30 is not before the study's "
                                                       "max_steps 30", name, option)),
              std::string::npos)
        << made.status().message();
    EXPECT_TRUE(MakeScheduler(name, ctx, {{option, 29}}).ok()) << name;
    EXPECT_TRUE(MakeScheduler(name, SchedulerContext{}, {{option, 50}}).ok()) << "no max_steps known";
  }
  // The defaults stand in a study of one step.
  const SchedulerContext one{.direction = Direction::kMaximize, .max_steps = 1};
  for (const char* name : {"median", "predictive"}) EXPECT_TRUE(MakeScheduler(name, one, {}).ok()) << name;
}

TEST(SchedulerSettings, ListEveryOptionWithTheValueInForce) {
  auto predictive = SchedulerSettings("predictive");
  ASSERT_TRUE(predictive.ok()) << predictive.status().ToString();
  EXPECT_EQ((*predictive)["p_min"], 0.1);
  EXPECT_EQ((*predictive)["rung_count"], "promoted");
  EXPECT_EQ((*predictive)["min_resource"], "auto");
  auto v4 = SchedulerSettings("predictive", {{"p_min", 0.05}, {"rung_count", "reached"}, {"min_resource", 2}});
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ((*v4)["p_min"], 0.05);
  EXPECT_EQ((*v4)["rung_count"], "reached");
  EXPECT_EQ((*v4)["min_resource"], 2);
  EXPECT_EQ(v4->size(), predictive->size());
  auto asha = SchedulerSettings("asha", {{"min_resource", 3}});
  ASSERT_TRUE(asha.ok());
  EXPECT_EQ((*asha)["min_resource"], 3);
  EXPECT_EQ((*asha)["reduction_factor"], 4);
  EXPECT_EQ(*SchedulerSettings("none"), nlohmann::json::object());
  // What MakeScheduler refuses, SchedulerSettings refuses.
  EXPECT_FALSE(SchedulerSettings("predictive", {{"p_min", 2.0}}).ok());
  EXPECT_FALSE(SchedulerSettings("no_such_rule").ok());
}

TEST(Decision, ToJsonCarriesThePrediction) {
  Decision d;
  d.action = Decision::Action::kStop;
  d.rule = "predictive";
  d.reason = "why";
  d.predicted = 0.7;
  d.lower = 0.6;
  d.upper = 0.8;
  d.probability = 0.01;
  nlohmann::json j = d.ToJson();
  EXPECT_EQ(j["action"], "stop");
  EXPECT_EQ(j["rule"], "predictive");
  EXPECT_DOUBLE_EQ(j["lower"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(j["probability"].get<double>(), 0.01);
  EXPECT_FALSE(Decision::Continue().ToJson().contains("predicted"));
}

TEST(None, NeverStops) {
  auto s = Make("none", {});
  EXPECT_EQ(RunTrial(*s, 0, Constant(10, 1.0)), 0);
  EXPECT_EQ(RunTrial(*s, 1, Constant(10, -1e9)), 0);
}

TEST(Median, WaitsForStartupTrialsThenStopsBelowTheMedian) {
  auto s = Make("median", {}, {{"startup_trials", 3}});
  // Completed trials at 1, 2, 3 at every step: the median is 2.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(RunTrial(*s, i, Constant(5, 1.0 + i)), 0);
  // Only two completed: a terrible trial still runs.
  EXPECT_EQ(RunTrial(*s, 2, Constant(5, 3.0)), 0);
  EXPECT_EQ(RunTrial(*s, 3, {2.0, 2.0, 1.5, 1.5, 1.5}), 0);  // best so far 2 = median: not worse
  EXPECT_EQ(RunTrial(*s, 4, {1.9, 5.0, 5.0}), 1);             // worse than 2 at step 1
}

TEST(Median, UsesBestSoFarAndOnlyCompletedTrials) {
  auto s = Make("median", {}, {{"startup_trials", 1}});
  EXPECT_EQ(RunTrial(*s, 0, {1.0, 1.0, 1.0, 1.0}), 0);
  // A stopped trial does not lower the bar: trial 1 stops at step 1 ...
  EXPECT_EQ(RunTrial(*s, 1, {0.5, 0.5, 0.5, 0.5}), 1);
  // ... and trial 2 (0.9 < 1.0) too, though it beats the stopped one.
  EXPECT_EQ(RunTrial(*s, 2, {0.9, 0.9}), 1);
  // Best so far counts: an early peak carries a dip.
  EXPECT_EQ(RunTrial(*s, 3, {1.2, 0.1, 0.1, 0.1}), 0);
}

TEST(Median, WarmupAndIntervalAndMinimize) {
  SchedulerContext min_ctx{.direction = Direction::kMinimize};
  auto s = Make("median", min_ctx, {{"startup_trials", 1}, {"warmup_steps", 2}, {"interval_steps", 2}});
  EXPECT_EQ(RunTrial(*s, 0, Constant(8, 1.0)), 0);
  // Loss 5 is worse than 1 everywhere; checks happen at steps 2, 4, 6 only.
  EXPECT_EQ(RunTrial(*s, 1, Constant(8, 5.0)), 2);
  auto late = Make("median", min_ctx, {{"startup_trials", 1}, {"warmup_steps", 3}, {"interval_steps", 2}});
  EXPECT_EQ(RunTrial(*late, 0, Constant(8, 1.0)), 0);
  EXPECT_EQ(RunTrial(*late, 1, Constant(8, 5.0)), 3);
  EXPECT_EQ(RunTrial(*late, 2, {0.5, 0.5, 0.5, 0.5, 0.5, 7.0, 7.0, 7.0}), 0);  // best so far 0.5
}

TEST(Median, MinTrialsAtStep) {
  auto s = Make("median", {}, {{"startup_trials", 1}, {"min_trials_at_step", 2}});
  EXPECT_EQ(RunTrial(*s, 0, Constant(4, 1.0)), 0);
  EXPECT_EQ(RunTrial(*s, 1, Constant(2, 1.0)), 0);  // short: values at steps 1-2 only
  // Steps 1-2 have two completed values; steps 3-4 only one.
  EXPECT_EQ(RunTrial(*s, 2, {1.0, 1.0, 0.0, 0.0}), 0);
  EXPECT_EQ(RunTrial(*s, 3, {1.0, 0.5, 0.0, 0.0}), 0);  // best so far 1.0 at step 2
  EXPECT_EQ(RunTrial(*s, 4, {0.5, 0.5}), 1);
}

TEST(Median, NeverStopsAtTheLastStep) {
  auto s = Make("median", {.max_steps = 3}, {{"startup_trials", 1}, {"warmup_steps", 2}});
  EXPECT_EQ(RunTrial(*s, 0, Constant(3, 1.0)), 0);
  EXPECT_EQ(RunTrial(*s, 1, {0.0, 2.0, 0.0}), 0) << "ahead at step 2, behind only at max_steps";
  EXPECT_EQ(RunTrial(*s, 2, {0.0, 0.0, 0.0}), 2) << "behind at step 2";
}

TEST(Asha, AutoMinResourceThenRungPromotionAndStop) {
  // eta 2; the first completed trial has 4 steps -> min_resource 1: rungs at 1, 2, 4.
  auto s = Make("asha", {}, {{"reduction_factor", 2}});
  EXPECT_EQ(RunTrial(*s, 0, {0.1, 0.2, 0.3, 0.4}), 0);  // nothing recorded while auto
  EXPECT_EQ(RunTrial(*s, 1, {0.5, 0.5, 0.5, 0.5}), 0);  // alone in each rung: promoted
  // Rung 0 holds {0.5}; with the newcomer 2 values, top 1/2 = the best one.
  EXPECT_EQ(RunTrial(*s, 2, {0.4, 0.9, 0.9, 0.9}), 1);
  // Rung 0 {0.5, 0.4, 0.6}: 0.6 is the best of 3 -> promoted; rung 1 {0.5} + 0.3 -> stop at 2.
  EXPECT_EQ(RunTrial(*s, 3, {0.6, 0.3, 0.9, 0.9}), 2);
  // Rung 0 now has 4 values {0.5, 0.4, 0.6, 0.55}: top 2 -> 0.55 >= 0.5 passes.
  EXPECT_EQ(RunTrial(*s, 4, {0.55, 0.6, 0.6, 0.6}), 0);
}

TEST(Asha, FixedMinResourceAndEarlyStoppingRate) {
  // min_resource 2, eta 3, s 1: rungs at 6, 18.
  auto s = Make("asha", {}, {{"min_resource", 2}, {"reduction_factor", 3}, {"min_early_stopping_rate", 1}});
  EXPECT_EQ(RunTrial(*s, 0, Constant(20, 1.0)), 0);
  EXPECT_EQ(RunTrial(*s, 1, Constant(20, 0.5)), 6);
  SchedulerContext min_ctx{.direction = Direction::kMinimize};
  auto m = Make("asha", min_ctx, {{"min_resource", 1}, {"reduction_factor", 2}});
  EXPECT_EQ(RunTrial(*m, 0, Constant(4, 1.0)), 0);
  EXPECT_EQ(RunTrial(*m, 1, Constant(4, 2.0)), 1);  // a larger loss loses
  EXPECT_EQ(RunTrial(*m, 2, Constant(4, 0.5)), 0);
}

TEST(Asha, TheReasonSaysHowManyTheRungKeeps) {
  auto s = Make("asha", {}, {{"min_resource", 1}, {"reduction_factor", 3}});
  s->OnTrialStart(0, {});
  EXPECT_FALSE(s->OnReport(0, 1, 0.9).stop());
  s->OnTrialStart(1, {});
  Decision d = s->OnReport(1, 1, 0.5);
  ASSERT_TRUE(d.stop());
  EXPECT_EQ(d.reason, "value 0.5 at step 1 is not among the best 1 of the 2 values at rung 0 (step 1; the top 1/3, "
                      "at least one)");
}

// A trial that goes on after a stop (a finished trial of an earlier run,
// played to a rule the study switched to) is recorded once per rung, as
// Optuna records completed_rung_k: it was 13 values for 4 trials at rung 0.
TEST(Asha, ATrialThatGoesOnAfterAStopCountsOncePerRung) {
  auto s = Make("asha", {}, {{"min_resource", 1}, {"reduction_factor", 2}});
  s->OnTrialStart(0, {});
  for (int step = 1; step <= 4; ++step) (void)s->OnReport(0, step, 0.9);
  s->OnTrialEnd(0, TrialState::kCompleted);
  s->OnTrialStart(1, {});
  ASSERT_TRUE(s->OnReport(1, 1, 0.1).stop());
  for (int step = 2; step <= 4; ++step) (void)s->OnReport(1, step, 0.1);  // it ran on anyway
  s->OnTrialEnd(1, TrialState::kCompleted);
  s->OnTrialStart(2, {});
  Decision d = s->OnReport(2, 1, 0.05);
  ASSERT_TRUE(d.stop());
  EXPECT_NE(d.reason.find("of the 3 values at rung 0"), std::string::npos) << d.reason;
}

TEST(Hyperband, BracketsAreDeterministicAndWeightedByBudget) {
  SchedulerContext ctx{.max_steps = 27, .seed = 7};
  schedule::HyperbandScheduler a(ctx, {}), b(ctx, {});
  ASSERT_EQ(a.num_brackets(), 4);  // floor(log3(27)) + 1
  std::vector<int> count(4, 0);
  for (int64_t id = 0; id < 2000; ++id) {
    ASSERT_EQ(a.BracketOf(id), b.BracketOf(id));
    ++count[*a.BracketOf(id)];
  }
  // Budgets ceil(4 * 3^s / (s + 1)) = 27, 12, 6, 4 of 49.
  EXPECT_GT(count[0], count[1]);
  EXPECT_GT(count[1], count[2]);
  EXPECT_NEAR(count[0] / 2000.0, 27.0 / 49.0, 0.05);
  schedule::HyperbandScheduler other(SchedulerContext{.max_steps = 27, .seed = 8}, {});
  int same = 0;
  for (int64_t id = 0; id < 200; ++id) same += other.BracketOf(id) == a.BracketOf(id);
  EXPECT_LT(same, 200);  // the seed changes the assignment
}

TEST(Hyperband, ComparesOnlyWithinABracket) {
  SchedulerContext ctx{.max_steps = 9, .seed = 1};
  schedule::HyperbandScheduler s(ctx, {});  // brackets: rungs from 1, from 3, from 9 (none)
  ASSERT_EQ(s.num_brackets(), 3);
  std::vector<int64_t> in0, in1;
  for (int64_t id = 0; id < 100 && (in0.size() < 2 || in1.size() < 1); ++id) {
    if (s.BracketOf(id) == 0) in0.push_back(id);
    if (s.BracketOf(id) == 1) in1.push_back(id);
  }
  ASSERT_GE(in0.size(), 2u);
  ASSERT_GE(in1.size(), 1u);
  // A strong trial in bracket 0, then a weak one in bracket 1: alone in its
  // bracket, the weak trial survives; a weak one in bracket 0 stops at step 1.
  EXPECT_EQ(RunTrial(s, in0[0], Constant(9, 1.0)), 0);
  EXPECT_EQ(RunTrial(s, in1[0], Constant(9, 0.1)), 0);
  EXPECT_EQ(RunTrial(s, in0[1], Constant(9, 0.1)), 1);
}

}  // namespace
}  // namespace cairn::testing
