// UTF-8 helpers: validity, cutting between characters, width.
#include "cairn/utf8.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(Utf8, ValidAndInvalidText) {
  EXPECT_TRUE(IsUtf8("données αβγ 𝄞"));
  EXPECT_FALSE(IsUtf8("caf\xe9"));         // Latin-1
  EXPECT_FALSE(IsUtf8("t\xc3"));           // a cut character
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));        // overlong
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));    // a surrogate
  EXPECT_EQ(Utf8CharLength("é", 0), 2u);
  EXPECT_EQ(Utf8CharLength("é", 1), 0u);  // a continuation byte starts nothing
}

TEST(Utf8, CutsBetweenCharacters) {
  EXPECT_EQ(Utf8Prefix("abé", 3), "ab");  // byte 3 is inside é
  EXPECT_EQ(Utf8Prefix("abé", 4), "abé");
  EXPECT_EQ(Utf8Prefix("abé", 100), "abé");
  EXPECT_EQ(Utf8FloorBoundary("αβ", 3), 2u);
  EXPECT_EQ(DisplayWidth("αβγ"), 3u);
}

}  // namespace
}  // namespace cairn
