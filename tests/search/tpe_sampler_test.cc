#include "cairn/search/tpe_sampler.h"

#include <cmath>

#include <gtest/gtest.h>

#include "cairn/sampler.h"
#include "search/spaces.h"

namespace cairn::search {
namespace {

using test::BestOf;
using test::MixedSpace;
using test::Quadratic;
using test::QuadraticSpace;
using test::S;

std::unique_ptr<Sampler> Make(const std::string& name, uint64_t seed, const SearchSpace& space,
                              Direction dir = Direction::kMinimize,
                              const nlohmann::json& options = nlohmann::json::object()) {
  auto s = MakeSampler(name, space, dir, seed, options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(*s);
}

SearchSpace UnitInterval() {
  SearchSpace s;
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = 0.0, .high = 1.0});
  return s;
}

TrialOutcome Completed(int n, double x, double value) {
  return {.number = n, .params = {{"x", x}}, .state = TrialState::kCompleted, .value = value};
}

TEST(TpeScoreTest, CompletedFirstThenStoppedByLastStepThenValue) {
  const Direction min = Direction::kMinimize;
  auto done = ScoreOf(Completed(0, 0.1, 5.0), min);
  auto late = ScoreOf({.number = 1, .state = TrialState::kStopped, .curve = {{1, 9.0}, {8, 3.0}}}, min);
  auto early = ScoreOf({.number = 2, .state = TrialState::kStopped, .curve = {{1, 0.5}, {2, 0.1}}}, min);
  auto blank = ScoreOf({.number = 3, .state = TrialState::kStopped}, min);
  ASSERT_TRUE(done && late && early && blank);
  EXPECT_EQ(late->step_key, -8);
  EXPECT_EQ(late->loss, 3.0);  // the value at the largest step, not the best one
  // Order: completed (even the worst), then later-stopped, then earlier, then no curve.
  std::vector<Score> scores = {*blank, *early, *late, *done};
  EXPECT_EQ(SplitBelow(scores, 1), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(SplitBelow(scores, 2), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(SplitBelow(scores, 3), (std::vector<bool>{false, true, true, true}));
}

TEST(TpeScoreTest, FailedAndUnfinishedTrialsAreNoObservations) {
  for (TrialState s : {TrialState::kFailed, TrialState::kInterrupted, TrialState::kLost, TrialState::kRunning,
                       TrialState::kQueued}) {
    EXPECT_FALSE(ScoreOf({.number = 0, .state = s, .value = 1.0}, Direction::kMinimize).has_value())
        << TrialStateName(s);
  }
  EXPECT_FALSE(ScoreOf({.number = 0, .state = TrialState::kCompleted}, Direction::kMinimize).has_value());
  EXPECT_FALSE(ScoreOf(Completed(0, 0, NAN), Direction::kMinimize).has_value());
  // Maximizing negates: the larger value ranks first.
  EXPECT_LT(ScoreOf(Completed(0, 0, 9.0), Direction::kMaximize)->loss,
            ScoreOf(Completed(1, 0, 1.0), Direction::kMaximize)->loss);
}

TEST(TpeScoreTest, GammaFollowsOptunaDefaultOrTheGivenFraction) {
  TpeOptions o;
  EXPECT_EQ(NumBelow(o, 10), 1);
  EXPECT_EQ(NumBelow(o, 11), 2);
  EXPECT_EQ(NumBelow(o, 250), 25);
  EXPECT_EQ(NumBelow(o, 1000), 25);
  o.gamma = 0.25;
  EXPECT_EQ(NumBelow(o, 1000), 250);
}

TEST(TpeSamplerTest, StartupTrialsAreTheRandomSamplersDraws) {
  SearchSpace space = MixedSpace();
  auto tpe = Make("tpe", 9, space), rnd = Make("random", 9, space);
  for (int i = 0; i < 10; ++i) {
    Params p = tpe->Ask(i);
    EXPECT_EQ(p, rnd->Ask(i)) << "trial " << i;
    tpe->Tell({.number = i, .params = p, .state = TrialState::kCompleted, .value = double(i)});
  }
  EXPECT_NE(tpe->Ask(10), rnd->Ask(10));
}

TEST(TpeSamplerTest, DeterministicForSeedAndCallSequence) {
  auto run = [](uint64_t seed) {
    auto s = Make("tpe", seed, QuadraticSpace());
    std::vector<Params> out;
    for (int i = 0; i < 30; ++i) {
      out.push_back(s->Ask(i));
      s->Tell({.number = i, .params = out.back(), .state = TrialState::kCompleted, .value = Quadratic(out.back())});
    }
    return out;
  };
  auto a = run(4), b = run(4), c = run(5);
  EXPECT_EQ(a, b);
  for (int i = 10; i < 30; ++i) EXPECT_NE(a[i], c[i]) << "trial " << i;
}

TEST(TpeSamplerTest, AskIsCachedEvenAfterNewObservations) {
  auto s = Make("tpe", 1, UnitInterval(), Direction::kMinimize, {{"n_startup_trials", 2}});
  s->Tell(Completed(0, 0.1, 1.0));
  s->Tell(Completed(1, 0.9, 2.0));
  Params p = s->Ask(2);
  s->Tell(Completed(3, 0.5, 0.0));
  EXPECT_EQ(s->Ask(2), p);
}

TEST(TpeSamplerTest, EveryDrawIsValidAndConditionsHold) {
  SearchSpace space = MixedSpace();
  auto s = Make("tpe", 3, space);
  for (int i = 0; i < 80; ++i) {
    Params p = s->Ask(i);
    ASSERT_TRUE(space.Validate(p).ok()) << "trial " << i << ": " << space.Validate(p).ToString();
    double v = std::get<double>(p.at("x")) + std::log10(std::get<double>(p.at("lr")));
    s->Tell({.number = i, .params = p, .state = TrialState::kCompleted, .value = v});
  }
}

TEST(TpeSamplerTest, BeatsRandomOnAShiftedQuadraticWithACategorical) {
  double tpe_sum = 0, random_sum = 0;
  int tpe_wins = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    auto tpe = Make("tpe", seed, QuadraticSpace());
    auto rnd = Make("random", seed, QuadraticSpace());
    double t = BestOf(*tpe, 60, Quadratic), r = BestOf(*rnd, 60, Quadratic);
    tpe_sum += t;
    random_sum += r;
    tpe_wins += t < r;
  }
  // Deterministic given the seeds; the margin is real, not noise.
  RecordProperty("tpe_mean_best", std::to_string(tpe_sum / 10));
  RecordProperty("random_mean_best", std::to_string(random_sum / 10));
  EXPECT_LT(tpe_sum, 0.6 * random_sum) << "tpe mean " << tpe_sum / 10 << " random mean " << random_sum / 10;
  EXPECT_GE(tpe_wins, 8);
}

TEST(TpeSamplerTest, MaximizingFIsMinimizingMinusF) {
  auto up = Make("tpe", 2, UnitInterval(), Direction::kMaximize);
  auto down = Make("tpe", 2, UnitInterval(), Direction::kMinimize);
  auto f = [](double x) { return -(x - 0.8) * (x - 0.8); };
  double sum_dist = 0;
  for (int i = 0; i < 40; ++i) {
    Params p = up->Ask(i);
    ASSERT_EQ(p, down->Ask(i)) << "trial " << i;
    double x = std::get<double>(p.at("x"));
    up->Tell({.number = i, .params = p, .state = TrialState::kCompleted, .value = f(x)});
    down->Tell({.number = i, .params = p, .state = TrialState::kCompleted, .value = -f(x)});
    if (i >= 20) sum_dist += std::fabs(x - 0.8);
  }
  // And it does seek the maximum: late proposals sit much closer to 0.8
  // than uniform draws would (mean distance 0.34).
  EXPECT_LT(sum_dist / 20, 0.15);
}

TEST(TpeSamplerTest, StoppedTrialsRankBelowCompletedOnes) {
  // 12 completed trials around x = 0.9 (mediocre values) and 20 stopped
  // trials around x = 0.1 whose last reports look excellent. Ranked by raw
  // value the stopped ones would fill "below"; ranked as Optuna does, the
  // 4 best completed ones do, so TPE must propose near 0.9.
  auto s = Make("tpe", 6, UnitInterval());
  for (int i = 0; i < 12; ++i) s->Tell(Completed(i, 0.85 + 0.01 * (i % 10), 1.0 + i));
  for (int i = 12; i < 32; ++i) {
    s->Tell({.number = i, .params = {{"x", 0.05 + 0.005 * (i - 12)}}, .state = TrialState::kStopped,
             .curve = {{1, 0.5}, {2, -100.0}}});
  }
  int high = 0;
  for (int i = 100; i < 120; ++i) high += std::get<double>(s->Ask(i).at("x")) > 0.5;
  EXPECT_GE(high, 17);
}

TEST(TpeSamplerTest, StoppedTrialsCountAsObservations) {
  // Only stopped trials: they end the startup phase and steer TPE toward
  // the trials that got furthest (step 9 near x = 0.2) over those stopped early.
  auto s = Make("tpe", 8, UnitInterval());
  for (int i = 0; i < 30; ++i) {
    bool far = i % 10 == 0;  // three trials reached step 9
    double x = far ? 0.2 + 0.01 * i / 10 : 0.6 + 0.01 * i;
    s->Tell({.number = i, .params = {{"x", x}}, .state = TrialState::kStopped,
             .curve = {{1, 5.0}, {far ? 9 : 2, 5.0}}});
  }
  int near = 0;
  for (int i = 100; i < 120; ++i) near += std::get<double>(s->Ask(i).at("x")) < 0.45;
  EXPECT_GE(near, 15);
}

TEST(TpeSamplerTest, FailedTrialsAreIgnored) {
  // Failed trials neither end the startup phase nor pull the search.
  SearchSpace space = UnitInterval();
  auto tpe = Make("tpe", 4, space), rnd = Make("random", 4, space);
  for (int i = 0; i < 40; ++i) {
    tpe->Tell({.number = i, .params = {{"x", 0.5}}, .state = TrialState::kFailed, .value = -1e9});
  }
  for (int i = 40; i < 49; ++i) tpe->Tell(Completed(i, 0.1 * (i - 40), 1.0));
  EXPECT_EQ(tpe->Ask(60), rnd->Ask(60));  // 9 observations: still random
  // With observations favouring x near 1, failed ones at 0.5 change nothing.
  auto clean = Make("tpe", 4, space);
  for (int i = 40; i < 60; ++i) {
    TrialOutcome o = Completed(i, 0.05 * (i - 40), -0.05 * (i - 40));
    tpe->Tell(o);
    clean->Tell(o);
  }
  for (int i = 70; i < 80; ++i) EXPECT_EQ(tpe->Ask(i), clean->Ask(i)) << "trial " << i;
}

TEST(TpeScoreTest, ADivergedTrialIsTheLastObservation) {
  const Direction min = Direction::kMinimize;
  auto diverged = ScoreOf({.number = 0, .state = TrialState::kFailed, .value = NAN}, min);
  auto blank = ScoreOf({.number = 1, .state = TrialState::kStopped}, min);
  auto done = ScoreOf(Completed(2, 0.1, 1e9), min);
  ASSERT_TRUE(diverged && blank && done);
  EXPECT_EQ(SplitBelow({*diverged, *blank, *done}, 2), (std::vector<bool>{false, true, true}));
  EXPECT_TRUE(ScoreOf({.number = 0, .state = TrialState::kFailed, .value = INFINITY}, min).has_value());
}

TEST(TpeSamplerTest, ProposesLessWhereTrialsDiverged) {
  // The audit's case: the best completed trials lie next to a region where
  // every trial went NaN (a learning rate too high).
  SearchSpace space = UnitInterval();
  auto told = Make("tpe", 3, space), blind = Make("tpe", 3, space);
  for (int i = 0; i < 20; ++i) {
    double x = 0.3 + 0.02 * i;
    TrialOutcome o = Completed(i, x, std::fabs(x - 0.7));
    told->Tell(o);
    blind->Tell(o);
    told->Tell({.number = 20 + i, .params = {{"x", 0.71 + 0.0145 * i}}, .state = TrialState::kFailed, .value = NAN});
  }
  int told_in = 0, blind_in = 0;
  for (int i = 100; i < 200; ++i) {
    told_in += std::get<double>(told->Ask(i).at("x")) > 0.7;
    blind_in += std::get<double>(blind->Ask(i).at("x")) > 0.7;
  }
  EXPECT_LT(told_in, blind_in / 2) << told_in << " vs " << blind_in;
}

TEST(TpeSamplerTest, TheOnlyChoiceOfACategoricalIsProposed) {
  SearchSpace space = UnitInterval();
  space.params.push_back({.name = "act", .kind = ParamKind::kCategorical, .choices = {S("relu")}});
  auto tpe = Make("tpe", 2, space);
  for (int i = 0; i < 12; ++i) {
    tpe->Tell({.number = i, .params = {{"x", 0.08 * i}, {"act", S("relu")}}, .state = TrialState::kCompleted,
               .value = 0.08 * i});
  }
  for (int i = 20; i < 25; ++i) EXPECT_EQ(tpe->Ask(i).at("act"), S("relu"));
}

TEST(TpeSamplerTest, ConditionalParamLearnsOnlyFromTrialsWhereItWasActive) {
  SearchSpace space;
  space.params.push_back({.name = "opt", .kind = ParamKind::kCategorical, .choices = {S("sgd"), S("adam")}});
  ParamSpec m{.name = "m", .kind = ParamKind::kFloat, .low = 0.0, .high = 1.0};
  m.condition = Condition{"opt", {S("sgd")}};
  space.params.push_back(m);
  auto s = Make("tpe", 5, space);
  // The best trials are sgd with m near 0.8; adam trials (no m) are mediocre.
  for (int i = 0; i < 40; ++i) {
    if (i % 2) {
      s->Tell({.number = i, .params = {{"opt", S("adam")}}, .state = TrialState::kCompleted, .value = 1.0});
    } else {
      double mv = 0.025 * i;
      s->Tell({.number = i, .params = {{"opt", S("sgd")}, {"m", mv}}, .state = TrialState::kCompleted,
               .value = std::fabs(mv - 0.8)});
    }
  }
  int sgd = 0, m_near = 0;
  for (int i = 100; i < 120; ++i) {
    Params p = s->Ask(i);
    ASSERT_TRUE(space.Validate(p).ok()) << space.Validate(p).ToString();
    if (p.at("opt") != S("sgd")) continue;
    ++sgd;
    m_near += std::fabs(std::get<double>(p.at("m")) - 0.8) < 0.2;
  }
  EXPECT_GE(sgd, 15);
  EXPECT_GE(m_near, sgd - 2);
}

TEST(TpeSamplerTest, TrialsOutsideTheSpaceAreNoObservations) {
  // Another sub-space's trials (x outside [0, 1], a choice this space lacks)
  // are told in a decomposed study: TPE must neither crash on them nor let
  // them pull its estimators. It proposes exactly what it would without them.
  SearchSpace space = UnitInterval();
  space.params.push_back({.name = "c", .kind = ParamKind::kCategorical, .choices = {S("a"), S("b")}});
  const nlohmann::json options = {{"n_startup_trials", 4}};
  auto told_all = Make("tpe", 9, space, Direction::kMinimize, options);
  auto told_inside = Make("tpe", 9, space, Direction::kMinimize, options);
  int n = 0;
  for (int round = 0; round < 30; ++round) {
    for (Params outside : {Params{{"x", 1.1 + 0.1 * round}, {"c", S("a")}}, Params{{"x", -5.0}, {"c", S("b")}},
                           Params{{"x", 0.5}, {"c", S("z")}}}) {
      told_all->Tell({.number = n++, .params = outside, .state = TrialState::kCompleted, .value = -100.0});
    }
    Params p = told_all->Ask(n);
    ASSERT_EQ(p, told_inside->Ask(n)) << "trial " << n;
    ASSERT_TRUE(space.Validate(p).ok()) << space.Validate(p).ToString();
    const double value = std::abs(std::get<double>(p.at("x")) - 0.3);
    for (Sampler* s : {told_all.get(), told_inside.get()}) {
      s->Tell({.number = n, .params = p, .state = TrialState::kCompleted, .value = value});
    }
    ++n;
  }
}

}  // namespace
}  // namespace cairn::search
