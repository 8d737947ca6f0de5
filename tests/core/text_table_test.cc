// TextTable: the CLI's plain-text tables.
#include "cairn/text_table.h"
#include "cairn/utf8.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(TextTable, PadsColumnsToTheWidestCell) {
  TextTable t({"A", "BB"});
  t.AddRow({"xyz", "1"});
  EXPECT_EQ(t.Render(), "A    BB\nxyz  1\n");
}

// Widths count characters, so a column with accented or Greek values lines
// up with the rest; a newline in a value stays on its row.
TEST(TextTable, CountsCharactersNotBytesAndKeepsARowOnOneLine) {
  TextTable t({"NAME", "V"});
  t.AddRow({"données", "1"});
  t.AddRow({"αβγ", "2"});
  t.AddRow({"a\nb", "3"});
  EXPECT_EQ(t.Render(), "NAME     V\ndonnées  1\nαβγ      2\na\\nb     3\n");
  EXPECT_EQ(DisplayWidth("données"), 7u);
}

}  // namespace
}  // namespace cairn
