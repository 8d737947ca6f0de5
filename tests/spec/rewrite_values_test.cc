// RewriteStudyFileValues: env values and command words edited in place.
#include <gtest/gtest.h>

#include "cairn/spec.h"

namespace cairn {
namespace {

// Upper-cases env values of names starting with S and the word after "--key".
std::optional<std::string> Shout(std::string_view section, std::string_view key, const std::string& value) {
  if (section == "env" && key.starts_with("S")) return "<" + value + ">";
  if (section == "command" && key == "--key") return "<hidden>";
  return value;
}

TEST(RewriteStudyFileValues, EditsOnlyTheChosenScalarsAndKeepsTheRest) {
  const std::string text =
      "# my study\n"
      "name: s\n"
      "command: [python3, train.py, --key, 'sk''1', --lr, \"{lr}\"]  # note\n"
      "env:\n"
      "  SECRET: \"a\\\"b\"   # quoted, escaped\n"
      "  PLAIN: keep me\n"
      "  S2: plain value # comment\n"
      "space: {lr: {type: float, low: 0.1, high: 1}}\n";
  auto out = RewriteStudyFileValues(text, Shout);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "# my study\n"
            "name: s\n"
            "command: [python3, train.py, --key, \"<hidden>\", --lr, \"{lr}\"]  # note\n"
            "env:\n"
            "  SECRET: \"<a\\\"b>\"   # quoted, escaped\n"
            "  PLAIN: keep me\n"
            "  S2: \"<plain value>\" # comment\n"
            "space: {lr: {type: float, low: 0.1, high: 1}}\n");
}

TEST(RewriteStudyFileValues, FlowMapsAndBlockListsToo) {
  const std::string text = "env: {S: x, T: y}\ncommand:\n  - prog\n  - --key\n  - abc\n";
  auto out = RewriteStudyFileValues(text, Shout);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "env: {S: \"<x>\", T: y}\ncommand:\n  - prog\n  - --key\n  - \"<hidden>\"\n");
}

TEST(RewriteStudyFileValues, BlockScalarsAreReplacedWholeAndTheNextKeyKept) {
  const std::string text = "env:\n  S: |\n    line one\n\n    line two\n  P: |\n    keep\nname: s\n";
  auto out = RewriteStudyFileValues(text, Shout);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "env:\n  S: \"<line one\\n\\nline two\\n>\"\n  P: |\n    keep\nname: s\n");
}

TEST(RewriteStudyFileValues, WhatCannotBeBoundedIsRefusedNotGuessed) {
  auto out = RewriteStudyFileValues("env:\n  S: &a x\n", Shout);
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn
