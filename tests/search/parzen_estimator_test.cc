#include "cairn/search/parzen_estimator.h"

#include <cmath>

#include <gtest/gtest.h>

#include "cairn/search/param_codec.h"
#include "search/spaces.h"

namespace cairn::search {
namespace {

TEST(ParzenEstimatorTest, DefaultWeightsRampOldTrialsFrom25On) {
  EXPECT_EQ(DefaultWeights(0).size(), 0u);
  EXPECT_EQ(DefaultWeights(24), std::vector<double>(24, 1.0));
  auto w = DefaultWeights(30);  // 5 ramped: linspace(1/30, 1, 5), then 25 ones
  ASSERT_EQ(w.size(), 30u);
  EXPECT_DOUBLE_EQ(w[0], 1.0 / 30);
  EXPECT_DOUBLE_EQ(w[2], 1.0 / 30 + (1 - 1.0 / 30) / 2);
  EXPECT_DOUBLE_EQ(w[4], 1.0);
  for (size_t i = 5; i < 30; ++i) EXPECT_EQ(w[i], 1.0);
}

TEST(ParzenEstimatorTest, ContinuousDensityIntegratesToOneInItsRange) {
  ParamSpec spec{.name = "x", .kind = ParamKind::kFloat, .low = -1.0, .high = 2.0};
  ParzenEstimator pe(spec, {-0.9, 0.1, 0.15, 1.9}, {});
  const int n = 30000;
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(pe.LogPdf(-1.0 + 3.0 * (i + 0.5) / n)) * 3.0 / n;
  EXPECT_NEAR(sum, 1.0, 1e-4);
  // Mass concentrates at the observations.
  EXPECT_GT(pe.LogPdf(0.12), pe.LogPdf(1.2));
}

TEST(ParzenEstimatorTest, IntAndCategoricalMassesSumToOne) {
  ParamSpec ints{.name = "n", .kind = ParamKind::kInt, .low = 2, .high = 11};
  ParzenEstimator pi(ints, {3, 3, 9}, {});
  double total = 0;
  for (int v = 2; v <= 11; ++v) total += std::exp(pi.LogPdf(v));
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_GT(pi.LogPdf(3), pi.LogPdf(6));

  ParamSpec cat{.name = "c", .kind = ParamKind::kCategorical, .choices = {test::S("a"), test::S("b"), test::S("c")}};
  ParzenEstimator pc(cat, {1, 1, 1, 0}, {});
  double ctotal = 0;
  for (int c = 0; c < 3; ++c) ctotal += std::exp(pc.LogPdf(c));
  EXPECT_NEAR(ctotal, 1.0, 1e-12);
  EXPECT_GT(pc.LogPdf(1), pc.LogPdf(0));
  EXPECT_GT(pc.LogPdf(0), pc.LogPdf(2));
}

TEST(ParzenEstimatorTest, SamplesStayOnTheParametersValues) {
  Rng rng(1);
  ParamSpec logint{.name = "b", .kind = ParamKind::kInt, .low = 8, .high = 512, .log = true};
  ParzenEstimator pe(logint, {std::log(16.0), std::log(500.0)}, {});
  ParamSpec stepped{.name = "d", .kind = ParamKind::kFloat, .low = 0.0, .high = 0.5, .step = 0.1};
  ParzenEstimator ps(stepped, {0.1, 0.4}, {});
  for (int i = 0; i < 500; ++i) {
    ParamValue b = Decode(logint, pe.Sample(rng));
    ASSERT_TRUE(std::holds_alternative<int64_t>(b));
    EXPECT_GE(std::get<int64_t>(b), 8);
    EXPECT_LE(std::get<int64_t>(b), 512);
    double d = std::get<double>(Decode(stepped, ps.Sample(rng)));
    EXPECT_GE(d, 0.0);
    EXPECT_LE(d, 0.5);
    EXPECT_NEAR(d * 10, std::round(d * 10), 1e-9);
  }
}

}  // namespace
}  // namespace cairn::search
