// Importance: the forest and fANOVA rank parameters right on synthetic data,
// handle categorical and inactive parameters, and pool studies.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "cairn/importance.h"
#include "cairn/query/forest.h"
#include "support/paths.h"

namespace cairn {
namespace {

// y = 10 x1 + 3 x2 + 0 x3 + small noise, x ~ U(0, 1).
ImportanceData LinearData(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 0.1);
  ImportanceData d;
  for (const char* name : {"x1", "x2", "x3"}) d.features.push_back({.name = name, .low = 0, .high = 1});
  for (int i = 0; i < n; ++i) {
    std::vector<double> x = {u(rng), u(rng), u(rng)};
    d.y.push_back(10 * x[0] + 3 * x[1] + noise(rng));
    d.x.push_back(x);
  }
  return d;
}

const ParamImportance& Find(const ImportanceReport& r, const std::string& name) {
  for (const auto& p : r.params) {
    if (p.name == name) return p;
  }
  static ParamImportance none;
  ADD_FAILURE() << "no " << name;
  return none;
}

TEST(Importance, RanksStrongWeakAndIrrelevantParameters) {
  auto r = ComputeImportance(LinearData(200, 3), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->params.size(), 3u);
  EXPECT_EQ(r->params[0].name, "x1");
  EXPECT_EQ(r->params[1].name, "x2");
  EXPECT_EQ(r->params[2].name, "x3");
  // The true shares are 100/109 and 9/109 of the variance.
  EXPECT_GT(Find(*r, "x1").fraction, 0.7);
  EXPECT_GT(Find(*r, "x2").fraction, 0.03);
  EXPECT_LT(Find(*r, "x3").fraction, 0.02);
  EXPECT_GT(Find(*r, "x2").fraction, Find(*r, "x3").fraction + 2 * Find(*r, "x3").spread);
  EXPECT_GT(Find(*r, "x1").spread, 0.0);
  EXPECT_GE(r->interactions, 0.0);
  EXPECT_LT(r->interactions, 0.2);
}

// Shares do not depend on the objective's scale: at 1e160 the trees'
// variance once overflowed and every share printed as 0. A constant
// objective is explained by nothing: an error says so, not a table of 0s.
TEST(Importance, SharesHoldAtAnyScaleAndAConstantObjectiveIsAnError) {
  auto unit = ComputeImportance(LinearData(200, 3), {});
  ImportanceData huge = LinearData(200, 3);
  for (double& y : huge.y) y = y * 1e160 + 5e160;
  auto scaled = ComputeImportance(huge, {});
  ASSERT_TRUE(unit.ok() && scaled.ok());
  for (const char* name : {"x1", "x2", "x3"}) {
    EXPECT_NEAR(Find(*scaled, name).fraction, Find(*unit, name).fraction, 0.005) << name;  // rounding moves a split or two
  }
  ImportanceData flat = LinearData(50, 3);
  for (double& y : flat.y) y = 0.5;
  auto constant = ComputeImportance(flat, {});
  ASSERT_FALSE(constant.ok());
  EXPECT_EQ(constant.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(constant.status().message().find("the objective is 0.5 in all 50 trials"), std::string::npos)
      << constant.status().message();
}

TEST(Importance, DeterministicForASeedAndRobustAcrossSeeds) {
  auto data = LinearData(120, 5);
  auto a = ComputeImportance(data, {.seed = 9});
  auto b = ComputeImportance(data, {.seed = 9});
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < a->params.size(); ++i) {
    EXPECT_EQ(a->params[i].name, b->params[i].name);
    EXPECT_DOUBLE_EQ(a->params[i].fraction, b->params[i].fraction);
  }
  for (uint64_t seed : {1, 2, 3}) {
    auto r = ComputeImportance(LinearData(120, 10 + seed), {.seed = seed});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->params[0].name, "x1");
    EXPECT_EQ(r->params[2].name, "x3");
  }
}

TEST(Importance, CategoricalAndInactiveParameters) {
  // y depends on the optimizer (categorical) and on momentum (only active
  // for sgd), not at all on a noise column. Whether momentum is active is a
  // function of the optimizer, so the two share the credit for that part
  // (fANOVA cannot tell them apart); together they explain nearly all.
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(0, 1);
  ImportanceData d;
  d.features = {{.name = "optimizer", .categorical = true, .categories = 3},
                {.name = "momentum", .low = 0, .high = 1},
                {.name = "noise", .low = 0, .high = 1}};
  for (int i = 0; i < 240; ++i) {
    int opt = static_cast<int>(rng() % 3);
    double momentum = opt == 1 ? u(rng) : NAN;
    double y = (opt == 0 ? 0.0 : opt == 1 ? 5.0 : 2.0) + (opt == 1 ? 1.5 * momentum : 0.0);
    d.x.push_back({static_cast<double>(opt), momentum, u(rng)});
    d.y.push_back(y);
  }
  auto r = ComputeImportance(d, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->params[2].name, "noise");
  EXPECT_GT(Find(*r, "optimizer").fraction + Find(*r, "momentum").fraction, 0.8);
  EXPECT_GT(Find(*r, "optimizer").fraction, 0.1);
  EXPECT_GT(Find(*r, "momentum").fraction, 0.1);
  EXPECT_LT(Find(*r, "noise").fraction, 0.02);
}

