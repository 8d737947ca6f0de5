#include <gtest/gtest.h>

#include <cmath>

#include "cairn/curve.h"
#include "curve/curve_test_util.h"

namespace cairn {
namespace {

using curve_testing::Prefix;
using curve_testing::Sample;
using curve_testing::Steps;

struct FamilyCase {
  CurveFamily family;
  std::function<double(double)> f;  // the truth, in metric units
};

// Each family's own formula with known parameters, on an accuracy-like scale.
std::vector<FamilyCase> Cases() {
  return {
      {CurveFamily::kPow3, [](double x) { return 0.9 - 0.6 * std::pow(x, -0.7); }},
      {CurveFamily::kPow4, [](double x) { return 0.85 - std::pow(0.5 * x + 1.5, -0.8); }},
      {CurveFamily::kLogPower, [](double x) { return 0.9 / (1 + std::pow(x / std::exp(2.0), -1.2)); }},
      {CurveFamily::kExp3, [](double x) { return 0.88 - std::exp(-0.08 * x - 0.4); }},
      {CurveFamily::kJanoschek, [](double x) { return 0.9 - (0.9 - 0.2) * std::exp(-0.1 * std::pow(x, 0.9)); }},
      {CurveFamily::kWeibull, [](double x) { return 0.9 - (0.9 - 0.15) * std::exp(-std::pow(0.06 * x, 1.1)); }},
      {CurveFamily::kMmf, [](double x) { return 0.92 - (0.92 - 0.1) / (1 + std::pow(0.1 * x, 1.3)); }},
      {CurveFamily::kIlog2, [](double x) { return 0.95 - 0.5 / std::log(x + 1); }},
      {CurveFamily::kVaporPressure, [](double x) { return std::exp(-0.2 - 2.0 / x + 0.02 * std::log(x)); }},
      {CurveFamily::kLogLogLinear, [](double x) { return std::log(0.4 * std::log(x) + 1.2); }},
      {CurveFamily::kHill3, [](double x) { return 0.9 * std::pow(x, 1.5) / (std::pow(12.0, 1.5) + std::pow(x, 1.5)); }},
  };
}

TEST(FamilyFitTest, EveryFamilyRecoversItsOwnCurve) {
  ASSERT_EQ(Cases().size(), AllFamilies().size());
  for (const auto& c : Cases()) {
    std::vector<double> values = Sample(c.f, 100, 0.003, 7);
    std::vector<double> half = Prefix(values, 50);
    CurveFitOptions options{.lower_bound = 0.0, .upper_bound = 1.0};
    Result<FamilyFit> fit = FitFamily(c.family, Steps(50), half, options);
    ASSERT_TRUE(fit.ok()) << fit.status().ToString();
    SCOPED_TRACE(std::string(CurveFamilyName(c.family)));
    EXPECT_TRUE(fit->ok) << fit->note;
    EXPECT_LT(fit->rmse, 0.006);
    // Extrapolating from half the curve to its end.
    double truth = c.f(100);
    EXPECT_NEAR(fit->Predict(100), truth, 0.02);
  }
}

TEST(FamilyFitTest, NamesRoundTrip) {
  for (const auto& info : AllFamilies()) {
    EXPECT_EQ(ParseCurveFamily(info.name), info.family);
    EXPECT_EQ(CurveFamilyName(info.family), info.name);
    EXPECT_GE(info.num_params, 2);
  }
  EXPECT_EQ(AllFamilies().size(), 11u);
  EXPECT_FALSE(ParseCurveFamily("pow5").has_value());
}

TEST(FamilyFitTest, RejectsMalformedInput) {
  std::vector<int64_t> steps = {1, 2, 2, 3};
  std::vector<double> values = {0.1, 0.2, 0.3, 0.4};
  Result<FamilyFit> unordered = FitFamily(CurveFamily::kPow3, steps, values, {});
  EXPECT_EQ(unordered.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unordered.status().message().find("index 2"), std::string::npos);
  std::vector<int64_t> three = {1, 2, 3};
  EXPECT_FALSE(FitFamily(CurveFamily::kPow3, three, values, {}).ok());
  CurveFitOptions bad{.lower_bound = 1.0, .upper_bound = 0.0};
  EXPECT_NE(FitFamily(CurveFamily::kPow3, Steps(4), values, bad).status().message().find("lower_bound"),
            std::string::npos);
}

TEST(FamilyFitTest, TooFewPointsForParametersIsANoteNotAnError) {
  std::vector<double> values = {0.1, 0.3, 0.4};
  Result<FamilyFit> fit = FitFamily(CurveFamily::kJanoschek, Steps(3), values, {});
  ASSERT_TRUE(fit.ok());
  EXPECT_FALSE(fit->ok);
  EXPECT_NE(fit->note.find("4 parameters"), std::string::npos);
  EXPECT_TRUE(std::isnan(fit->Predict(10)));
}

}  // namespace
}  // namespace cairn
