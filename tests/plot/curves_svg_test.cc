#include <cmath>
#include <regex>

#include <gtest/gtest.h>

#include "cairn/plot.h"
#include "support/paths.h"

namespace cairn {
namespace {

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

PlotCurve Curve(std::string label, TrialState state, std::vector<double> values, int64_t first_step = 1) {
  PlotCurve c;
  c.label = std::move(label);
  c.state = state;
  for (size_t i = 0; i < values.size(); ++i) c.steps.push_back(first_step + static_cast<int64_t>(i));
  c.values = std::move(values);
  return c;
}

// Four trials over 10 steps: two completed (trial 1 best), one stopped with
// a prediction at step 10, one failed ending in NaN.
CurvesPlot Sample() {
  CurvesPlot p;
  p.title = "digits <mlp>";
  p.metric = "val_acc";
  p.direction = Direction::kMaximize;
  p.curves.push_back(Curve("trial 0", TrialState::kCompleted, {0.1, 0.3, 0.5, 0.6, 0.65, 0.7, 0.72, 0.73, 0.74, 0.75}));
  p.curves.push_back(Curve("trial 1", TrialState::kCompleted, {0.2, 0.5, 0.7, 0.8, 0.84, 0.86, 0.88, 0.89, 0.9, 0.9}));
  auto stopped = Curve("trial 2", TrialState::kStopped, {0.1, 0.15, 0.2, 0.22});
  stopped.prediction = PlotPrediction{.target_step = 10, .predicted = 0.4, .lower = 0.3, .upper = 0.5,
                                      .rule = "predictive"};
  p.curves.push_back(stopped);
  p.curves.push_back(Curve("trial 3", TrialState::kFailed, {0.1, 0.2, NAN}));
  return p;
}

TEST(RenderCurvesSvg, DrawsEveryKindWithTitleCountsAndLegend) {
  auto svg = RenderCurvesSvg(Sample(), {});
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  const std::string& doc = *svg;
  EXPECT_NE(doc.find(">digits &lt;mlp&gt;</text>"), std::string::npos);
  EXPECT_NE(doc.find("val_acc (maximize) · 4 curves: 2 completed, 1 stopped, 1 failed"), std::string::npos);
  EXPECT_NE(doc.find(">completed (2)</text>"), std::string::npos);
  EXPECT_NE(doc.find(">best: trial 1</text>"), std::string::npos);
  EXPECT_NE(doc.find(">val_acc = 0.9</text>"), std::string::npos);
  EXPECT_NE(doc.find(">stopped early (1)</text>"), std::string::npos);
  EXPECT_NE(doc.find(">predicted final (1)</text>"), std::string::npos);
  EXPECT_NE(doc.find(">failed (1)</text>"), std::string::npos);
  EXPECT_NE(doc.find("<title>trial 2 stopped at step 4 by predictive: predicted 0.4 [0.3, 0.5] at step 10</title>"),
            std::string::npos);
  // Failed curves are dashed; every group is closed.
  EXPECT_NE(doc.find("stroke=\"#e6550d\" stroke-width=\"1.6\" fill=\"none\" opacity=\"0.85\" stroke-dasharray=\"5 3\""),
            std::string::npos);
  EXPECT_EQ(Count(doc, "<g"), Count(doc, "</g>"));
  EXPECT_NE(doc.find("x=\"22\""), std::string::npos);  // the rotated y label
  EXPECT_NE(doc.find(">step</text>"), std::string::npos);  // the x label
}

TEST(RenderCurvesSvg, LabelsTheXAxisWithWhatStepsCount) {
  CurvesPlot p = Sample();
  p.step_name = "epoch";
  auto svg = RenderCurvesSvg(p, {});
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_NE(svg->find(">epoch</text>"), std::string::npos);
  EXPECT_EQ(svg->find(">step</text>"), std::string::npos);
}

TEST(RenderCurvesSvg, PutsTheBestFinalPointNearTheRightAndTopOfThePlotArea) {
  auto svg = RenderCurvesSvg(Sample(), {});
  ASSERT_TRUE(svg.ok());
  std::smatch m;
  std::regex best(R"re(<circle cx="([0-9.]+)" cy="([0-9.]+)" r="4" stroke="#ffffff" stroke-width="1.2" fill="#08306b")re");
  ASSERT_TRUE(std::regex_search(*svg, m, best));
  // Plot area: x from 84 to 1200 - 250 - 24 = 926, y from 72 to 700 - 62 = 638.
  // x spans steps [0, 10 * 1.02]; y spans [0.1, 0.9] padded by 4 %, so 0.9
  // lies 0.032/0.864 of the height below the top.
  EXPECT_NEAR(std::stod(m[1]), 84 + 842 * 10 / 10.2, 0.06);
  EXPECT_NEAR(std::stod(m[2]), 72 + 566 * 0.032 / 0.864, 0.06);
}

TEST(RenderCurvesSvg, BestFollowsTheDirection) {
  CurvesPlot p = Sample();
  p.direction = Direction::kMinimize;
  auto svg = RenderCurvesSvg(p, {});
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find(">best: trial 0</text>"), std::string::npos);
}

// The best is the one status names: the recorded value (a point past
// max_steps does not count), the first of tied trials, whatever a log axis
// can show.
TEST(RenderCurvesSvg, BestIsTheRecordedValueTheFirstOfTiesAndOffTheLogScaleToo) {
  CurvesPlot p = Sample();
  p.curves[0].values.back() = 0.95;  // a point past max_steps
  p.curves[0].final_value = 0.74;    // its value at max_steps
  auto svg = RenderCurvesSvg(p, {});
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find(">best: trial 1</text>"), std::string::npos) << "0.9 beats the recorded 0.74";

