#include "cairn/search/truncnorm.h"

#include <cmath>

#include <gtest/gtest.h>

#include "cairn/search/rng.h"

namespace cairn::search {
namespace {

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

TEST(TruncnormTest, LogNdtrMatchesErfcAndItsFarTail) {
  EXPECT_NEAR(truncnorm::LogNdtr(0.0), std::log(0.5), 1e-15);
  EXPECT_NEAR(truncnorm::LogNdtr(-3.0), std::log(Phi(-3.0)), 1e-12);
  EXPECT_NEAR(truncnorm::LogNdtr(8.0), std::log1p(-Phi(-8.0)), 1e-20);
  // Below -20 the series takes over; it must join the erfc branch smoothly
  // and follow the Mills-ratio asymptote log(phi(a) / -a).
  EXPECT_NEAR(truncnorm::LogNdtr(-20.0001), truncnorm::LogNdtr(-19.9999), 1e-2);
  double a = -40.0;
  double asymptote = -0.5 * a * a - std::log(-a) - 0.5 * std::log(2 * M_PI);
  EXPECT_NEAR(truncnorm::LogNdtr(a), asymptote, 1e-3);
}

TEST(TruncnormTest, LogGaussMassCoversAllThreeCases) {
  EXPECT_NEAR(std::exp(truncnorm::LogGaussMass(-1, 1)), Phi(1) - Phi(-1), 1e-12);
  EXPECT_NEAR(std::exp(truncnorm::LogGaussMass(-3, -1)), Phi(-1) - Phi(-3), 1e-12);
  EXPECT_NEAR(std::exp(truncnorm::LogGaussMass(1, 3)), Phi(3) - Phi(1), 1e-12);
  // Far right tail, where 1 - Phi cancels: symmetric to the left one.
  EXPECT_NEAR(truncnorm::LogGaussMass(30, 31), truncnorm::LogGaussMass(-31, -30), 1e-9);
  EXPECT_TRUE(std::isfinite(truncnorm::LogGaussMass(30, 31)));
}

TEST(TruncnormTest, PpfInvertsTheTruncatedCdf) {
  const double bounds[][2] = {{-1, 1}, {-0.5, 3}, {0.5, 4}, {-6, -5}, {2, 2.5}};
  for (const auto& ab : bounds) {
    double a = ab[0], b = ab[1];
    for (double q : {0.01, 0.3, 0.5, 0.9, 0.999}) {
      double x = truncnorm::Ppf(q, a, b);
      ASSERT_GE(x, a);
      ASSERT_LE(x, b);
      double cdf = (Phi(x) - Phi(a)) / (Phi(b) - Phi(a));
      EXPECT_NEAR(cdf, q, 1e-7) << "a=" << a << " b=" << b << " q=" << q;
    }
  }
  EXPECT_NEAR(truncnorm::Ppf(0.5, -2, 2), 0.0, 1e-12);
}

TEST(TruncnormTest, LogPdfIntegratesToOne) {
  const double a = -0.7, b = 2.0, loc = 3.0, scale = 0.5;
  const double lo = loc + a * scale, hi = loc + b * scale;
  const int n = 20000;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    double x = lo + (hi - lo) * (i + 0.5) / n;
    sum += std::exp(truncnorm::LogPdf(x, a, b, loc, scale)) * (hi - lo) / n;
  }
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_EQ(truncnorm::LogPdf(hi + 0.01, a, b, loc, scale), -INFINITY);
}

TEST(RngTest, UniformsStayInRangeAndStreamsDiffer) {
  Rng rng(7);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    double u = rng.Uniform01(), v = rng.UniformOpen01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_GT(v, 0.0);
    ASSERT_LT(v, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
  EXPECT_NE(MixSeed(1, 0), MixSeed(1, 1));
  EXPECT_NE(MixSeed(1, 0), MixSeed(2, 0));
  EXPECT_NE(MixSeed(0, 1), MixSeed(1, 0));
}

TEST(RngTest, BelowIsUniformOverItsRange) {
  Rng rng(3);
  int counts[5] = {0, 0, 0, 0, 0};
  for (int i = 0; i < 50000; ++i) counts[rng.Below(5)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
}

TEST(RngTest, TheSequenceIsFixedByTheStandard) {
  // mt19937_64's 10000th output for the default seed is fixed by the C++
  // standard; our transforms add nothing implementation-defined on top.
  std::mt19937_64 gen;
  gen.discard(9999);
  EXPECT_EQ(gen(), 9981545732273789042ULL);
  Rng a(MixSeed(42, 5)), b(MixSeed(42, 5));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.Uniform01(), b.Uniform01());
}

}  // namespace
}  // namespace cairn::search
