#include "cairn/plot/svg.h"

#include <gtest/gtest.h>

namespace cairn::plot {
namespace {

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(XmlEscape, EscapesMarkupAndDropsControlCharacters) {
  EXPECT_EQ(XmlEscape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  EXPECT_EQ(XmlEscape(std::string("x\x01y", 3)), "x y");
}

TEST(Px, RoundsToOneDecimal) {
  EXPECT_EQ(Px(1.04), "1");
  EXPECT_EQ(Px(1.06), "1.1");
  EXPECT_EQ(Px(-0.01), "0");
  EXPECT_EQ(Px(12.5), "12.5");
}

TEST(SvgWriter, WritesADocumentWithTheElementsAsked) {
  SvgWriter svg(300, 200);
  svg.Rect(0, 0, 300, 200, {.fill = "#fff"});
  svg.Line(1, 2, 3, 4, {.stroke = "#000", .stroke_width = 2, .dash = "4 2"});
  svg.Text(10, 20, "a < b", 12, "middle");
  std::string doc = svg.Finish();
  EXPECT_EQ(doc.rfind("<?xml", 0), 0u);
  EXPECT_NE(doc.find("width=\"300\" height=\"200\" viewBox=\"0 0 300 200\""), std::string::npos);
  EXPECT_NE(doc.find("<line x1=\"1\" y1=\"2\" x2=\"3\" y2=\"4\" stroke=\"#000\" stroke-width=\"2\""),
            std::string::npos);
  EXPECT_NE(doc.find("stroke-dasharray=\"4 2\""), std::string::npos);
  EXPECT_NE(doc.find("text-anchor=\"middle\">a &lt; b</text>"), std::string::npos);
  EXPECT_EQ(doc.substr(doc.size() - 7), "</svg>\n");
}

TEST(SvgWriter, PathBreaksRunsAndSkipsSinglePoints) {
  SvgWriter svg(100, 100);
  svg.Path({{{0, 0}, {1, 1}}, {{5, 5}}, {{2, 2}, {3, 3}, {4, 4}}}, {.stroke = "#000"});
  std::string doc = svg.Finish();
  EXPECT_NE(doc.find("d=\"M0 0 L1 1 M2 2 L3 3 L4 4\""), std::string::npos) << doc;
}

TEST(SvgWriter, ClosesOpenGroupsAndUsesClipPaths) {
  SvgWriter svg(100, 100);
  svg.DefineClip("area", 0, 0, 50, 50);
  svg.BeginGroup("area", "curves");
  svg.BeginGroup();
  svg.EndGroup();
  std::string doc = svg.Finish();
  EXPECT_EQ(Count(doc, "<g"), 2);
  EXPECT_EQ(Count(doc, "</g>"), 2);
  EXPECT_NE(doc.find("clip-path=\"url(#area)\" class=\"curves\""), std::string::npos);
}

TEST(SvgWriter, PolylineNeedsTwoPoints) {
  SvgWriter svg(100, 100);
  svg.Polyline({{1, 1}}, {.stroke = "#000"});
  EXPECT_EQ(svg.Finish().find("<polyline"), std::string::npos);
  SvgWriter two(100, 100);
  two.Polyline({{1, 1}, {2, 2}}, {.stroke = "#000", .opacity = 0.5});
  EXPECT_NE(two.Finish().find("<polyline points=\"1,1 2,2\" stroke=\"#000\" fill=\"none\" opacity=\"0.5\""),
            std::string::npos);
}

}  // namespace
}  // namespace cairn::plot
