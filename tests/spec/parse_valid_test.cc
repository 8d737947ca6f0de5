// A full, valid study file parses into the struct it describes.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cairn/search/param_codec.h"
#include "cairn/spec.h"
#include "support/paths.h"

namespace cairn {
namespace {

const char kFullStudy[] = R"yaml(
name: digits
command: ["/usr/bin/python3", "train.py", "--lr", "{lr}", "--width", "{width}",
          "--momentum", "{momentum}", "--out", "{trial_dir}/model.pt", "{{literal}}"]
workdir: code
env: {OMP_NUM_THREADS: "1", CUDA_CACHE: 2}
space:
  lr:        {type: float, low: 1.0e-4, high: 0.3, log: true}
  width:     {type: int, low: 16, high: 256, step: 16}
  dropout:   {type: float, low: 0.0, high: 0.5, step: 0.1}
  optimizer: {type: categorical, choices: [sgd, adam, rmsprop]}
  momentum:  {type: float, low: 0.0, high: 0.99, when: {optimizer: sgd}}
  seed:      {type: int, low: 0, high: 1e6}
  mixed:     {type: categorical, choices: [1, 2.5, "3", true, relu]}
  beta:      {type: float, low: 0.1, high: 0.9, when: {optimizer: [adam, rmsprop]}}
objective: {metric: val_acc, direction: max, step: epoch}
metrics:
  patterns:
    - '\| end of epoch\s+(?P<epoch>\d+) .* valid loss\s+(?P<valid_loss>[-+0-9.eE]+)'
budget: {trials: 20, parallel: 2, max_steps: 50, timeout: 10m, grace: 10s, max_retries: 1}
resources: {gpus: 0.5}
sampler: {name: tpe, seed: 7, n_startup_trials: 10, gamma: 0.25}
seed: 1
pruner: {name: median, warmup_steps: 5}
datasets: [data/train.csv, data/]
executor: {name: slurm, partition: gpu, time: "02:00:00", sbatch: ["--mem=8G"], pack: 4}
)yaml";

TEST(ParseValidTest, FullFileFillsEveryField) {
  auto spec = ParseStudyText(kFullStudy, "full.yaml", "/studies/a");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->name, "digits");
  EXPECT_EQ(spec->command.size(), 11u);
  EXPECT_EQ(spec->command[3], "{lr}");
  EXPECT_EQ(spec->workdir, std::filesystem::path("/studies/a/code"));
  EXPECT_EQ(spec->env.at("OMP_NUM_THREADS"), "1");
  EXPECT_EQ(spec->env.at("CUDA_CACHE"), "2");
  EXPECT_EQ(spec->source_text, kFullStudy);

  const auto& params = spec->space.params;
  ASSERT_EQ(params.size(), 8u);
  std::vector<std::string> order;
  for (const auto& p : params) order.push_back(p.name);
  EXPECT_EQ(order, (std::vector<std::string>{"lr", "width", "dropout", "optimizer", "momentum", "seed",
                                             "mixed", "beta"}));
  EXPECT_EQ(params[0].kind, ParamKind::kFloat);
  EXPECT_DOUBLE_EQ(params[0].low, 1.0e-4);
  EXPECT_DOUBLE_EQ(params[0].high, 0.3);
  EXPECT_TRUE(params[0].log);
  EXPECT_FALSE(params[0].step.has_value());
  EXPECT_EQ(params[1].kind, ParamKind::kInt);
  EXPECT_EQ(params[1].step, 16.0);
  EXPECT_DOUBLE_EQ(*params[2].step, 0.1);
  EXPECT_EQ(params[3].kind, ParamKind::kCategorical);
  EXPECT_EQ(params[3].choices, (std::vector<ParamValue>{"sgd", "adam", "rmsprop"}));
  ASSERT_TRUE(params[4].condition.has_value());
  EXPECT_EQ(params[4].condition->parent, "optimizer");
  EXPECT_EQ(params[4].condition->values, (std::vector<ParamValue>{"sgd"}));
  EXPECT_DOUBLE_EQ(params[5].high, 1e6);
  // Plain scalars are typed; quoted ones stay strings.
  EXPECT_EQ(params[6].choices, (std::vector<ParamValue>{int64_t{1}, 2.5, std::string("3"), true, "relu"}));
  EXPECT_EQ(params[7].condition->values, (std::vector<ParamValue>{"adam", "rmsprop"}));

  EXPECT_EQ(spec->metric, "val_acc");
  EXPECT_EQ(spec->direction, Direction::kMaximize);
  EXPECT_EQ(spec->step_key, "epoch");
  ASSERT_EQ(spec->patterns.size(), 1u);
  EXPECT_EQ(spec->patterns[0].regex,
            R"(\| end of epoch\s+(?P<epoch>\d+) .* valid loss\s+(?P<valid_loss>[-+0-9.eE]+))");

  EXPECT_EQ(spec->trials, 20);
  EXPECT_EQ(spec->parallel, 2);
  EXPECT_EQ(spec->max_steps, 50);
  EXPECT_EQ(spec->timeout_s, 600.0);
  EXPECT_EQ(spec->grace_s, 10.0);
  EXPECT_EQ(spec->max_retries, 1);
  EXPECT_EQ(spec->gpus_per_trial, 0.5);

  EXPECT_EQ(spec->sampler, "tpe");
  EXPECT_EQ(spec->seed, 7u);  // the sampler's own seed wins over the top-level one
  EXPECT_EQ(spec->sampler_options, (nlohmann::json{{"n_startup_trials", 10}, {"gamma", 0.25}}));
  EXPECT_EQ(spec->pruner, "median");
  EXPECT_EQ(spec->pruner_options, (nlohmann::json{{"warmup_steps", 5}}));
  ASSERT_EQ(spec->datasets.size(), 2u);
  EXPECT_EQ(spec->datasets[0], std::filesystem::path("/studies/a/code/data/train.csv"));
  // "data/" is the folder "data": one path whichever way it is written.
  EXPECT_EQ(spec->datasets[1], std::filesystem::path("/studies/a/code/data"));
  EXPECT_EQ(spec->executor, "slurm");
  EXPECT_EQ(spec->executor_options["partition"], "gpu");
  EXPECT_EQ(spec->executor_options["time"], "02:00:00");
  EXPECT_EQ(spec->executor_options["sbatch"], nlohmann::json::array({"--mem=8G"}));
  EXPECT_EQ(spec->executor_options["pack"], 4);
}

TEST(ParseValidTest, MinimalFileTakesDefaults) {
  const char* text =
      "name: tiny\n"
      "command: [./train]\n"
      "space: {x: {type: float, low: 0, high: 1}}\n"
      "objective: {metric: loss, direction: minimize}\n"
      "seed: 3\n";
  auto spec = ParseStudyText(text, "tiny.yaml", "/base");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  StudySpec defaults;
  EXPECT_EQ(spec->workdir, std::filesystem::path("/base"));
  EXPECT_EQ(spec->direction, Direction::kMinimize);
  EXPECT_EQ(spec->step_key, "epoch");
  EXPECT_EQ(spec->trials, defaults.trials);
  EXPECT_EQ(spec->parallel, 1);
  EXPECT_FALSE(spec->timeout_s.has_value());
  EXPECT_FALSE(spec->max_steps.has_value());
  EXPECT_EQ(spec->sampler, "tpe");
  EXPECT_EQ(spec->seed, 3u);  // top-level seed when the sampler has none
  EXPECT_EQ(spec->pruner, "none");
  EXPECT_EQ(spec->executor, "local");
  EXPECT_EQ(spec->gpus_per_trial, 0.0);
  EXPECT_TRUE(spec->env.empty());
  EXPECT_TRUE(spec->patterns.empty());
  EXPECT_FALSE(spec->lower_bound || spec->upper_bound);
  EXPECT_FALSE(spec->ToJson()["objective"].contains("bounds"));
}

TEST(ParseValidTest, ObjectiveBoundsMayLeaveASideOpen) {
  auto both = ParseStudyText("name: a\ncommand: [p]\nspace: {x: {type: int, low: 0, high: 3}}\nobjective: {metric: acc, bounds: [0, 1]}\n",
                             "a.yaml", "/base");
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->lower_bound, 0.0);
  EXPECT_EQ(both->upper_bound, 1.0);
  EXPECT_EQ(both->ToJson()["objective"]["bounds"], nlohmann::json::parse("[0.0, 1.0]"));
  auto loss = ParseStudyText(
      "name: a\ncommand: [p]\nspace: {x: {type: int, low: 0, high: 3}}\nobjective: {metric: loss, direction: min, bounds: [0, null]}\n",
      "a.yaml", "/base");
  ASSERT_TRUE(loss.ok()) << loss.status().ToString();
  EXPECT_EQ(loss->lower_bound, 0.0);
  EXPECT_FALSE(loss->upper_bound.has_value());
  EXPECT_EQ(loss->ToJson()["objective"]["bounds"], nlohmann::json::parse("[0.0, null]"));
}

