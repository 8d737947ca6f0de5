// ExpandCommand: argv from a template, parameters and extras.
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/spec.h"

namespace cairn {
namespace {

using Argv = std::vector<std::string>;
const std::map<std::string, std::string> kExtra = {{"trial_id", "17"}, {"trial_dir", "/runs/17"}, {"seed", "99"}};

TEST(ExpandCommandTest, SubstitutesParametersAndExtras) {
  Params params = {{"lr", 0.001}, {"width", int64_t{64}}, {"opt", std::string("adam")}, {"bn", true}};
  auto argv = ExpandCommand({"python3", "train.py", "--lr", "{lr}", "--width={width}", "--opt", "{opt}", "{bn}",
                             "--out", "{trial_dir}/model-{trial_id}.pt", "--seed", "{seed}"},
                            params, kExtra);
  ASSERT_TRUE(argv.ok()) << argv.status().ToString();
  EXPECT_EQ(*argv, (Argv{"python3", "train.py", "--lr", "0.001", "--width=64", "--opt", "adam", "true", "--out",
                         "/runs/17/model-17.pt", "--seed", "99"}));
}

TEST(ExpandCommandTest, FloatsRoundTrip) {
  for (double v : {0.1, 1.0 / 3.0, 2.5e-7, 123456789.123, 1e300}) {
    auto argv = ExpandCommand({"p", "{x}"}, {{"x", v}}, {});
    ASSERT_TRUE(argv.ok());
    EXPECT_EQ(std::stod((*argv)[1]), v) << (*argv)[1];
  }
}

TEST(ExpandCommandTest, ParameterWinsOverExtraOfTheSameName) {
  auto argv = ExpandCommand({"p", "{seed}"}, {{"seed", int64_t{5}}}, kExtra);
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(*argv, (Argv{"p", "5"}));
}

TEST(ExpandCommandTest, DoubledBracesAreLiteral) {
  auto argv = ExpandCommand({"p", "{{x}}", "a{{{x}}}b", "}}{{"}, {{"x", int64_t{3}}}, {});
  ASSERT_TRUE(argv.ok()) << argv.status().ToString();
  EXPECT_EQ(*argv, (Argv{"p", "{x}", "a{3}b", "}{"}));
}

TEST(ExpandCommandTest, InactiveParameterDropsItsElementAndFlag) {
  Argv templ = {"prog", "--opt", "{opt}", "--momentum", "{momentum}", "--beta", "{beta}", "-v"};
  auto sgd = ExpandCommand(templ, {{"opt", std::string("sgd")}, {"momentum", 0.9}}, {});
  ASSERT_TRUE(sgd.ok()) << sgd.status().ToString();
  EXPECT_EQ(*sgd, (Argv{"prog", "--opt", "sgd", "--momentum", "0.9", "-v"}));
  auto adam = ExpandCommand(templ, {{"opt", std::string("adam")}, {"beta", 0.5}}, {});
  ASSERT_TRUE(adam.ok()) << adam.status().ToString();
  EXPECT_EQ(*adam, (Argv{"prog", "--opt", "adam", "--beta", "0.5", "-v"}));
}

TEST(ExpandCommandTest, PositionalInactiveParameterKeepsThePreviousElement) {
  // "data.csv" is no flag, and "--x={x}" carries its own value: both stay.
  auto argv = ExpandCommand({"prog", "data.csv", "{a}", "--x={x}", "{b}"}, {{"x", int64_t{1}}}, {});
  ASSERT_TRUE(argv.ok()) << argv.status().ToString();
  EXPECT_EQ(*argv, (Argv{"prog", "data.csv", "--x=1"}));
}

TEST(ExpandCommandTest, ValuelessNameInsideTextIsAnError) {
  auto argv = ExpandCommand({"prog", "--momentum={momentum}"}, {}, {});
  ASSERT_FALSE(argv.ok());
  EXPECT_EQ(argv.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(argv.status().message().find("'{momentum}'"), std::string::npos) << argv.status().message();
  EXPECT_NE(argv.status().message().find("command element 1"), std::string::npos) << argv.status().message();
}

TEST(ExpandCommandTest, UnknownNameIsAnErrorWhenTheSpaceIsGiven) {
  SearchSpace space;
  space.params.push_back(ParamSpec{.name = "lr"});
  auto argv = ExpandCommand({"prog", "--lr", "{lr}", "--w", "{width}"}, {{"lr", 0.1}}, kExtra, &space);
  ASSERT_FALSE(argv.ok());
  EXPECT_NE(argv.status().message().find("unknown placeholder '{width}'"), std::string::npos)
      << argv.status().message();
  // A parameter of the space that is absent is inactive, not unknown.
  auto inactive = ExpandCommand({"prog", "--lr", "{lr}"}, {}, kExtra, &space);
  ASSERT_TRUE(inactive.ok()) << inactive.status().ToString();
  EXPECT_EQ(*inactive, (Argv{"prog"}));
}

TEST(ExpandCommandTest, MalformedBracesAreErrors) {
  for (const char* bad : {"{x", "x}", "{}", "{a{b}}"}) {
    auto argv = ExpandCommand({"prog", bad}, {{"x", int64_t{1}}}, {});
    EXPECT_FALSE(argv.ok()) << bad;
  }
}

TEST(ExpandCommandTest, EmptyResultIsAnError) {
  EXPECT_FALSE(ExpandCommand({"{x}"}, {}, {}).ok());
  EXPECT_FALSE(ExpandCommand({}, {}, {}).ok());
}

TEST(ExpandCommandTest, ParsedStudyCommandExpands) {
  const char* text =
      "name: t\n"
      "command: [python3, train.py, --opt, '{optimizer}', --momentum, '{momentum}', --dir, '{trial_dir}']\n"
      "space:\n"
      "  optimizer: {type: categorical, choices: [sgd, adam]}\n"
      "  momentum: {type: float, low: 0, high: 0.99, when: {optimizer: sgd}}\n"
      "objective: {metric: acc}\n";
  auto spec = ParseStudyText(text, "t.yaml", "/b");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto argv = ExpandCommand(spec->command, {{"optimizer", std::string("adam")}}, kExtra, &spec->space);
  ASSERT_TRUE(argv.ok()) << argv.status().ToString();
  EXPECT_EQ(*argv, (Argv{"python3", "train.py", "--opt", "adam", "--dir", "/runs/17"}));
}

}  // namespace
}  // namespace cairn
