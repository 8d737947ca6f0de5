#include <cmath>

#include <gtest/gtest.h>

#include "cairn/plot.h"
#include "cairn/store.h"
#include "support/paths.h"

namespace cairn {
namespace {

class StudyCurvesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("cairn-plot-store");
    auto store = OpenStore("sqlite://" + (dir_ / "cairn.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t AddStudy(nlohmann::json spec) {
    StudyRecord s;
    s.name = "demo";
    s.objective = "val_acc";
    s.direction = Direction::kMaximize;
    s.spec_json = std::move(spec);
    auto id = store_->CreateStudy(s);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }

  int64_t AddTrial(int64_t study, int number, TrialState state, const std::vector<double>& acc,
                   nlohmann::json attrs = nlohmann::json::object()) {
    TrialRecord t;
    t.study_id = study;
    t.number = number;
    t.state = state;
    t.attrs = std::move(attrs);
    auto id = store_->CreateTrial(t);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    std::vector<MetricPoint> points;
    for (size_t i = 0; i < acc.size(); ++i) {
      points.push_back({*id, "val_acc", static_cast<int64_t>(i + 1), acc[i], 1000.0 + i});
      points.push_back({*id, "loss", static_cast<int64_t>(i + 1), 1 - acc[i], 1000.0 + i});
    }
    EXPECT_TRUE(store_->AppendMetrics(points).ok());
    return *id;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

nlohmann::json Decision(double predicted) {
  return {{"decision", {{"action", "stop"}, {"rule", "predictive"}, {"reason", "hopeless"},
                        {"predicted", predicted}, {"lower", predicted - 0.1}, {"upper", predicted + 0.1},
                        {"probability", 0.01}}}};
}

TEST_F(StudyCurvesTest, ReadsCurvesStatesAndPredictions) {
  int64_t study = AddStudy({{"budget", {{"max_steps", 20}}}, {"objective", {{"step", "iteration"}}}});
  AddTrial(study, 0, TrialState::kCompleted, {0.2, 0.5, 0.8});
  AddTrial(study, 1, TrialState::kStopped, {0.1, 0.2}, Decision(0.4));
  AddTrial(study, 2, TrialState::kStopped, {0.1, 0.15}, {{"decision", {{"rule", "median"}}}});
  AddTrial(study, 3, TrialState::kFailed, {});  // never reported: no curve

  auto plot = LoadStudyCurves(*store_, "demo", "");
  ASSERT_TRUE(plot.ok()) << plot.status().ToString();
  EXPECT_EQ(plot->title, "demo");
  EXPECT_EQ(plot->metric, "val_acc");
  EXPECT_EQ(plot->step_name, "iteration");  // the study's step key labels the x axis
  ASSERT_EQ(plot->curves.size(), 3u);
  const auto& c0 = plot->curves[0];
  EXPECT_EQ(c0.label, "trial 0");
  EXPECT_EQ(c0.state, TrialState::kCompleted);
  EXPECT_EQ(c0.steps, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(c0.values, (std::vector<double>{0.2, 0.5, 0.8}));
  EXPECT_FALSE(c0.prediction.has_value());
  const auto& c1 = plot->curves[1];
  ASSERT_TRUE(c1.prediction.has_value());
  EXPECT_EQ(c1.prediction->target_step, 20);  // budget.max_steps
  EXPECT_DOUBLE_EQ(c1.prediction->predicted, 0.4);
  EXPECT_DOUBLE_EQ(*c1.prediction->lower, 0.30000000000000004);
  EXPECT_EQ(c1.prediction->rule, "predictive");
  EXPECT_FALSE(plot->curves[2].prediction.has_value());  // a median stop predicts nothing
}

TEST_F(StudyCurvesTest, TargetIsTheLongestCurveWithoutMaxStepsOrTheDecisionsOwn) {
  int64_t study = AddStudy(nlohmann::json::object());
  AddTrial(study, 0, TrialState::kCompleted, {0.2, 0.5, 0.8, 0.85});
  AddTrial(study, 1, TrialState::kStopped, {0.1}, Decision(0.3));
  auto own = Decision(0.35);
  own["decision"]["target_step"] = 7;
  AddTrial(study, 2, TrialState::kStopped, {0.1}, own);
  auto plot = LoadStudyCurves(*store_, "demo", "");
  ASSERT_TRUE(plot.ok());
  EXPECT_EQ(plot->step_name, "step");  // a spec that names no step key
  EXPECT_EQ(plot->curves[1].prediction->target_step, 4);
  EXPECT_EQ(plot->curves[2].prediction->target_step, 7);
}

TEST_F(StudyCurvesTest, OtherMetricsHaveNoPredictions) {
  int64_t study = AddStudy(nlohmann::json::object());
  AddTrial(study, 0, TrialState::kStopped, {0.25, 0.5}, Decision(0.6));
  auto plot = LoadStudyCurves(*store_, "demo", "loss");
  ASSERT_TRUE(plot.ok());
  EXPECT_EQ(plot->metric, "loss");
  ASSERT_EQ(plot->curves.size(), 1u);
  EXPECT_EQ(plot->curves[0].values, (std::vector<double>{0.75, 0.5}));
  EXPECT_FALSE(plot->curves[0].prediction.has_value());
  EXPECT_TRUE(RenderCurvesSvg(*plot, {}).ok());
}

// A program ahead of the stop reported on after the rule's decision, and
// one past max_steps: the objective's line ends where the value was taken
// (attrs value_step), so the stop dot and the prediction start where the
// rule judged the trial; other metrics are drawn whole.
TEST_F(StudyCurvesTest, TheObjectiveEndsAtTheStepItsValueWasTakenAt) {
  int64_t study = AddStudy({{"budget", {{"max_steps", 3}}}});
  nlohmann::json stopped = Decision(0.4);
  stopped["value_step"] = 1;
  AddTrial(study, 0, TrialState::kStopped, {0.1, 0.2, 0.3, 0.4, 0.5}, stopped);
  AddTrial(study, 1, TrialState::kCompleted, {0.2, 0.5, 0.8, 0.1}, {{"value_step", 3}});
  AddTrial(study, 2, TrialState::kFailed, {0.2, 0.3}, {{"value_step", 1}});
  auto plot = LoadStudyCurves(*store_, "demo", "");
  ASSERT_TRUE(plot.ok()) << plot.status().ToString();
  ASSERT_EQ(plot->curves.size(), 3u);
  EXPECT_EQ(plot->curves[0].steps, (std::vector<int64_t>{1}));
  EXPECT_EQ(plot->curves[1].steps, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(plot->curves[2].steps, (std::vector<int64_t>{1, 2})) << "a failed trial shows all it reported";
  auto svg = RenderCurvesSvg(*plot, {});
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find("trial 0 (stopped)"), std::string::npos);
  EXPECT_NE(svg->find("at step 1"), std::string::npos) << *svg;
  auto loss = LoadStudyCurves(*store_, "demo", "loss");
  ASSERT_TRUE(loss.ok());
  EXPECT_EQ(loss->curves[0].steps.size(), 5u);
}

TEST_F(StudyCurvesTest, RepeatedStepKeepsTheLastValue) {
  int64_t study = AddStudy(nlohmann::json::object());
  int64_t t = AddTrial(study, 0, TrialState::kCompleted, {0.1});
  ASSERT_TRUE(store_->AppendMetrics(std::vector<MetricPoint>{{t, "val_acc", 1, 0.3, 2000.0}}).ok());
  auto plot = LoadStudyCurves(*store_, "demo", "");
  ASSERT_TRUE(plot.ok());
  EXPECT_EQ(plot->curves[0].values, (std::vector<double>{0.3}));
}

TEST_F(StudyCurvesTest, MissingStudyIsNotFound) {
  auto plot = LoadStudyCurves(*store_, "nope", "");
  ASSERT_FALSE(plot.ok());
  EXPECT_EQ(plot.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cairn
