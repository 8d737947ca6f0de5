#include "cairn/space.h"
#include "cairn/trial.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cairn {
namespace {

SearchSpace TwoLevelSpace() {
  SearchSpace s;
  s.params.push_back({.name = "optimizer", .kind = ParamKind::kCategorical,
                      .choices = {ParamValue(std::string("sgd")), ParamValue(std::string("adam"))}});
  ParamSpec momentum{.name = "momentum", .kind = ParamKind::kFloat, .low = 0.0, .high = 0.99};
  momentum.condition = Condition{"optimizer", {ParamValue(std::string("sgd"))}};
  s.params.push_back(momentum);
  s.params.push_back({.name = "layers", .kind = ParamKind::kInt, .low = 1, .high = 4});
  return s;
}

TEST(SpaceTest, ConditionalParameterIsActiveOnlyForItsParentValue) {
  SearchSpace s = TwoLevelSpace();
  Params sgd{{"optimizer", std::string("sgd")}};
  Params adam{{"optimizer", std::string("adam")}};
  EXPECT_TRUE(s.IsActive(*s.Find("momentum"), sgd));
  EXPECT_FALSE(s.IsActive(*s.Find("momentum"), adam));
}

// Choices 1 and true are two choices: a condition on one is not met by
// the other (1 and 1.0 are one number).
TEST(SpaceTest, AConditionOnOneIsNotMetByTrue) {
  SearchSpace s;
  s.params.push_back({.name = "opt", .kind = ParamKind::kCategorical, .choices = {ParamValue(int64_t{1}), ParamValue(true)}});
  ParamSpec m{.name = "m", .kind = ParamKind::kInt, .low = 0, .high = 2};
  m.condition = Condition{"opt", {ParamValue(int64_t{1})}};
  s.params.push_back(m);
  EXPECT_TRUE(s.IsActive(*s.Find("m"), {{"opt", int64_t{1}}}));
  EXPECT_TRUE(s.IsActive(*s.Find("m"), {{"opt", 1.0}}));
  EXPECT_FALSE(s.IsActive(*s.Find("m"), {{"opt", true}}));
  s.params[1].condition = Condition{"opt", {ParamValue(true)}};
  EXPECT_TRUE(s.IsActive(*s.Find("m"), {{"opt", true}}));
  EXPECT_FALSE(s.IsActive(*s.Find("m"), {{"opt", int64_t{1}}}));
}

TEST(SpaceTest, ValidateNamesTheParameter) {
  SearchSpace s = TwoLevelSpace();
  Params ok{{"optimizer", std::string("sgd")}, {"momentum", 0.9}, {"layers", int64_t{2}}};
  EXPECT_TRUE(s.Validate(ok).ok());
  Params inactive{{"optimizer", std::string("adam")}, {"momentum", 0.9}, {"layers", int64_t{2}}};
  EXPECT_NE(s.Validate(inactive).message().find("momentum"), std::string::npos);
  Params out_of_range{{"optimizer", std::string("adam")}, {"layers", int64_t{9}}};
  EXPECT_NE(s.Validate(out_of_range).message().find("layers"), std::string::npos);
  Params not_int{{"optimizer", std::string("adam")}, {"layers", 2.5}};
  EXPECT_FALSE(s.Validate(not_int).ok());
}

TEST(SpaceTest, JsonRoundTripKeepsTypes) {
  Params p{{"lr", 1.0}, {"width", int64_t{64}}, {"opt", std::string("adam")}, {"bn", true}};
  auto j = ParamsToJson(p);
  auto back = ParamsFromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  EXPECT_TRUE(std::holds_alternative<double>(back->at("lr")));
}

TEST(TrialTest, StateNamesRoundTrip) {
  for (auto s : {TrialState::kQueued, TrialState::kRunning, TrialState::kCompleted, TrialState::kStopped,
                 TrialState::kFailed, TrialState::kInterrupted, TrialState::kLost}) {
    EXPECT_EQ(ParseTrialState(TrialStateName(s)), s);
  }
  EXPECT_FALSE(ParseTrialState("pruned").has_value());
  EXPECT_EQ(ParseDirection("max"), Direction::kMaximize);
}

TEST(SpaceOfParams, NumbersSpanTheirValuesAndOtherValuesAreChoices) {
  std::vector<Params> configurations = {
      Params{{"lr", 0.001}, {"depth", int64_t{2}}, {"opt", std::string("sgd")}, {"drop", 0.1}},
      Params{{"lr", 0.1}, {"depth", int64_t{8}}, {"opt", std::string("adam")}, {"drop", 0.5}},
      Params{{"lr", 0.01}, {"depth", int64_t{4}}, {"opt", std::string("sgd")}, {"mixed", int64_t{1}}},
      Params{{"mixed", std::string("x")}},
  };
  SearchSpace space = SpaceOfParams(configurations);
  ASSERT_EQ(space.params.size(), 5u);
  const ParamSpec* lr = space.Find("lr");
  ASSERT_NE(lr, nullptr);
  EXPECT_EQ(lr->kind, ParamKind::kFloat);
  EXPECT_DOUBLE_EQ(lr->low, 0.001);
  EXPECT_DOUBLE_EQ(lr->high, 0.1);
  EXPECT_TRUE(lr->log);  // positive, a factor of 100
  const ParamSpec* depth = space.Find("depth");
  ASSERT_NE(depth, nullptr);
  EXPECT_EQ(depth->kind, ParamKind::kInt);
  EXPECT_FALSE(depth->log);  // a factor of 4
  EXPECT_EQ(space.Find("opt")->kind, ParamKind::kCategorical);
  EXPECT_EQ(space.Find("opt")->choices, (std::vector<ParamValue>{std::string("sgd"), std::string("adam")}));
  EXPECT_FALSE(space.Find("drop")->log);
  EXPECT_EQ(space.Find("mixed")->kind, ParamKind::kCategorical);  // a number and a string
  EXPECT_EQ(space.Find("mixed")->choices.size(), 2u);
}

TEST(SpaceOfParams, NoParametersNoSpace) {
  EXPECT_TRUE(SpaceOfParams({Params{}, Params{}}).params.empty());
}

}  // namespace
}  // namespace cairn
