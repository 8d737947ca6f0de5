#include "cairn/split.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

using Parts = std::vector<std::string_view>;

TEST(SplitView, KeepsEmptyPiecesAndViewsTheText) {
  EXPECT_EQ(SplitView("a=1&b=2", '&'), (Parts{"a=1", "b=2"}));
  EXPECT_EQ(SplitView("", ','), (Parts{""}));
  EXPECT_EQ(SplitView(",a,,", ','), (Parts{"", "a", "", ""}));
  std::string_view text = "x|y";
  EXPECT_EQ(SplitView(text, '|')[1].data(), text.data() + 2);  // no copy
}

}  // namespace
}  // namespace cairn
