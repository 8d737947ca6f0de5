// Inputs for the CLI tests: a small curve file and a small store, built from
// simple formulas so the expected outputs follow from them.
#pragma once

#include <cmath>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cairn/store.h"
#include "support/paths.h"

namespace cairn::testing {

// The value of curve i (0-based) after step s (1-based): a saturating curve
// whose height grows with i; every fourth curve never learns.
inline double SampleValue(int i, int s) {
  if (i % 4 == 3) return 0.1 + 0.001 * ((s * 7 + i) % 5);
  return (0.3 + 0.05 * i) * (1 - std::exp(-s / (2.0 + i % 3)));
}

// `n` curves of `steps` steps of metric "acc" (max), one a line.
inline void WriteSampleCurves(const std::filesystem::path& path, int n, int steps = 20,
                              const std::string& metric = "acc") {
  std::string text;
  for (int i = 0; i < n; ++i) {
    nlohmann::json values = nlohmann::json::array();
    for (int s = 1; s <= steps; ++s) values.push_back(SampleValue(i, s));
    nlohmann::json line = {{"id", "test/task/cfg" + std::to_string(i)},
                           {"params", {{"x", i}}},
                           {"metric", metric},
                           {"mode", "max"},
                           {"values", values},
                           {"seconds", 1.0}};
    text += line.dump() + "\n";
  }
  WriteFile(path, text);
}

// A store at `db` with study "demo" (objective acc, max, max_steps 20) and
// six trials: 0-2 completed (20 steps), 3-4 stopped after 6 steps (3 with a
// predictive decision), 5 failed after 5 steps and a NaN. `pruner`, when
// given, is the spec's pruner ({"name", "options"}).
inline void BuildSampleStore(const std::filesystem::path& db, const nlohmann::json& pruner = nullptr) {
  auto store = OpenStore("sqlite://" + db.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  StudyRecord study;
  study.name = "demo";
  study.objective = "acc";
  study.direction = Direction::kMaximize;
  study.spec_json = {{"budget", {{"max_steps", 20}}}};
  if (!pruner.is_null()) study.spec_json["pruner"] = pruner;
  auto study_id = (*store)->CreateStudy(study);
  ASSERT_TRUE(study_id.ok()) << study_id.status().ToString();
  for (int number = 0; number < 6; ++number) {
    TrialRecord t;
    t.study_id = *study_id;
    t.number = number;
    int steps = number < 3 ? 20 : number < 5 ? 6 : 5;
    t.state = number < 3 ? TrialState::kCompleted : number < 5 ? TrialState::kStopped : TrialState::kFailed;
    t.steps = steps;
    t.value = SampleValue(number, steps);
    if (number == 3) {
      t.attrs["decision"] = {{"action", "stop"}, {"rule", "predictive"}, {"reason", "cannot win"},
                             {"predicted", 0.3}, {"lower", 0.25}, {"upper", 0.35}, {"probability", 0.01}};
    }
    if (number == 4) t.attrs["decision"] = {{"action", "stop"}, {"rule", "median"}, {"reason", "below median"}};
    auto id = (*store)->CreateTrial(t);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    std::vector<MetricPoint> points;
    for (int s = 1; s <= steps; ++s) points.push_back({*id, "acc", s, SampleValue(number, s), 1e9 + s});
    if (number == 5) points.push_back({*id, "acc", steps + 1, NAN, 1e9 + steps + 1});
    ASSERT_TRUE((*store)->AppendMetrics(points).ok());
  }
}

}  // namespace cairn::testing