  p = Sample();
  p.curves[0].values.back() = 0.9;  // a tie with trial 1: the first is the best
  svg = RenderCurvesSvg(p, {});
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find(">best: trial 0</text>"), std::string::npos);

  CurvesPlot loss;
  loss.metric = "loss";
  loss.direction = Direction::kMinimize;
  loss.curves.push_back(Curve("a", TrialState::kCompleted, {2, 1, -0.4}));
  loss.curves.push_back(Curve("b", TrialState::kCompleted, {2, 1, 0.3}));
  svg = RenderCurvesSvg(loss, {.log_y = true});
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_NE(svg->find(">best: a</text>"), std::string::npos) << "-0.4 is off a log axis but still the best";
  EXPECT_NE(svg->find("loss = -0.4"), std::string::npos);

  // A best with no positive point at all has nothing on a log axis to
  // mark: no marker (it was drawn from before the start of its points).
  CurvesPlot negative = loss;
  negative.curves[0] = Curve("a", TrialState::kCompleted, {-1, -2, -3});
  negative.curves[1] = Curve("b", TrialState::kCompleted, {3, 2, 1});
  svg = RenderCurvesSvg(negative, {.log_y = true});
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_NE(svg->find(">best: a</text>"), std::string::npos);
  // Every mark lies on the canvas (1200 x 700 by default).
  const std::regex circle(R"re(<circle cx="([-0-9.e+]+)" cy="([-0-9.e+]+)")re");
  for (auto it = std::sregex_iterator(svg->begin(), svg->end(), circle); it != std::sregex_iterator(); ++it) {
    const double cx = std::stod((*it)[1]), cy = std::stod((*it)[2]);
    EXPECT_TRUE(cx >= 0 && cx <= 1200 && cy >= 0 && cy <= 700) << it->str();
  }
}

