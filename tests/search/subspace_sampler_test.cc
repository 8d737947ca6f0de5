#include "cairn/search/subspace_sampler.h"

#include <set>

#include <gtest/gtest.h>

#include "cairn/sampler.h"
#include "search/spaces.h"

namespace cairn::search {
namespace {

using test::MixedSpace;
using test::S;

std::unique_ptr<Sampler> Make(const std::string& name, const SearchSpace& space, uint64_t seed,
                              const nlohmann::json& options) {
  auto s = MakeSampler(name, space, Direction::kMinimize, seed, options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

SearchSpace Square() {
  SearchSpace s;
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = 0.0, .high = 8.0});
  s.params.push_back({.name = "y", .kind = ParamKind::kFloat, .low = -1.0, .high = 1.0});
  return s;
}

double Bowl(const Params& p) {  // its minimum (0.5, -0.9) lies in sub-space 0 of Square()
  double dx = std::get<double>(p.at("x")) - 0.5, dy = std::get<double>(p.at("y")) + 0.9;
  return dx * dx + dy * dy;
}

TrialOutcome Done(int n, const Params& p, double value) {
  return {.number = n, .params = p, .state = TrialState::kCompleted, .value = value};
}

// Records what the wrapper passes on.
class Recorder : public Sampler {
 public:
  explicit Recorder(double tag) : tag_(tag) {}
  Params Ask(int number) override {
    asked.push_back(number);
    return {{"x", tag_}};
  }
  void Tell(const TrialOutcome& outcome) override { told.push_back(outcome.number); }
  std::string Name() const override { return "recorder"; }
  std::vector<int> asked, told;

