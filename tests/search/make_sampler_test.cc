#include <gtest/gtest.h>

#include "cairn/sampler.h"
#include "search/spaces.h"

namespace cairn {
namespace {

using search::test::MixedSpace;

Status Try(const std::string& name, const nlohmann::json& options, const SearchSpace& space = MixedSpace()) {
  return MakeSampler(name, space, Direction::kMinimize, 1, options).status();
}

void ExpectInvalid(const Status& s, const std::string& mentions) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(mentions), std::string::npos) << s.message() << " should name " << mentions;
}

TEST(MakeSamplerTest, KnownNamesAndTheirNames) {
  for (const char* name : {"random", "tpe"}) {
    auto s = MakeSampler(name, MixedSpace(), Direction::kMinimize, 1);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->Name(), name);
  }
  ExpectInvalid(Try("cmaes", {}), "cmaes");
}

TEST(MakeSamplerTest, UnknownOrBadOptionsNameTheKey) {
  ExpectInvalid(Try("tpe", {{"n_startup", 5}}), "n_startup");
  ExpectInvalid(Try("tpe", {{"n_ei_candidates", 0}}), "n_ei_candidates");
  ExpectInvalid(Try("tpe", {{"n_startup_trials", "ten"}}), "n_startup_trials");
  ExpectInvalid(Try("tpe", {{"gamma", 1.5}}), "gamma");
  ExpectInvalid(Try("tpe", {{"prior_weight", -1}}), "prior_weight");
  ExpectInvalid(Try("tpe", {{"multivariate", true}}), "multivariate");
  ExpectInvalid(Try("random", {{"seed", 3}}), "seed");
  ExpectInvalid(Try("grid", {{"grid_points", 1}}), "grid_points");
  ExpectInvalid(Try("grid", {{"points", 4}}), "points");
  // The sampler is named once, as for the others.
  EXPECT_EQ(Try("grid", {{"points", 4}}).message().rfind("grid sampler: unknown option 'points'", 0), 0u)
      << Try("grid", {{"points", 4}}).message();
  ExpectInvalid(Try("tpe", nlohmann::json::array()), "object");
  EXPECT_TRUE(Try("tpe", {{"n_startup_trials", 5}, {"n_ei_candidates", 48}, {"gamma", 0.2},
                          {"prior_weight", 2.0}, {"multivariate", false}}).ok());
  EXPECT_TRUE(Try("tpe", nullptr).ok());
}

TEST(MakeSamplerTest, SpacesASamplerCannotSearchNameTheParameter) {
  SearchSpace log0;
  log0.params.push_back({.name = "lr", .kind = ParamKind::kFloat, .low = 0.0, .high = 1.0, .log = true});
  ExpectInvalid(Try("tpe", {}, log0), "'lr'");
  SearchSpace empty;
  empty.params.push_back({.name = "act", .kind = ParamKind::kCategorical});
  ExpectInvalid(Try("random", {}, empty), "'act'");
  SearchSpace step;
  step.params.push_back({.name = "n", .kind = ParamKind::kInt, .low = 1, .high = 9, .step = 0.0});
  ExpectInvalid(Try("random", {}, step), "'n'");
  SearchSpace orphan;
  ParamSpec m{.name = "m", .kind = ParamKind::kFloat};
  m.condition = Condition{"opt", {search::test::S("sgd")}};
  orphan.params.push_back(m);
  ExpectInvalid(Try("tpe", {}, orphan), "'opt'");
}

TEST(MakeSamplerTest, DegenerateParametersAreFine) {
  SearchSpace s;
  s.params.push_back({.name = "fixed", .kind = ParamKind::kFloat, .low = 0.3, .high = 0.3});
  s.params.push_back({.name = "one", .kind = ParamKind::kInt, .low = 4, .high = 4});
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = 0.0, .high = 1.0});
  auto tpe = MakeSampler("tpe", s, Direction::kMinimize, 1, {{"n_startup_trials", 2}});
  ASSERT_TRUE(tpe.ok());
  for (int i = 0; i < 15; ++i) {
    Params p = (*tpe)->Ask(i);
    ASSERT_TRUE(s.Validate(p).ok()) << s.Validate(p).ToString();
    EXPECT_EQ(p.at("fixed"), ParamValue(0.3));
    EXPECT_EQ(p.at("one"), ParamValue(int64_t{4}));
    (*tpe)->Tell({.number = i, .params = p, .state = TrialState::kCompleted, .value = std::get<double>(p.at("x"))});
  }
}

}  // namespace
}  // namespace cairn
