#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cairn/curve.h"
#include "curve/curve_test_util.h"

namespace cairn {
namespace {

using curve_testing::Prefix;
using curve_testing::Sample;
using curve_testing::Steps;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

CurveModel MustFit(const std::vector<double>& values, const CurveFitOptions& options) {
  Result<CurveModel> model = CurveModel::Fit(Steps(static_cast<int>(values.size())), values, options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

const CurveFitOptions kAccuracy{.direction = Direction::kMaximize, .lower_bound = 0.0, .upper_bound = 1.0};

TEST(CurveModelTest, EnsemblePredictsCleanPow3AndCoversIt) {
  auto f = [](double x) { return 0.9 - 0.6 * std::pow(x, -0.7); };
  CurveModel model = MustFit(Sample(f, 30, 0.002), kAccuracy);
  CurvePrediction p = model.Predict(100);
  EXPECT_TRUE(p.ok) << p.note;
  EXPECT_EQ(p.regime, CurveRegime::kLearning);
  EXPECT_NEAR(p.mean, f(100), 0.02);
  EXPECT_LE(p.lower, f(100));
  EXPECT_GE(p.upper, f(100));
  EXPECT_LT(p.upper - p.lower, 0.2);  // informative, not [0, 1]
  ASSERT_FALSE(p.members.empty());
  double total = 0;
  for (const auto& m : p.members) total += m.weight;
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_GE(p.members.front().weight, p.members.back().weight);
}

TEST(CurveModelTest, EnsemblePredictsCleanExponential) {
  auto f = [](double x) { return 0.8 - 0.7 * std::exp(-0.05 * x); };
  CurveModel model = MustFit(Sample(f, 40, 0.002, 3), kAccuracy);
  CurvePrediction p = model.Predict(100);
  EXPECT_TRUE(p.ok);
  EXPECT_NEAR(p.mean, f(100), 0.03);
  EXPECT_LE(p.lower, f(100));
  EXPECT_GE(p.upper, f(100));
  // Within the observed steps the model reproduces the data.
  EXPECT_NEAR(model.Predict(20).mean, f(20), 0.01);
}

TEST(CurveModelTest, TooFewPointsPredictsLastValueWithWideInterval) {
  std::vector<double> values = {0.2, 0.3};
  CurveModel model = MustFit(values, kAccuracy);
  CurvePrediction p = model.Predict(50);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.regime, CurveRegime::kTooFewPoints);
  EXPECT_DOUBLE_EQ(p.mean, 0.3);
  EXPECT_DOUBLE_EQ(p.lower, 0.0);
  EXPECT_DOUBLE_EQ(p.upper, 1.0);
  EXPECT_NE(p.note.find("too few"), std::string::npos);
  // Unbounded metric: still wide around the last value.
  CurvePrediction q = MustFit(values, {}).Predict(50);
  EXPECT_LE(q.lower, 0.3 - 1.0);
  EXPECT_GE(q.upper, 0.3 + 1.0);
}

TEST(CurveModelTest, FlatCurveNeverLearnsAndPredictsFlat) {
  std::vector<double> flat(30, 0.1);
  CurveModel model = MustFit(flat, kAccuracy);
  EXPECT_EQ(model.regime(), CurveRegime::kNoLearning);
  CurvePrediction p = model.Predict(100);
  EXPECT_TRUE(p.ok);
  EXPECT_DOUBLE_EQ(p.mean, 0.1);
  EXPECT_LT(p.upper - p.lower, 1e-6);

  std::vector<double> noisy_flat = Sample([](double) { return 0.1; }, 30, 0.01, 5);
  CurvePrediction q = MustFit(noisy_flat, kAccuracy).Predict(100);
  EXPECT_EQ(q.regime, CurveRegime::kNoLearning);
  EXPECT_NEAR(q.mean, 0.1, 0.01);
  EXPECT_LT(q.upper - q.lower, 0.06);
  EXPECT_NE(q.note.find("no learning"), std::string::npos);
}

TEST(CurveModelTest, LateLearnerIsNotPredictedFlat) {
  auto f = [](double x) { return x <= 20 ? 0.1 : 0.1 + 0.8 * (1 - std::exp(-(x - 20) / 10)); };
  std::vector<double> values = Sample(f, 35, 0.003, 9);
  CurveModel model = MustFit(values, kAccuracy);
  EXPECT_EQ(model.regime(), CurveRegime::kLearning);
  EXPECT_GE(model.Summary().onset_index, 15);
  CurvePrediction p = model.Predict(100);
  EXPECT_TRUE(p.ok);
  EXPECT_GT(p.mean, values.back() + 0.05);
  EXPECT_NEAR(p.mean, f(100), 0.1);
}

TEST(CurveModelTest, NoisyCurveWithSpikesStaysOnTrack) {
  auto f = [](double x) { return 0.85 - 0.7 * std::pow(x, -0.6); };
  std::vector<double> values = Sample(f, 50, 0.03, 11);
  values[20] = 0.05;  // two wild evaluations
  values[41] = 0.2;
  CurvePrediction p = MustFit(values, kAccuracy).Predict(100);
  EXPECT_TRUE(p.ok);
  EXPECT_NEAR(p.mean, f(100), 0.06);
  EXPECT_LE(p.lower, f(100));
  EXPECT_GE(p.upper, f(100));
}

TEST(CurveModelTest, DivergingAccuracyKeepsFalling) {
  auto f = [](double x) { return x <= 20 ? 0.8 - 0.6 * std::exp(-0.2 * x) : 0.79 - 0.02 * (x - 20); };
  std::vector<double> values = Sample(f, 35, 0.003, 13);
  CurveModel model = MustFit(values, kAccuracy);
  EXPECT_EQ(model.regime(), CurveRegime::kDiverging);
  CurvePrediction p = model.Predict(60);
  EXPECT_TRUE(p.ok) << p.note;
  EXPECT_LT(p.mean, values.back());  // no rebound
  EXPECT_GE(p.lower, 0.0);
  EXPECT_NE(p.note.find("diverging"), std::string::npos);
}

TEST(CurveModelTest, ExplodingLossIsPredictedToGetWorse) {
  auto f = [](double x) { return x <= 15 ? 0.5 + 1.5 * std::exp(-0.3 * x) : 0.52 + 0.25 * (x - 15); };
  std::vector<double> values = Sample(f, 25, 0.005, 17);
  CurveFitOptions loss{.direction = Direction::kMinimize, .lower_bound = 0.0};
  CurveModel model = MustFit(values, loss);
  EXPECT_EQ(model.regime(), CurveRegime::kDiverging);
  CurvePrediction p = model.Predict(50);
  EXPECT_GT(p.mean, values.back());
}

TEST(CurveModelTest, NonFiniteInputsAreSkippedAndANonFiniteEndDiverges) {
  auto f = [](double x) { return 0.9 - 0.6 * std::pow(x, -0.7); };
  std::vector<double> clean = Sample(f, 30, 0.002);
  std::vector<double> holes = clean;
  holes[5] = kNaN;
  holes[17] = std::numeric_limits<double>::infinity();
  CurvePrediction with_holes = MustFit(holes, kAccuracy).Predict(100);
  EXPECT_TRUE(with_holes.ok);
  EXPECT_NEAR(with_holes.mean, MustFit(clean, kAccuracy).Predict(100).mean, 0.01);

  std::vector<double> ends_nan = clean;
  ends_nan.back() = kNaN;
  CurveModel model = MustFit(ends_nan, kAccuracy);
  EXPECT_EQ(model.regime(), CurveRegime::kDiverging);
  EXPECT_TRUE(model.Summary().ended_non_finite);
  CurvePrediction p = model.Predict(100);
  EXPECT_DOUBLE_EQ(p.mean, 0.0);  // the worst an accuracy can be
  EXPECT_NE(p.note.find("NaN"), std::string::npos);
}

TEST(CurveModelTest, MinimisedLossGoingDown) {
  auto f = [](double x) { return 0.2 + 2.0 * std::pow(x, -0.5); };
  std::vector<double> values = Sample(f, 40, 0.005, 19);
  CurveFitOptions loss{.direction = Direction::kMinimize, .lower_bound = 0.0};
  CurvePrediction p = MustFit(values, loss).Predict(100);
  EXPECT_TRUE(p.ok);
  EXPECT_EQ(p.regime, CurveRegime::kLearning);
  EXPECT_LT(p.mean, values.back());
  EXPECT_NEAR(p.mean, f(100), 0.04);
  EXPECT_LE(p.lower, f(100));
  EXPECT_GE(p.upper, f(100));
}

TEST(CurveModelTest, BoundedMetricIsClamped) {
  auto f = [](double x) { return 1.0 - 0.5 * std::exp(-0.2 * x); };
  std::vector<double> values = Sample(f, 20, 0.004, 23);
  for (double& v : values) v = std::min(v, 1.0);
  CurvePrediction p = MustFit(values, kAccuracy).Predict(100);
  EXPECT_LE(p.mean, 1.0);
  EXPECT_LE(p.upper, 1.0);
  EXPECT_GT(p.mean, 0.95);
  for (const auto& info : AllFamilies()) {
    std::optional<double> v = MustFit(values, kAccuracy).PredictFamily(info.family, 100);
    if (v) {
      EXPECT_LE(*v, 1.0) << info.name;
    }
  }
}

TEST(CurveModelTest, Deterministic) {
  auto f = [](double x) { return 0.7 - 0.5 * std::pow(x, -0.4); };
  std::vector<double> values = Sample(f, 50, 0.02, 29);
  CurvePrediction a = MustFit(values, kAccuracy).Predict(200);
  CurvePrediction b = MustFit(values, kAccuracy).Predict(200);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.lower, b.lower);
  EXPECT_EQ(a.upper, b.upper);
  EXPECT_EQ(a.ToJson().dump(), b.ToJson().dump());
}

TEST(CurveModelTest, RejectsMalformedInputAndOptions) {
  std::vector<int64_t> steps = {1, 2, 3};
  std::vector<double> values = {0.1, 0.2};
  EXPECT_EQ(CurveModel::Fit(steps, values, {}).status().code(), StatusCode::kInvalidArgument);
  std::vector<double> three = {0.1, 0.2, 0.3};
  CurveFitOptions bad;
  bad.min_points = 1;
  EXPECT_NE(CurveModel::Fit(steps, three, bad).status().message().find("min_points"), std::string::npos);
}

TEST(CurveModelTest, StepsNeedNotStartAtOne) {
  auto f = [](double x) { return 0.9 - 0.6 * std::pow(x, -0.7); };
  std::vector<double> values = Sample(f, 30, 0.002);
  std::vector<int64_t> steps;
  for (int i = 0; i < 30; ++i) steps.push_back(1000 * i);  // 0, 1000, ...
  Result<CurveModel> model = CurveModel::Fit(steps, values, kAccuracy);
  ASSERT_TRUE(model.ok());
  // Step 99000 is the 100th point.
  EXPECT_NEAR(model->Predict(99000).mean, f(100), 0.02);
}

TEST(CurveModelTest, SummaryAndJsonDescribeTheFit) {
  auto f = [](double x) { return 0.9 - 0.6 * std::pow(x, -0.7); };
  CurveModel model = MustFit(Sample(f, 30, 0.002), kAccuracy);
  const FitSummary& s = model.Summary();
  EXPECT_EQ(s.num_points, 30);
  EXPECT_EQ(s.fits.size(), AllFamilies().size());
  EXPECT_GE(s.num_families_ok, 6);
  EXPECT_NE(s.BriefReport().find("learning"), std::string::npos);
  nlohmann::json j = model.Predict(100).ToJson();
  EXPECT_EQ(j["regime"], "learning");
  EXPECT_TRUE(j["members"].is_array());
  EXPECT_NEAR(j["mean"].get<double>(), f(100), 0.02);
}

}  // namespace
}  // namespace cairn
