#include "cairn/metric_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace cairn {
namespace {

MetricParser MakeParser(std::vector<std::string> patterns = {}) {
  auto parser = MetricParser::Create("epoch", patterns);
  EXPECT_TRUE(parser.ok()) << parser.status().ToString();
  return std::move(parser).value();
}

TEST(ParseMetricNumberTest, AcceptsNumbersAndSpecialValues) {
  EXPECT_EQ(ParseMetricNumber("3"), 3.0);
  EXPECT_EQ(ParseMetricNumber("-0.5"), -0.5);
  EXPECT_EQ(ParseMetricNumber("+2"), 2.0);
  EXPECT_EQ(ParseMetricNumber("1e-3"), 1e-3);
  EXPECT_TRUE(std::isnan(*ParseMetricNumber("nan")));
  EXPECT_TRUE(std::isnan(*ParseMetricNumber("NaN")));
  EXPECT_EQ(ParseMetricNumber("inf"), INFINITY);
  EXPECT_EQ(ParseMetricNumber("-inf"), -INFINITY);
  EXPECT_EQ(ParseMetricNumber("Infinity"), INFINITY);
}

TEST(ParseMetricNumberTest, RejectsNonNumbers) {
  for (const char* bad : {"", "abc", "1.5x", "--1", "+-1", "0x10", "1 2", "train", "91%"}) {
    EXPECT_FALSE(ParseMetricNumber(bad).has_value()) << bad;
  }
}

TEST(MetricParserTest, KeyValuePairs) {
  MetricParser parser = MakeParser();
  auto r = parser.Parse("epoch=3 val_acc=0.91 loss=0.3");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->step, 3);
  EXPECT_EQ(r->metrics.size(), 2u);
  EXPECT_DOUBLE_EQ(r->metrics.at("val_acc"), 0.91);
  EXPECT_DOUBLE_EQ(r->metrics.at("loss"), 0.3);
}

TEST(MetricParserTest, KeyValueSeparatorsAndOddKeys) {
  MetricParser parser = MakeParser();
  auto r = parser.Parse("epoch=2, train/loss=1e-3;val.acc-top5=0.5\r");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->step, 2);
  EXPECT_DOUBLE_EQ(r->metrics.at("train/loss"), 1e-3);
  EXPECT_DOUBLE_EQ(r->metrics.at("val.acc-top5"), 0.5);
}

TEST(MetricParserTest, KeyValueIgnoresOtherTokens) {
  MetricParser parser = MakeParser();
  auto r = parser.Parse("INFO mode=train epoch=1 loss=0.7 (took 3s) 9bad=1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->step, 1);
  ASSERT_EQ(r->metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(r->metrics.at("loss"), 0.7);
}

TEST(MetricParserTest, NanAndInfAreKept) {
  MetricParser parser = MakeParser();
  auto r = parser.Parse("epoch=4 loss=nan grad=inf low=-inf");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::isnan(r->metrics.at("loss")));
  EXPECT_EQ(r->metrics.at("grad"), INFINITY);
  EXPECT_EQ(r->metrics.at("low"), -INFINITY);
  // Beyond a double's range: a loss that blew up is inf, not dropped.
  r = parser.Parse("epoch=5 loss=1e999 neg=-2e400 tiny=1e-400");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->metrics.at("loss"), INFINITY);
  EXPECT_EQ(r->metrics.at("neg"), -INFINITY);
  EXPECT_EQ(r->metrics.at("tiny"), 0.0);
}