TEST(ParseValidTest, TheStoredSpaceReadsBackAsTheParsedOne) {
  auto spec = ParseStudyText(
      "name: a\ncommand: [p]\n"
      "space:\n"
      "  lr: {type: float, low: 1.0e-4, high: 1.0e-3, log: true}\n"
      "  layers: {type: int, low: 1, high: 4, step: 1}\n"
      "  opt: {type: categorical, choices: [sgd, adam, 3, true]}\n"
      "  momentum: {type: float, low: 0.5, high: 0.99, when: {opt: [sgd]}}\n"
      "objective: {metric: acc}\n",
      "a.yaml", "/base");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  std::optional<SearchSpace> back = SpaceOf(spec->ToJson());
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->params.size(), spec->space.params.size());
  for (size_t i = 0; i < back->params.size(); ++i) {
    const ParamSpec& a = spec->space.params[i];
    const ParamSpec& b = back->params[i];
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.kind, a.kind) << a.name;
    EXPECT_EQ(b.low, a.low) << a.name;
    EXPECT_EQ(b.high, a.high) << a.name;
    EXPECT_EQ(b.log, a.log) << a.name;
    EXPECT_EQ(b.step, a.step) << a.name;
    EXPECT_EQ(b.choices, a.choices) << a.name;
    EXPECT_EQ(b.condition.has_value(), a.condition.has_value()) << a.name;
    if (a.condition && b.condition) {
      EXPECT_EQ(b.condition->parent, a.condition->parent);
      EXPECT_EQ(b.condition->values, a.condition->values);
    }
  }
  EXPECT_FALSE(SpaceOf(nlohmann::json::object()).has_value());
  EXPECT_FALSE(SpaceOf(nlohmann::json{{"space", {{{"name", "x"}, {"type", "weird"}}}}}).has_value());
}

TEST(ParseValidTest, PlainNamesForPluginsAndNumericConditions) {
  const char* text =
      "name: t\n"
      "command: [prog, '{layers}', '{units}']\n"
      "space:\n"
      "  layers: {type: int, low: 1, high: 4}\n"
      "  units: {type: int, low: 8, high: 64, log: true, when: {layers: [2, 3.0]}}\n"
      "objective: {metric: acc}\n"
      "sampler: random\n"
      "pruner: asha\n"
      "executor: local\n"
      "resources: {gpus: 2}\n"
      "budget: {timeout: 90, grace: 1.5}\n";
  auto spec = ParseStudyText(text, "t.yaml", "/b");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->sampler, "random");
  EXPECT_TRUE(spec->sampler_options.empty());
  EXPECT_EQ(spec->pruner, "asha");
  EXPECT_EQ(spec->gpus_per_trial, 2.0);
  EXPECT_EQ(spec->timeout_s, 90.0);
  EXPECT_EQ(spec->grace_s, 1.5);
  const ParamSpec* units = spec->space.Find("units");
  ASSERT_NE(units, nullptr);
  EXPECT_TRUE(units->log);
  EXPECT_TRUE(spec->space.IsActive(*units, {{"layers", int64_t{3}}}));
  EXPECT_FALSE(spec->space.IsActive(*units, {{"layers", int64_t{1}}}));
}

// A condition on a stepped float holds the grid point the samplers give:
// a value within rounding of it (0.15000000001, or 0.15 whose sampled twin
// is 0.05 + 0.1) activates the child exactly where that point is sampled.
TEST(ParseValidTest, AConditionOnASteppedFloatIsItsGridPoint) {
  for (const char* value : {"0.15", "0.15000000001", "0.14999999999"}) {
    auto spec = ParseStudyText(fmt::format("name: t\ncommand: [p, '{{c}}']\nspace:\n"
                                           "  y: {{type: float, low: 0.05, high: 0.95, step: 0.1}}\n"
                                           "  c: {{type: int, low: 1, high: 2, when: {{y: {}}}}}\n"
                                           "objective: {{metric: acc}}\n",
                                           value),
                               "t.yaml", "/b");
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    const ParamSpec* y = spec->space.Find("y");
    const ParamSpec* c = spec->space.Find("c");
    ASSERT_TRUE(y && c);
    EXPECT_TRUE(spec->space.IsActive(*c, {{"y", search::GridValue(*y, 1)}})) << value;
    EXPECT_FALSE(spec->space.IsActive(*c, {{"y", search::GridValue(*y, 2)}})) << value;
  }
}