TEST(RenderCurvesSvg, IsDeterministic) {
  auto a = RenderCurvesSvg(Sample(), {});
  auto b = RenderCurvesSvg(Sample(), {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(RenderCurvesSvg, LogScaleHidesNonPositivePointsAndSaysSo) {
  CurvesPlot p;
  p.title = "loss";
  p.metric = "loss";
  p.direction = Direction::kMinimize;
  p.curves.push_back(Curve("a", TrialState::kCompleted, {10, 1, 0.1, 0.0, -1}));
  auto svg = RenderCurvesSvg(p, {.log_y = true});
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_NE(svg->find("2 points &lt;= 0 not shown"), std::string::npos);
  EXPECT_NE(svg->find(">loss (log scale)</text>"), std::string::npos);
  EXPECT_NE(svg->find(">0.1</text>"), std::string::npos);  // decade ticks
  EXPECT_NE(svg->find(">10</text>"), std::string::npos);
}

TEST(RenderCurvesSvg, NothingToDrawIsAnError) {
  CurvesPlot p;
  p.metric = "loss";
  p.curves.push_back(Curve("a", TrialState::kFailed, {NAN, NAN}));
  auto svg = RenderCurvesSvg(p, {});
  ASSERT_FALSE(svg.ok());
  EXPECT_EQ(svg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(svg.status().message().find("'loss'"), std::string::npos);
  p.curves[0].values = {-1, -2};
  EXPECT_FALSE(RenderCurvesSvg(p, {.log_y = true}).ok());
}

TEST(RenderCurvesSvg, RejectsTinyCanvases) {
  auto svg = RenderCurvesSvg(Sample(), {.width = 100});
  ASSERT_FALSE(svg.ok());
  EXPECT_NE(svg.status().message().find("'width'"), std::string::npos);
}

TEST(RenderCurvesSvg, ManyCurvesAreThinAndFaint) {
  CurvesPlot p;
  p.title = "many";
  p.metric = "acc";
  for (int i = 0; i < 500; ++i) {
    std::vector<double> v;
    for (int s = 1; s <= 50; ++s) v.push_back((i % 97) / 100.0 * (1 - std::exp(-s / 10.0)));
    p.curves.push_back(Curve("trial " + std::to_string(i), i % 3 ? TrialState::kStopped : TrialState::kCompleted, v));
  }
  auto svg = RenderCurvesSvg(p, {});
  ASSERT_TRUE(svg.ok());
  // 167 completed: width 0.8, opacity 3/sqrt(167) = 0.232.
  EXPECT_NE(svg->find("stroke-width=\"0.8\" fill=\"none\" opacity=\"0.232\""), std::string::npos);
  EXPECT_LT(svg->size(), 2'000'000u);
  EXPECT_EQ(Count(*svg, "<path d="), 500);
}

TEST(WriteCurvesSvg, WritesTheFileAndNamesAnUnwritablePath) {
  auto dir = testing::MakeTempDir("cairn-plot");
  auto path = dir / "curves.svg";
  ASSERT_TRUE(WriteCurvesSvg(path, Sample(), {}).ok());
  EXPECT_EQ(testing::ReadFile(path), *RenderCurvesSvg(Sample(), {}));
  Status bad = WriteCurvesSvg(dir / "missing" / "x.svg", Sample(), {});
  EXPECT_EQ(bad.code(), StatusCode::kIoError);
  EXPECT_NE(bad.message().find("missing/x.svg"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// Curves one step long: their points sit under the step's tick in the
// middle of the plot, not on the frame's left edge.
TEST(RenderCurvesSvg, OneStepCurvesAreDrawnInTheMiddle) {
  CurvesPlot p;
  p.title = "one step";
  p.metric = "acc";
  p.direction = Direction::kMaximize;
  p.curves.push_back(Curve("trial 0", TrialState::kCompleted, {0.4}));
  p.curves.push_back(Curve("trial 1", TrialState::kCompleted, {0.6}));
  auto svg = RenderCurvesSvg(p, {});
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  const std::string& doc = *svg;
  std::smatch circle, tick;
  ASSERT_TRUE(std::regex_search(doc, circle, std::regex("<circle cx=\"([0-9.]+)\"")));
  ASSERT_TRUE(std::regex_search(doc, tick, std::regex("<text x=\"([0-9.]+)\"[^>]*>1</text>"))) << doc;
  EXPECT_EQ(circle[1], tick[1]);
}

}  // namespace
}  // namespace cairn
