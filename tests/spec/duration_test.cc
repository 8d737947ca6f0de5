// Durations in study files: numbers of seconds or a number with a unit.
#include <gtest/gtest.h>

#include "cairn/spec.h"

namespace cairn {
namespace {

TEST(DurationTest, NumbersAndUnits) {
  struct Case {
    const char* text;
    double seconds;
  };
  for (const Case& c : {Case{"90", 90}, Case{"1.5", 1.5}, Case{"0", 0}, Case{"90s", 90}, Case{"10m", 600},
                        Case{"2h", 7200}, Case{"1d", 86400}, Case{"1.5h", 5400}, Case{"500ms", 0.5},
                        Case{"2e1s", 20}}) {
    auto d = ParseDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status().ToString();
    EXPECT_DOUBLE_EQ(*d, c.seconds) << c.text;
  }
}

TEST(DurationTest, RejectsNonsense) {
  for (const char* bad : {"", "s", "10 m", "10min", "-5s", "ten", "10x", "nan", ".inf", "1h30m"}) {
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(DurationTest, StudyFileDurations) {
  const char* text =
      "name: t\n"
      "command: [p]\n"
      "space: {x: {type: int, low: 0, high: 3}}\n"
      "objective: {metric: acc}\n"
      "budget: {timeout: 2h, grace: 500ms}\n";
  auto spec = ParseStudyText(text, "t.yaml", "/b");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->timeout_s, 7200.0);
  EXPECT_EQ(spec->grace_s, 0.5);
}

}  // namespace
}  // namespace cairn
