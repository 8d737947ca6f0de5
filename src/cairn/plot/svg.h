// A minimal SVG writer: the handful of elements the plots need, with
// attribute values and text escaped, and coordinates rounded to 0.1 px so
// files of hundreds of curves stay small.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::plot {

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string XmlEscape(std::string_view text);

// Presentation attributes of a shape; empty strings are left out.
struct Style {
  std::string stroke;            // "#1f77b4", "none"
  double stroke_width = 1.0;
  double opacity = 1.0;          // applies to stroke and fill
  std::string fill = "none";
  std::string dash;              // stroke-dasharray, e.g. "4 3"
};

class SvgWriter {
 public:
  SvgWriter(int width, int height);

  void Rect(double x, double y, double w, double h, const Style& style);
  void Line(double x1, double y1, double x2, double y2, const Style& style);
  void Circle(double cx, double cy, double r, const Style& style);
  // A polyline through the points (nothing when fewer than 2 points).
  void Polyline(const std::vector<std::pair<double, double>>& points, const Style& style);
  // A path of several polylines (runs), e.g. a curve broken at NaN values.
  void Path(const std::vector<std::vector<std::pair<double, double>>>& runs, const Style& style);
  // anchor: "start" | "middle" | "end"; rotate: degrees about (x, y).
  void Text(double x, double y, std::string_view text, double size, const std::string& anchor = "start",
            const std::string& fill = "#222", bool bold = false, double rotate = 0.0);
  void Title(std::string_view text);  // a <title> tooltip for the enclosing group
  // Groups: clip_id names a clip rectangle defined with DefineClip.
  void BeginGroup(const std::string& clip_id = "", const std::string& css_class = "");
  void EndGroup();
  void DefineClip(const std::string& id, double x, double y, double w, double h);

  // The whole document.
  std::string Finish() const;

 private:
  void Attrs(const Style& style);
  std::string body_;
  int width_;
  int height_;
  int open_groups_ = 0;
};

// A number with one decimal (coordinates).
std::string Px(double v);

}  // namespace cairn::plot