TEST(ParseValidTest, AutomaticPackingTakesOneGpuPerTrialToStart) {
  auto spec = ParseStudyText(
      "name: t\ncommand: [p]\nspace: {x: {type: float, low: 0, high: 1}}\nobjective: {metric: acc}\n"
      "resources: {packing: auto, margin: 0.2, max_per_gpu: 4}\n",
      "t.yaml", "/b");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->packing, "auto");
  EXPECT_EQ(spec->gpus_per_trial, 1.0);
  EXPECT_EQ(spec->packing_margin, 0.2);
  EXPECT_EQ(spec->max_trials_per_gpu, 4);
  EXPECT_EQ(spec->ToJson()["resources"]["packing"], "auto");
}

TEST(ParseValidTest, StudyFileIsReadFromDiskWithItsFolderAsWorkdir) {
  auto dir = testing::MakeTempDir("cairn_spec");
  testing::WriteFile(dir / "sub" / "study.yaml", kFullStudy);
  auto spec = ParseStudyFile(dir / "sub" / "study.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->source, dir / "sub" / "study.yaml");
  EXPECT_EQ(spec->workdir, dir / "sub" / "code");
  EXPECT_EQ(spec->source_text, kFullStudy);

  auto missing = ParseStudyFile(dir / "nope.yaml");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.yaml"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ParseValidTest, ToJsonHoldsSpaceWithConditionsAndEverySection) {
  auto spec = ParseStudyText(kFullStudy, "full.yaml", "/studies/a");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  nlohmann::json j = spec->ToJson();
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["name"], "digits");
  EXPECT_EQ(j["workdir"], "/studies/a/code");
  EXPECT_EQ(j["command"].size(), 11u);
  ASSERT_EQ(j["space"].size(), 8u);
  EXPECT_EQ(j["space"][0], (nlohmann::json{{"name", "lr"}, {"type", "float"}, {"low", 1.0e-4},
                                            {"high", 0.3}, {"log", true}}));
  EXPECT_EQ(j["space"][1]["low"], 16);
  EXPECT_TRUE(j["space"][1]["low"].is_number_integer());
  EXPECT_EQ(j["space"][1]["step"], 16);
  EXPECT_EQ(j["space"][3]["choices"], nlohmann::json::array({"sgd", "adam", "rmsprop"}));
  EXPECT_EQ(j["space"][4]["when"], (nlohmann::json{{"parent", "optimizer"}, {"values", {"sgd"}}}));
  EXPECT_EQ(j["space"][6]["choices"], nlohmann::json::parse(R"([1, 2.5, "3", true, "relu"])"));
  EXPECT_EQ(j["objective"]["direction"], "maximize");
  EXPECT_EQ(j["budget"]["timeout_s"], 600.0);
  EXPECT_EQ(j["budget"]["max_steps"], 50);
  EXPECT_EQ(j["sampler"]["seed"], 7);
  EXPECT_EQ(j["sampler"]["options"]["gamma"], 0.25);
  EXPECT_EQ(j["pruner"]["name"], "median");
  EXPECT_EQ(j["executor"]["options"]["pack"], 4);
  EXPECT_EQ(j["datasets"][1], "/studies/a/code/data");
  EXPECT_EQ(j["metrics"]["patterns"][0]["regex"], spec->patterns[0].regex);
  // The JSON survives a text round trip unchanged.
  EXPECT_EQ(nlohmann::json::parse(j.dump()), j);
}

// The example in the format's documentation must stay valid.
TEST(ParseValidTest, DocumentedExampleParses) {
  std::string doc = testing::ReadFile(testing::SourceDir() / "docs" / "study-file.md");
  size_t begin = doc.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos) << "docs/study-file.md has no yaml example";
  begin += 8;
  size_t end = doc.find("```", begin);
  ASSERT_NE(end, std::string::npos);
  auto spec = ParseStudyText(doc.substr(begin, end - begin), "study-file.md", "/b");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->name, "digits");
  EXPECT_EQ(spec->space.params.size(), 6u);
}

}  // namespace
}  // namespace cairn