TEST(Importance, RejectsBadInput) {
  ImportanceData d = LinearData(10, 1);
  EXPECT_FALSE(ComputeImportance(d, {.trees = 0}).ok());
  d.y.pop_back();
  EXPECT_FALSE(ComputeImportance(d, {}).ok());
  EXPECT_FALSE(ComputeImportance(ImportanceData{}, {}).ok());
  ImportanceData many = LinearData(10, 1);
  many.features[0] = {.name = "c", .categorical = true, .categories = 100};
  EXPECT_FALSE(ComputeImportance(many, {}).ok());
}

TEST(Forest, FitsAStepFunction) {
  ImportanceData d;
  d.features = {{.name = "x", .low = 0, .high = 1}};
  for (int i = 0; i < 40; ++i) {
    double x = i / 40.0;
    d.x.push_back({x});
    d.y.push_back(x < 0.5 ? 1.0 : 3.0);
  }
  auto forest = query::FitForest(d, {.trees = 5});
  ASSERT_EQ(forest.size(), 5u);
  for (const auto& tree : forest) {
    EXPECT_DOUBLE_EQ(query::PredictTree(tree, d.features, {0.1}), 1.0);
    EXPECT_DOUBLE_EQ(query::PredictTree(tree, d.features, {0.9}), 3.0);
    auto effects = query::TreeMainEffects(tree, d.features);
    ASSERT_EQ(effects.size(), 1u);
    EXPECT_NEAR(effects[0], 1.0, 1e-9);  // one feature explains everything
  }
}

// Two studies of one space, pooled from a store.
TEST(StudyImportanceTest, PoolsStudiesFromAStore) {
  auto dir = testing::MakeTempDir("cairn-importance");
  auto store = OpenStore("sqlite://" + (dir / "i.db").string());
  ASSERT_TRUE(store.ok());
  nlohmann::json space = {{{"name", "lr"}, {"type", "float"}, {"low", 1e-4}, {"high", 1.0}, {"log", true}},
                          {{"name", "opt"}, {"type", "categorical"}, {"choices", {"adam", "sgd"}}},
                          {{"name", "width"}, {"type", "int"}, {"low", 1}, {"high", 100}, {"log", false}}};
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(0, 1);
  for (const char* name : {"a", "b"}) {
    StudyRecord s{.name = name, .objective = "loss", .direction = Direction::kMinimize};
    s.spec_json = {{"space", space}};
    auto id = (*store)->CreateStudy(s);
    ASSERT_TRUE(id.ok());
    for (int i = 0; i < 40; ++i) {
      double lr = std::pow(10.0, -4 + 4 * u(rng));
      std::string opt = rng() % 2 ? "adam" : "sgd";
      int64_t width = 1 + static_cast<int64_t>(rng() % 100);
      TrialRecord t{.study_id = *id, .number = i, .state = i % 10 == 9 ? TrialState::kFailed : TrialState::kCompleted};
      t.params = {{"lr", lr}, {"opt", opt}, {"width", width}};
      // Strong in log10(lr), weak in opt, none in width.
      t.value = std::pow(std::log10(lr) + 2, 2) + (opt == "sgd" ? 1.2 : 0.0);
      ASSERT_TRUE((*store)->CreateTrial(t).ok());
    }
  }
  auto r = StudyImportance(**store, {"a", "b"}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->trials, 72);  // failed trials are left out
  EXPECT_EQ(r->studies, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(r->params.size(), 3u);
  EXPECT_EQ(r->params[0].name, "lr");
  EXPECT_EQ(r->params[1].name, "opt");
  EXPECT_EQ(r->params[2].name, "width");
  auto j = ImportanceJson(*r);
  EXPECT_EQ(j["params"][0]["name"], "lr");
  EXPECT_NE(RenderImportance(*r).find("lr"), std::string::npos);
  auto few = StudyImportance(**store, {"a"}, {.min_trials = 100});
  EXPECT_EQ(few.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StudyImportance(**store, {"nope"}, {}).status().code(), StatusCode::kNotFound);
  StudyRecord loss_max{.name = "c", .objective = "loss", .direction = Direction::kMaximize};
  ASSERT_TRUE((*store)->CreateStudy(loss_max).ok());
  auto mixed = StudyImportance(**store, {"a", "c"}, {});
  EXPECT_EQ(mixed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mixed.status().message().find("study 'c' has objective loss (maximize) but 'a' has loss (minimize)"),
            std::string::npos) << mixed.status().message();
  auto twice = StudyImportance(**store, {"a", "b", "a"}, {});
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(twice.status().message(), "importance: study 'a' is named twice");
  // A study of another search space shares no parameter with "a".
  StudyRecord other{.name = "d", .objective = "loss", .direction = Direction::kMinimize};
  auto other_id = (*store)->CreateStudy(other);
  ASSERT_TRUE(other_id.ok());
  TrialRecord k{.study_id = *other_id, .number = 0, .state = TrialState::kCompleted};
  k.params = {{"k", int64_t{3}}};
  k.value = 1.0;
  ASSERT_TRUE((*store)->CreateTrial(k).ok());
  auto unrelated = StudyImportance(**store, {"a", "d"}, {});
  EXPECT_EQ(unrelated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unrelated.status().message().find("the studies a, d share no parameter"), std::string::npos)
      << unrelated.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn
