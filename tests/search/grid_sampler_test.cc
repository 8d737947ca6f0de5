#include "cairn/search/grid_sampler.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "cairn/sampler.h"
#include "cairn/search/param_codec.h"
#include "search/spaces.h"

namespace cairn::search {
namespace {

using test::S;

SearchSpace SmallSpace() {
  SearchSpace s;
  s.params.push_back({.name = "opt", .kind = ParamKind::kCategorical, .choices = {S("sgd"), S("adam")}});
  ParamSpec m{.name = "momentum", .kind = ParamKind::kFloat, .low = 0.5, .high = 0.9, .step = 0.2};
  m.condition = Condition{"opt", {S("sgd")}};
  s.params.push_back(m);
  s.params.push_back({.name = "layers", .kind = ParamKind::kInt, .low = 1, .high = 3});
  return s;
}

std::set<Params> AsSet(const std::vector<Params>& v) { return {v.begin(), v.end()}; }

TEST(GridSamplerTest, EnumeratesExactlyTheExpectedCombinations) {
  auto grid = EnumerateGrid(SmallSpace(), {});
  ASSERT_TRUE(grid.ok()) << grid.status().ToString();
  std::set<Params> expected;
  for (int64_t layers = 1; layers <= 3; ++layers) {
    expected.insert({{"opt", S("adam")}, {"layers", layers}});
    for (double m : {0.5, 0.7, 0.9}) expected.insert({{"opt", S("sgd")}, {"momentum", m}, {"layers", layers}});
  }
  // Momentum expands only under sgd: 3 + 9, not 2 * 3 * 3.
  ASSERT_EQ(grid->size(), 12u);
  // Exact equality: 0.5 + 0.2 is the decimal 0.7, not 0.7000000000000001.
  EXPECT_EQ(AsSet(*grid), expected);
}

// Zero on a grid that crosses it is 0, not -0.3 + 3 * 0.1 = 5.55e-17, so a
// condition on it (when: {a: 0}) holds; the same for grid_points.
TEST(GridSamplerTest, ZeroOnAGridIsZero) {
  SearchSpace s;
  s.params.push_back({.name = "a", .kind = ParamKind::kFloat, .low = -0.3, .high = 0.3, .step = 0.1});
  auto grid = EnumerateGrid(s, {});
  ASSERT_TRUE(grid.ok()) << grid.status().ToString();
  std::vector<double> values;
  for (const auto& p : *grid) values.push_back(std::get<double>(p.at("a")));
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<double>{-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3}));
  SearchSpace free;
  free.params.push_back({.name = "b", .kind = ParamKind::kFloat, .low = -0.7, .high = 0.7});
  auto points = EnumerateGrid(free, {.grid_points = 15});
  ASSERT_TRUE(points.ok()) << points.status().ToString();
  bool zero = false;
  for (const auto& p : *points) zero = zero || std::get<double>(p.at("b")) == 0.0;
  EXPECT_TRUE(zero);
  // Snapping an outside number (what TPE and random do) lands on 0 too.
  EXPECT_EQ(std::get<double>(Snap(s.params[0], 1e-12)), 0.0);
}