 private:
  double tag_;
};

TEST(SubspaceSamplerTest, TrialNIsAskedOfSubspaceNModNAndEveryoneIsTold) {
  std::vector<std::unique_ptr<Sampler>> parts;
  std::vector<Recorder*> recorders;
  for (int i = 0; i < 4; ++i) {
    auto r = std::make_unique<Recorder>(i);
    recorders.push_back(r.get());
    parts.push_back(std::move(r));
  }
  SubspaceSampler sampler(std::move(parts));
  for (int n = 0; n < 10; ++n) {
    EXPECT_EQ(sampler.Ask(n).at("x"), ParamValue(static_cast<double>(n % 4)));
    sampler.Tell(Done(n, {{"x", 0.0}}, 1.0));
  }
  EXPECT_EQ(recorders[1]->asked, (std::vector<int>{1, 5, 9}));
  for (auto* r : recorders) EXPECT_EQ(r->told.size(), 10u);
  EXPECT_EQ(sampler.Capacity(), std::nullopt);
}

TEST(SubspaceSamplerTest, RoundRobinAsksEachSubspaceInsideItsBounds) {
  const SearchSpace space = Square();
  auto parts = SplitSpace(space, 4);
  ASSERT_TRUE(parts.ok());
  for (const char* name : {"random", "tpe"}) {
    nlohmann::json options = {{"subspaces", 4}};
    if (std::string(name) == "tpe") options["n_startup_trials"] = 4;
    auto sampler = Make(name, space, 3, options);
    ASSERT_TRUE(sampler);
    for (int n = 0; n < 60; ++n) {
      Params p = sampler->Ask(n);
      const SearchSpace& box = (*parts)[static_cast<size_t>(n % 4)];
      EXPECT_TRUE(box.Validate(p).ok()) << name << " trial " << n << ": " << box.Validate(p).ToString();
      sampler->Tell(Done(n, p, Bowl(p)));
    }
  }
}

TEST(SubspaceSamplerTest, OneSubspaceAsksOnlyInsideItsBoundsWhateverItIsTold) {
  const SearchSpace space = Square();
  auto parts = SplitSpace(space, 2);
  ASSERT_TRUE(parts.ok());
  // Sub-space 1 is x in [3, 8]; the optimum (x = 0.5) is outside it, and the
  // other half's better trials are told to it all along.
  auto mine = Make("tpe", space, 5, {{"subspaces", 2}, {"subspace", 1}, {"n_startup_trials", 5}});
  auto theirs = Make("tpe", space, 5, {{"subspaces", 2}, {"subspace", 0}, {"n_startup_trials", 5}});
  ASSERT_TRUE(mine && theirs);
  for (int n = 0; n < 80; n += 2) {
    Params a = theirs->Ask(n), b = mine->Ask(n + 1);
    EXPECT_TRUE((*parts)[1].Validate(b).ok()) << (*parts)[1].Validate(b).ToString();
    EXPECT_TRUE((*parts)[0].Validate(a).ok()) << (*parts)[0].Validate(a).ToString();
    for (Sampler* s : {mine.get(), theirs.get()}) {
      s->Tell(Done(n, a, Bowl(a)));
      s->Tell(Done(n + 1, b, Bowl(b)));
    }
  }
  EXPECT_EQ(mine->Capacity(), std::nullopt);
}

TEST(SubspaceSamplerTest, OneProcessAndOneCoordinatorPerSubspaceProposeTheSame) {
  const SearchSpace space = MixedSpace();
  auto all = Make("random", space, 11, {{"subspaces", 4}, {"overlap", 0.1}});
  for (int i = 0; i < 4; ++i) {
    auto one = Make("random", space, 11, {{"subspaces", 4}, {"overlap", 0.1}, {"subspace", i}});
    for (int n = i; n < 40; n += 4) EXPECT_EQ(all->Ask(n), one->Ask(n)) << "sub-space " << i << " trial " << n;
  }
}

TEST(SubspaceSamplerTest, DeterministicForASeedAndSeededPerSubspace) {
  const SearchSpace space = test::QuadraticSpace();
  auto run = [&](uint64_t seed) {
    auto s = Make("tpe", space, seed, {{"subspaces", 4}, {"n_startup_trials", 3}});
    std::vector<Params> asked;
    for (int n = 0; n < 40; ++n) {
      asked.push_back(s->Ask(n));
      s->Tell(Done(n, asked.back(), test::Quadratic(asked.back())));
    }
    return asked;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
  // The sub-spaces do not echo the undecomposed sampler's draws.
  auto plain = Make("random", space, 7, {}), split = Make("random", space, 7, {{"subspaces", 2}});
  EXPECT_NE(plain->Ask(0), split->Ask(0));
}

TEST(SubspaceSamplerTest, NeighboursTrialsInTheOverlapAreShared) {
  const SearchSpace space = Square();
  const nlohmann::json options = {{"subspaces", 2}, {"subspace", 0}, {"n_startup_trials", 5}};
  auto told_overlap = Make("tpe", space, 2, options), told_far = Make("tpe", space, 2, options),
       told_nothing = Make("tpe", space, 2, options);
  // Sub-space 0 is x in [0, 5]; sub-space 1 ran five trials at x = 4 (in
  // the overlap) and five at x = 7 (outside sub-space 0).
  for (int n = 0; n < 5; ++n) {
    double y = -0.8 + 0.3 * n;
    told_overlap->Tell(Done(2 * n + 1, {{"x", 4.0}, {"y", y}}, y));
    told_far->Tell(Done(2 * n + 1, {{"x", 7.0}, {"y", y}}, y));
  }
  // Five observations end TPE's random start-up only where they count.
  EXPECT_EQ(told_far->Ask(10), told_nothing->Ask(10));
  EXPECT_NE(told_overlap->Ask(10), told_nothing->Ask(10));
}

TEST(SubspaceSamplerTest, DecomposedGridRunsEveryCombinationOnceAcrossSubspaces) {
  SearchSpace space;
  space.params.push_back({.name = "k", .kind = ParamKind::kInt, .low = 0, .high = 7});
  // Halves [0, 4] and [3, 7]: 3 and 4 belong to both, yet run once.
  auto grid = Make("grid", space, 1, {{"subspaces", 2}});
  ASSERT_TRUE(grid);
  EXPECT_EQ(grid->Name(), "grid");
  std::set<int64_t> seen;
  for (int n = 0; n < 8; ++n) {
    Params p = grid->Ask(n);
    int64_t k = std::get<int64_t>(p.at("k"));
    EXPECT_TRUE(seen.insert(k).second) << "k = " << k << " twice";
    EXPECT_TRUE(n % 2 == 0 ? k <= 4 : k >= 3) << "trial " << n << ": k = " << k;
    grid->Tell(Done(n, p, 1.0));
  }
  EXPECT_EQ(seen.size(), 8u);
  auto one = Make("grid", space, 1, {{"subspaces", 2}, {"subspace", 1}});
  EXPECT_EQ(one->Capacity(), 5);
}

TEST(SubspaceSamplerTest, SubgridSkipsCombinationsFinishedBeforeAResume) {
  SearchSpace space;
  space.params.push_back({.name = "c", .kind = ParamKind::kCategorical, .choices = {S("a"), S("b"), S("c"), S("d")}});
  auto grid = Make("grid", space, 1, {{"subspaces", 2}, {"subspace", 0}, {"shuffle", false}});
  ASSERT_TRUE(grid);
  grid->Tell(Done(0, {{"c", S("a")}}, 1.0));  // loaded from the store
  EXPECT_EQ(grid->Ask(1).at("c"), S("b"));
  EXPECT_EQ(grid->Ask(2).at("c"), S("a"));  // all taken: cycles as a plain grid
}

TEST(SubspaceSamplerTest, OptionsAreCheckedAndNamed) {
  auto invalid = [](const std::string& name, const nlohmann::json& options, const std::string& mentions) {
    auto s = MakeSampler(name, MixedSpace(), Direction::kMinimize, 1, options);
    ASSERT_FALSE(s.ok()) << options.dump();
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(mentions), std::string::npos)
        << s.status().message() << " should name " << mentions;
  };
  invalid("tpe", {{"subspaces", 3}}, "subspaces");
  invalid("tpe", {{"subspaces", 1}}, "subspaces");
  invalid("tpe", {{"subspaces", "two"}}, "subspaces");
  invalid("tpe", {{"subspaces", 256}}, "subspaces");  // MixedSpace has 7 parameters to split
  invalid("tpe", {{"subspaces", 2}, {"subspace", 2}}, "subspace");
  invalid("tpe", {{"subspaces", 2}, {"subspace", -1}}, "subspace");
  invalid("tpe", {{"subspace", 0}}, "subspaces: N");
  invalid("random", {{"overlap", 0.1}}, "subspaces: N");
  invalid("random", {{"subspaces", 2}, {"overlap", 1.0}}, "overlap");
  invalid("random", {{"subspaces", 2}, {"speed", 1}}, "speed");
  invalid("tpe", {{"subspaces", 2}, {"n_startup", 1}}, "n_startup");
  invalid("grid", {{"subspaces", 2}, {"points", 3}}, "points");
  invalid("cmaes", {{"subspaces", 2}}, "cmaes");
  EXPECT_TRUE(MakeSampler("tpe", MixedSpace(), Direction::kMinimize, 1, {{"subspaces", 128}}).ok());
  EXPECT_TRUE(MakeSampler("grid", Square(), Direction::kMinimize, 1,
                          {{"subspaces", 4}, {"overlap", 0.0}, {"subspace", 3}, {"grid_points", 3}})
                  .ok());
}

}  // namespace
}  // namespace cairn::search
