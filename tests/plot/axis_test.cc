#include "cairn/plot/axis.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

namespace cairn::plot {
namespace {

std::vector<std::string> Labels(const std::vector<Tick>& ticks) {
  std::vector<std::string> out;
  for (const auto& t : ticks) out.push_back(t.label);
  return out;
}

TEST(LinearTicks, UnitRangeStepsByTwoTenths) {
  auto ticks = LinearTicks(0.0, 1.0, 5);
  EXPECT_EQ(Labels(ticks), (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
  EXPECT_NEAR(ticks[3].value, 0.6, 1e-12);
}

// Steps are whole numbers: a 4-step plot's x axis has no tick at 1.5.
TEST(LinearTicks, AWholeAxisTicksOnlyWholeNumbers) {
  EXPECT_EQ(Labels(LinearTicks(1.0, 4.06, 8, 1.0)), (std::vector<std::string>{"1", "2", "3", "4"}));
  Axis x{.lo = 1.0, .hi = 4.06, .whole = true};
  EXPECT_EQ(Labels(x.Ticks(8)), (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(Labels(LinearTicks(0.0, 100.0, 5, 1.0)), Labels(LinearTicks(0.0, 100.0, 5)));
}

TEST(LinearTicks, OnlyTicksInsideTheRange) {
  auto ticks = LinearTicks(0.13, 0.87, 4);
  ASSERT_FALSE(ticks.empty());
  for (const auto& t : ticks) {
    EXPECT_GE(t.value, 0.13);
    EXPECT_LE(t.value, 0.87);
  }
  EXPECT_EQ(Labels(ticks), (std::vector<std::string>{"0.2", "0.4", "0.6", "0.8"}));
}

TEST(LinearTicks, IntegersWithoutDecimalsAndNoNegativeZero) {
  EXPECT_EQ(Labels(LinearTicks(1, 100, 5)), (std::vector<std::string>{"20", "40", "60", "80", "100"}));
  EXPECT_EQ(Labels(LinearTicks(-1, 1, 4)), (std::vector<std::string>{"-1.0", "-0.5", "0.0", "0.5", "1.0"}));
}

TEST(LinearTicks, EmptyRangeGivesNoTicks) {
  EXPECT_TRUE(LinearTicks(1.0, 1.0, 5).empty());
  EXPECT_TRUE(LinearTicks(2.0, 1.0, 5).empty());
  EXPECT_TRUE(LinearTicks(0.0, NAN, 5).empty());
}

TEST(LogTicks, DecadesLabelledAndMinorTicksUnlabelled) {
  auto ticks = LogTicks(0.01, 10.0);
  std::vector<std::string> labelled;
  int minor = 0;
  for (const auto& t : ticks) {
    if (t.label.empty()) {
      ++minor;
    } else {
      labelled.push_back(t.label);
    }
  }
  EXPECT_EQ(labelled, (std::vector<std::string>{"0.01", "0.1", "1", "10"}));
  EXPECT_EQ(minor, 6);  // 2x and 5x of the first three decades
}

TEST(LogTicks, NarrowRangeLabelsTwosAndFives) {
  EXPECT_EQ(Labels(LogTicks(1.0, 10.0)), (std::vector<std::string>{"1", "2", "5", "10"}));
  EXPECT_TRUE(LogTicks(0.0, 10.0).empty());
}

// A log axis inside one decade without a 1, 2 or 5 (a loss from 2.1 to
// 3.9) is labelled like a linear one rather than left bare.
TEST(LogTicks, InsideADecadeWithoutOneTwoOrFiveLabelsLinearly) {
  const auto ticks = LogTicks(2.1, 3.9);
  std::vector<std::string> labelled;
  for (const auto& t : ticks) {
    if (!t.label.empty()) labelled.push_back(t.label);
    EXPECT_GE(t.value, 2.1);
    EXPECT_LE(t.value, 3.9);
  }
  EXPECT_GE(labelled.size(), 2u);
}

// Ticks a step apart read differently at any magnitude, and zero beside
// tiny ticks reads 0.
TEST(LinearTicks, LargeValuesAndTinyStepsStayDistinct) {
  const auto big = Labels(LinearTicks(1234567.1, 1234567.9, 4));
  ASSERT_GE(big.size(), 2u);
  for (size_t i = 1; i < big.size(); ++i) EXPECT_NE(big[i], big[i - 1]) << big[i];
  EXPECT_EQ(big.front(), "1234567.2");
  const auto tiny = Labels(LinearTicks(-1e-9, 1e-9, 4));
  EXPECT_NE(std::find(tiny.begin(), tiny.end(), "0"), tiny.end());
  EXPECT_NE(std::find(tiny.begin(), tiny.end(), "5e-10"), tiny.end());
}

TEST(Axis, MapsLinearAndLogRanges) {
  Axis lin{.lo = 0, .hi = 10, .pixel_lo = 100, .pixel_hi = 200};
  EXPECT_DOUBLE_EQ(lin.Map(0), 100);
  EXPECT_DOUBLE_EQ(lin.Map(10), 200);
  EXPECT_DOUBLE_EQ(lin.Map(2.5), 125);
  Axis log{.lo = 1, .hi = 100, .log = true, .pixel_lo = 500, .pixel_hi = 100};
  EXPECT_DOUBLE_EQ(log.Map(1), 500);
  EXPECT_NEAR(log.Map(10), 300, 1e-9);
  EXPECT_NEAR(log.Map(100), 100, 1e-9);
}

// Values spanning most of a double's range (a loss that diverged to 1e308
// beside one at -1e308): the padded range, the ticks and the mapping stay
// finite; once the range padded to infinities and every point was NaN.
TEST(Axis, ValuesAcrossTheWholeDoubleRangeStayFinite) {
  double lo = -1.7e308, hi = 1.7e308;
  PadRange(lo, hi, false, 0.04);
  EXPECT_TRUE(std::isfinite(lo) && std::isfinite(hi));
  EXPECT_LE(lo, -1.7e308);
  EXPECT_GE(hi, 1.7e308);
  const auto ticks = LinearTicks(lo, hi, 4);
  EXPECT_GE(ticks.size(), 2u);
  Axis y{.lo = lo, .hi = hi, .pixel_lo = 400, .pixel_hi = 0};
  for (double v : {-1.7e308, 0.0, 1.7e308}) {
    const double px = y.Map(v);
    EXPECT_TRUE(std::isfinite(px)) << v;
    EXPECT_GE(px, 0.0);
    EXPECT_LE(px, 400.0);
  }
  EXPECT_NEAR(y.Map(0.0), 200.0, 1e-6);
}

TEST(PadRange, WidensAndOpensZeroLengthRanges) {
  double lo = 0, hi = 1;
  PadRange(lo, hi, false, 0.1);
  EXPECT_DOUBLE_EQ(lo, -0.1);
  EXPECT_DOUBLE_EQ(hi, 1.1);
  lo = hi = 3.0;
  PadRange(lo, hi, false, 0.1);
  EXPECT_LT(lo, 3.0);
  EXPECT_GT(hi, 3.0);
  lo = 1;
  hi = 100;
  PadRange(lo, hi, true, 0.5);
  EXPECT_NEAR(lo, 0.1, 1e-12);
  EXPECT_NEAR(hi, 1000, 1e-9);
}

TEST(FormatValue, FourSignificantDigits) {
  EXPECT_EQ(FormatValue(0.973456), "0.9735");
  EXPECT_EQ(FormatValue(12345.0), "1.234e+04");
  EXPECT_EQ(FormatValue(3.0), "3");
}

}  // namespace
}  // namespace cairn::plot
