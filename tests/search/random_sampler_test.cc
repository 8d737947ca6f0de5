#include "cairn/search/random_sampler.h"

#include <cmath>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "cairn/sampler.h"
#include "search/spaces.h"

namespace cairn::search {
namespace {

using test::MixedSpace;
using test::S;

std::unique_ptr<Sampler> Make(const std::string& name, uint64_t seed, const SearchSpace& space = MixedSpace()) {
  auto s = MakeSampler(name, space, Direction::kMinimize, seed);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(*s);
}

TEST(RandomSamplerTest, SameSeedSameSequenceOtherSeedOtherSequence) {
  auto a = Make("random", 11), b = Make("random", 11), c = Make("random", 12);
  int differ = 0;
  for (int i = 0; i < 50; ++i) {
    Params pa = a->Ask(i);
    EXPECT_EQ(pa, b->Ask(i)) << "trial " << i;
    differ += pa != c->Ask(i);
  }
  EXPECT_GE(differ, 49);
}

TEST(RandomSamplerTest, AskTwiceGivesTheSameParamsAndOrderDoesNotMatter) {
  auto a = Make("random", 5), b = Make("random", 5);
  Params first = a->Ask(3);
  a->Ask(4);
  EXPECT_EQ(a->Ask(3), first);
  // b asks in another order and still gets trial 3's parameters.
  b->Ask(9);
  b->Ask(0);
  EXPECT_EQ(b->Ask(3), first);
}

TEST(RandomSamplerTest, EveryDrawIsAValidAssignment) {
  SearchSpace space = MixedSpace();
  auto s = Make("random", 1, space);
  std::set<int64_t> layers, units;
  std::set<double> drops;
  int with_momentum = 0;
  for (int i = 0; i < 3000; ++i) {
    Params p = s->Ask(i);
    ASSERT_TRUE(space.Validate(p).ok()) << space.Validate(p).ToString();
    layers.insert(std::get<int64_t>(p.at("layers")));
    units.insert(std::get<int64_t>(p.at("units")));
    double d = std::get<double>(p.at("drop"));
    EXPECT_EQ(d, std::round(d * 10) / 10) << "drop off its 0.1 grid: " << d;
    drops.insert(std::round(d * 10));
    with_momentum += p.count("momentum");
    EXPECT_EQ(p.count("momentum") == 1, p.at("opt") == S("sgd"));
  }
  EXPECT_EQ(layers, (std::set<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(units, (std::set<int64_t>{16, 32, 48, 64, 80, 96, 112, 128}));
  EXPECT_EQ(drops.size(), 6u);  // 0.0 .. 0.5, both ends included
  EXPECT_NEAR(with_momentum, 1000, 120);  // one choice in three
}

TEST(RandomSamplerTest, EmpiricalDistributionsAreUniformInTheirScale) {
  auto s = Make("random", 2);
  const int n = 4000;
  int lr_below_geomean = 0, x_below_mid = 0, batch_below_64 = 0;
  std::map<std::string, int> opts;
  std::map<int64_t, int> layers;
  for (int i = 0; i < n; ++i) {
    Params p = s->Ask(i);
    lr_below_geomean += std::get<double>(p.at("lr")) < std::sqrt(1e-5 * 1e-1);
    x_below_mid += std::get<double>(p.at("x")) < 0.5;
    batch_below_64 += std::get<int64_t>(p.at("batch")) < 64;  // 64 = sqrt(8 * 512)
    opts[std::get<std::string>(p.at("opt"))]++;
    layers[std::get<int64_t>(p.at("layers"))]++;
  }
  // Log-uniform: half the mass below the geometric mean (a uniform draw
  // would put 0.03% there). 4 sigma of a binomial(4000, 0.5) is 126.
  EXPECT_NEAR(lr_below_geomean, n / 2, 130);
  EXPECT_NEAR(x_below_mid, n / 2, 130);
  EXPECT_NEAR(batch_below_64, n / 2, 150);
  for (const auto& [name, count] : opts) EXPECT_NEAR(count, n / 3, 120) << name;
  for (const auto& [v, count] : layers) EXPECT_NEAR(count, n / 6, 100) << v;
}

TEST(RandomSamplerTest, TellRemembersParamsOfTrialsItNeverAsked) {
  auto s = Make("random", 3);
  Params stored{{"x", 0.5}};
  s->Tell({.number = 77, .params = stored, .state = TrialState::kCompleted, .value = 1.0});
  EXPECT_EQ(s->Ask(77), stored);
  EXPECT_FALSE(s->Capacity().has_value());
}

}  // namespace
}  // namespace cairn::search