TEST(MetricParserTest, JsonObject) {
  MetricParser parser = MakeParser();
  auto r = parser.Parse(
      R"({"epoch": 5, "acc": 0.8, "loss": "nan", "grad": "-Inf", "tag": "x", "version": "1.0", "ok": true, "l": [1]})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->step, 5);
  // "version": "1.0" is a label: only the non-finite words JSON cannot
  // write as numbers count among strings.
  ASSERT_EQ(r->metrics.size(), 3u);
  EXPECT_DOUBLE_EQ(r->metrics.at("acc"), 0.8);
  EXPECT_TRUE(std::isnan(r->metrics.at("loss")));
  EXPECT_EQ(r->metrics.at("grad"), -std::numeric_limits<double>::infinity());
}

// Python's json.dumps writes NaN, Infinity and -Infinity bare: not JSON,
// but a trial that prints them reported a non-finite value, which must
// fail it rather than pass unseen. Inside strings they are text.
TEST(MetricParserTest, PythonsBareNonFiniteFloatsAreRead) {
  MetricParser parser = MakeParser();
  auto r = parser.Parse(R"({"epoch": 6, "val_acc": NaN, "loss": Infinity, "low": -Infinity, "note": "NaN Infinity"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->step, 6);
  ASSERT_EQ(r->metrics.size(), 3u);
  EXPECT_TRUE(std::isnan(r->metrics.at("val_acc")));
  EXPECT_EQ(r->metrics.at("loss"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(r->metrics.at("low"), -std::numeric_limits<double>::infinity());
  // A key named NaN, a word that only starts like one, and escaped quotes
  // stay what they are.
  auto keys = parser.Parse(R"({"NaN": 1, "x\"y": NaNa, "epoch": 2})");
  EXPECT_FALSE(keys.has_value()) << "NaNa is no value: still not JSON";
  auto quoted = parser.Parse(R"({"a\"NaN": 0.5, "b": NaN})");
  ASSERT_TRUE(quoted.has_value());
  EXPECT_DOUBLE_EQ(quoted->metrics.at("a\"NaN"), 0.5);
  EXPECT_TRUE(std::isnan(quoted->metrics.at("b")));
}

// A number too large for a double is valid JSON that nlohmann refuses: the
// whole line (step and every metric) was lost. It diverged: infinity.
TEST(MetricParserTest, AJsonNumberPastADoubleIsInfinityNotALostLine) {
  MetricParser parser = MakeParser();
  auto r = parser.Parse(R"({"epoch": 1, "acc": 0.60, "loss": 1e400, "low": -2.5E+999, "tiny": 1e-400, "s": "a 1e400"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->step, 1);
  EXPECT_DOUBLE_EQ(r->metrics.at("acc"), 0.60);
  EXPECT_EQ(r->metrics.at("loss"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(r->metrics.at("low"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(r->metrics.at("tiny"), 0.0);
  EXPECT_FALSE(r->metrics.contains("s")) << "inside a string it is text";
}

// Keys no store can name a metric by are left out, not passed on to end
// the study when the store refuses them.
TEST(MetricParserTest, JsonKeysAStoreCannotNameAreIgnored) {
  MetricParser parser = MakeParser();
  auto r = parser.Parse(R"({"epoch": 1, "acc": 0.5, "": 1, "a\u0000b": 2, "c\nd": 3})");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(r->metrics.at("acc"), 0.5);
  const std::string long_key(300, 'k');
  EXPECT_FALSE(parser.Parse("{\"" + long_key + "\": 1}").has_value());
  EXPECT_TRUE(parser.Parse("{\"" + std::string(256, 'k') + "\": 1}").has_value());
}

TEST(MetricParserTest, JsonWithoutMetricIsNotReportAndNotKeyValue) {
  MetricParser parser = MakeParser();
  EXPECT_FALSE(parser.Parse(R"({"msg": "loss=0.3"})").has_value());
  EXPECT_FALSE(parser.Parse(R"({"epoch": 3})").has_value());
}

TEST(MetricParserTest, StepMustBeInteger) {
  MetricParser parser = MakeParser();
  EXPECT_FALSE(parser.Parse("epoch=1.5 loss=0.3").has_value());
  EXPECT_FALSE(parser.Parse("epoch=nan loss=0.3").has_value());
  EXPECT_FALSE(parser.Parse("epoch=x loss=0.3").has_value());
  EXPECT_FALSE(parser.Parse(R"({"epoch": 2.5, "loss": 1})").has_value());
  EXPECT_FALSE(parser.Parse(R"({"epoch": "two", "loss": 1})").has_value());
  auto r = parser.Parse("epoch=2.0 loss=0.3");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->step, 2);
}

TEST(MetricParserTest, NoStepKeyGivesNoStep) {
  MetricParser parser = MakeParser();
  auto r = parser.Parse("loss=0.3");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->step.has_value());
  auto none = MetricParser::Create("", {});
  ASSERT_TRUE(none.ok());
  auto r2 = none->Parse("epoch=3 loss=0.1");
  ASSERT_TRUE(r2.has_value());
  EXPECT_FALSE(r2->step.has_value());
  EXPECT_DOUBLE_EQ(r2->metrics.at("epoch"), 3.0);
}

TEST(MetricParserTest, LinesWithoutMetricsAreNotReports) {
  MetricParser parser = MakeParser();
  for (const char* line : {"", "   ", "Loading data...", "epoch=3", "a = 1", "{not json",
                           "Traceback (most recent call last):"}) {
    EXPECT_FALSE(parser.Parse(line).has_value()) << line;
  }
}

TEST(MetricParserTest, FairseqPattern) {
  MetricParser parser = MakeParser(
      {R"(\| end of epoch (?P<epoch>\d+) .*\| valid loss (?P<valid_loss>\S+) .*\| ppl (?P<ppl>\S+))"});
  auto r = parser.Parse(
      "| end of epoch 3 | loss 5.4 | ... | valid loss 5.12 | ppl 34.7 | num_updates 300 |");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->step, 3);
  EXPECT_DOUBLE_EQ(r->metrics.at("valid_loss"), 5.12);
  EXPECT_DOUBLE_EQ(r->metrics.at("ppl"), 34.7);
  EXPECT_FALSE(parser.Parse("| epoch 003 | loss 5.4").has_value());
}

TEST(MetricParserTest, FirstMatchingPatternWins) {
  MetricParser parser = MakeParser({R"(acc (?P<acc>\S+))", R"(acc (?P<other>\S+))"});
  auto r = parser.Parse("acc 0.5");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->metrics.count("acc"), 1u);
  EXPECT_EQ(r->metrics.count("other"), 0u);
}

TEST(MetricParserTest, BadPatternsAreNamed) {
  auto bad = MetricParser::Create("epoch", {"(?P<x>\\d+", "ok"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("(?P<x>\\d+"), std::string::npos);
  auto unnamed = MetricParser::Create("epoch", {"loss (\\d+)"});
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.status().message().find("named group"), std::string::npos);
}

TEST(MetricParserTest, GarbageNeverCrashes) {
  MetricParser parser = MakeParser({R"(loss (?P<loss>\S+))"});
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string line(static_cast<size_t>(rng() % 200), '\0');
    for (char& c : line) c = static_cast<char>(rng() & 0xff);
    (void)parser.Parse(line);
  }
  EXPECT_FALSE(parser.Parse("\xff\xfe loss \xc3\x28").has_value());
  auto invalid_utf8 = parser.Parse("epoch=1 \xff\xfe=2 loss=0.5 \xc3\x28");
  ASSERT_TRUE(invalid_utf8.has_value());
  EXPECT_DOUBLE_EQ(invalid_utf8->metrics.at("loss"), 0.5);
  EXPECT_FALSE(parser.Parse("{\"loss\": \"\xff\"}").has_value());
  std::string deep = "{\"a\": " + std::string(200000, '[') + std::string(200000, ']') + ", \"loss\": 1}";
  auto nested = parser.Parse(deep);
  ASSERT_TRUE(nested.has_value());
  EXPECT_EQ(nested->metrics.size(), 1u);
  EXPECT_FALSE(parser.Parse("{" + std::string(200000, '[') + "}").has_value());
  std::string huge(MetricParser::kMaxLineBytes + 10, 'a');
  huge.replace(0, 10, "loss=0.5 ");
  EXPECT_FALSE(parser.Parse(huge).has_value());
}

}  // namespace
}  // namespace cairn
