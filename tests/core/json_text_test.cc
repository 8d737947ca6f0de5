// ParseJsonText: positions and reasons a person can act on, never a throw.
#include "cairn/json_text.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(JsonTextTest, ParsesGoodText) {
  auto j = ParseJsonText(R"({"p_keep": 0.3})", "--pruner-options");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["p_keep"], 0.3);
}

TEST(JsonTextTest, ASyntaxErrorNamesTheColumnWithoutTheLibrarysPrefix) {
  auto j = ParseJsonText(R"({"a": 1,})", "--pruner-options");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(j.status().message(),
            "--pruner-options, column 9: invalid JSON: syntax error while parsing object key - unexpected '}'; "
            "expected string literal");
  // A file's line takes the column after a colon, as compilers print it.
  auto line = ParseJsonText(R"({"a": 1,})", "curves.jsonl:3");
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().message().rfind("curves.jsonl:3:9: invalid JSON: ", 0), 0u) << line.status().message();
}

TEST(JsonTextTest, SeveralLinesGiveLineAndColumn) {
  auto j = ParseJsonText("[1,\n2,]", "f.json");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message().rfind("f.json:2:3: invalid JSON: ", 0), 0u) << j.status().message();
  auto option = ParseJsonText("{\"a\": 1,\n}", "--scheduler-options");
  ASSERT_FALSE(option.ok());
  EXPECT_EQ(option.status().message().rfind("--scheduler-options, line 2, column 1: invalid JSON: ", 0), 0u)
      << option.status().message();
}

TEST(JsonTextTest, ANumberTooLargeForADoubleIsAnErrorNotACrash) {
  auto j = ParseJsonText(R"({"p_keep": 1e400})", "--pruner-options");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message(), "--pruner-options: invalid JSON: number overflow parsing '1e400'");
}

TEST(JsonTextTest, AKeyGivenTwiceInOneObjectIsAnError) {
  auto j = ParseJsonText(R"({"predictive": {"level": "median", "level": "recent_mean"}})", "--scheduler-options");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message(),
            R"(--scheduler-options: invalid JSON: the key "level" is given twice in one object)");
  // The same key in two objects, or nested, is fine.
  auto ok = ParseJsonText(R"({"a": {"level": 1}, "b": {"level": 2, "c": {"level": 3}}, "level": 4})", "x");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["b"]["c"]["level"], 3);
}

// Python's json.dumps writes NaN and Infinity, which JSON does not have.
TEST(JsonTextTest, NaNAndInfinitySayToWriteNull) {
  for (const char* text : {R"({"values": [0.1, NaN]})", R"({"values": [Infinity]})", R"({"values": [0.2,-Infinity]})"}) {
    auto j = ParseJsonText(text, "c.jsonl:3");
    ASSERT_FALSE(j.ok()) << text;
    EXPECT_NE(j.status().message().find("(JSON has no NaN or Infinity: write null)"), std::string::npos)
        << j.status().message();
  }
  auto other = ParseJsonText(R"({"values": [nope]})", "c.jsonl:3");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().message().find("write null"), std::string::npos) << other.status().message();
}

}  // namespace
}  // namespace cairn