TEST(GridSamplerTest, EachTrialOnceThenCycles) {
  auto s = MakeSampler("grid", SmallSpace(), Direction::kMinimize, 3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ((*s)->Capacity(), 12);
  std::set<Params> seen;
  for (int i = 0; i < 12; ++i) seen.insert((*s)->Ask(i));
  EXPECT_EQ(seen, AsSet(*EnumerateGrid(SmallSpace(), {})));
  for (int i = 0; i < 12; ++i) EXPECT_EQ((*s)->Ask(i + 12), (*s)->Ask(i));
}

// A retry or a re-run takes a trial number without asking the sampler:
// the pass still covers every combination once, not the first again.
TEST(GridSamplerTest, NumbersTakenByRetriesDoNotRepeatOrSkipCombinations) {
  auto s = MakeSampler("grid", SmallSpace(), Direction::kMinimize, 3);
  ASSERT_TRUE(s.ok());
  std::vector<Params> run;
  for (int i = 0; i < 5; ++i) run.push_back((*s)->Ask(i));
  // Trial 4 failed; trial 5 is its retry (same parameters, no Ask).
  (*s)->Tell({4, run[4], TrialState::kFailed, std::nullopt, {}});
  for (int i = 6; i < 13; ++i) run.push_back((*s)->Ask(i));
  EXPECT_EQ(run.size(), 12u);
  EXPECT_EQ(AsSet(run), AsSet(*EnumerateGrid(SmallSpace(), {}))) << "each combination once";
  // A resumed study's sampler is told what ran and asks only for the rest.
  auto resumed = MakeSampler("grid", SmallSpace(), Direction::kMinimize, 3);
  ASSERT_TRUE(resumed.ok());
  for (int i = 0; i < 7; ++i) (*resumed)->Tell({i, run[static_cast<size_t>(i)], TrialState::kCompleted, 1.0, {}});
  std::set<Params> rest;
  for (int i = 9; i < 14; ++i) rest.insert((*resumed)->Ask(i));
  std::set<Params> expected(run.begin() + 7, run.end());
  EXPECT_EQ(rest, expected);
}

TEST(GridSamplerTest, OrderIsShuffledBySeedUnlessAskedNotTo) {
  auto a = MakeSampler("grid", SmallSpace(), Direction::kMinimize, 1);
  auto b = MakeSampler("grid", SmallSpace(), Direction::kMinimize, 1);
  auto c = MakeSampler("grid", SmallSpace(), Direction::kMinimize, 2);
  auto plain = MakeSampler("grid", SmallSpace(), Direction::kMinimize, 1, {{"shuffle", false}});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && plain.ok());
  std::vector<Params> va, vb, vc, vp;
  for (int i = 0; i < 12; ++i) {
    va.push_back((*a)->Ask(i));
    vb.push_back((*b)->Ask(i));
    vc.push_back((*c)->Ask(i));
    vp.push_back((*plain)->Ask(i));
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  EXPECT_EQ(vp, *EnumerateGrid(SmallSpace(), {}));
}

TEST(GridSamplerTest, FloatsWithoutAStepNeedGridPoints) {
  SearchSpace s;
  s.params.push_back({.name = "lr", .kind = ParamKind::kFloat, .low = 1e-4, .high = 1e-1, .log = true});
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = 0.0, .high = 1.0});
  auto bad = MakeSampler("grid", s, Direction::kMinimize, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'lr'"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("grid_points"), std::string::npos);

  auto grid = EnumerateGrid(s, {.grid_points = 4});
  ASSERT_TRUE(grid.ok()) << grid.status().ToString();
  ASSERT_EQ(grid->size(), 16u);
  std::set<double> lrs, xs;
  for (const auto& p : *grid) {
    lrs.insert(std::get<double>(p.at("lr")));
    xs.insert(std::get<double>(p.at("x")));
  }
  // Log-spaced: 1e-4, 1e-3, 1e-2, 1e-1. Linear: 0, 1/3, 2/3, 1.
  std::vector<double> lr(lrs.begin(), lrs.end()), x(xs.begin(), xs.end());
  const double want_lr[] = {1e-4, 1e-3, 1e-2, 1e-1}, want_x[] = {0.0, 1.0 / 3, 2.0 / 3, 1.0};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(lr[i], want_lr[i], want_lr[i] * 1e-12);
    EXPECT_NEAR(x[i], want_x[i], 1e-12);
  }
  EXPECT_LE(lr[3], 1e-1);  // never past the bound
  // The decimals meant, as they reach argv: not 0.0010000000000000002.
  EXPECT_EQ(lr, (std::vector<double>{1e-4, 1e-3, 1e-2, 1e-1}));
  EXPECT_EQ(ParamValueToString(lr[1]), "0.001");
}

TEST(GridSamplerTest, LogGridPointsAreTheBoundsAndRoundDecimals) {
  SearchSpace s;
  s.params.push_back({.name = "c", .kind = ParamKind::kFloat, .low = 3, .high = 300, .log = true});
  auto grid = EnumerateGrid(s, {.grid_points = 3});
  ASSERT_TRUE(grid.ok()) << grid.status().ToString();
  std::vector<std::string> text;
  for (const auto& p : *grid) text.push_back(ParamValueToString(p.at("c")));
  EXPECT_EQ(text, (std::vector<std::string>{"3", "30", "300"}));
}

TEST(GridSamplerTest, IntsUseTheirStepAndTooLargeGridsAreRefused) {
  SearchSpace s;
  s.params.push_back({.name = "units", .kind = ParamKind::kInt, .low = 32, .high = 100, .step = 32});
  auto grid = EnumerateGrid(s, {});
  ASSERT_TRUE(grid.ok());
  std::set<int64_t> units;
  for (const auto& p : *grid) units.insert(std::get<int64_t>(p.at("units")));
  EXPECT_EQ(units, (std::set<int64_t>{32, 64, 96}));

  SearchSpace big;
  for (const char* n : {"a", "b", "c"}) big.params.push_back({.name = n, .kind = ParamKind::kInt, .low = 0, .high = 999});
  auto refused = EnumerateGrid(big, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("1000000"), std::string::npos) << refused.status().message();
}

}  // namespace
}  // namespace cairn::search
