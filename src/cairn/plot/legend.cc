// The legend column of the curves plot and the colour ramp it explains.
#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "cairn/plot.h"
#include "cairn/plot/axis.h"
#include "cairn/plot/palette.h"
#include "cairn/plot/svg.h"

namespace cairn::plot {

std::string BlueRamp(double t) {
  // Between ColorBrewer Blues 4 (#9ecae1) and 8 (#2171b5): light enough to
  // fade, never so light it vanishes on white.
  t = std::clamp(t, 0.0, 1.0);
  auto mix = [t](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * t)); };
  return fmt::format("#{:02x}{:02x}{:02x}", mix(0x9e, 0x21), mix(0xca, 0x71), mix(0xe1, 0xb5));
}

namespace {

constexpr double kRow = 24;      // legend row height
constexpr double kSample = 30;   // width of a line sample

void Sample(SvgWriter& svg, double x, double y, const Style& style) { svg.Line(x, y, x + kSample, y, style); }

// Long labels (curve ids) keep their informative end: "...mlp/cfg121".
std::string Shorten(const std::string& label, size_t max_chars = 22) {
  if (label.size() <= max_chars) return label;
  return "..." + label.substr(label.size() - (max_chars - 3));
}

}  // namespace

// counts = {completed, stopped, failed, other, predictions}.
void DrawLegend(SvgWriter& svg, double x, double y, const CurvesPlot& p, const std::vector<int>& counts,
                int best_index) {
  double tx = x + kSample + 10;
  double row = y + 6;
  auto text = [&](const std::string& t) { svg.Text(tx, row + 4, t, 13, "start", "#333"); };
  auto note = [&](const std::string& t) {
    row += 16;
    svg.Text(tx, row + 4, t, 11, "start", "#777");
  };
  if (counts[0] > 0) {
    for (int i = 0; i < 3; ++i) {
      svg.Line(x + i * kSample / 3, row, x + (i + 1) * kSample / 3, row,
               {.stroke = BlueRamp(i / 2.0), .stroke_width = 2.2});
    }
    text(fmt::format("completed ({})", counts[0]));
    note("darker = better final value");
    row += kRow;
  }
  if (best_index >= 0) {
    const auto& c = p.curves[best_index];
    // The ranked value, even when a log axis cannot show it.
    const double final_value = c.RankedValue().value_or(NAN);
    Sample(svg, x, row, {.stroke = kBestBlue, .stroke_width = 2.6});
    svg.Circle(x + kSample, row, 4, {.stroke = "#ffffff", .stroke_width = 1.2, .fill = kBestBlue});
    text(fmt::format("best: {}", Shorten(c.label)));
    note(fmt::format("{} = {}", p.metric, FormatValue(final_value)));
    row += kRow;
  }
  if (counts[1] > 0) {
    Sample(svg, x, row, {.stroke = kStoppedGrey, .stroke_width = 1.6});
    svg.Circle(x + kSample, row, 2.8, {.fill = kStopRed});
    text(fmt::format("stopped early ({})", counts[1]));
    note("red dot: where it was stopped");
    row += kRow;
  }
  if (counts[4] > 0) {
    double cx = x + kSample / 2;
    Style bar{.stroke = kPredictionRed, .stroke_width = 1.2};
    svg.Line(cx, row - 8, cx, row + 8, bar);
    svg.Line(cx - 4, row - 8, cx + 4, row - 8, bar);
    svg.Line(cx - 4, row + 8, cx + 4, row + 8, bar);
    svg.Circle(cx, row, 3.2, {.stroke = "#ffffff", .stroke_width = 0.8, .fill = kPredictionRed});
    text(fmt::format("predicted final ({})", counts[4]));
    note("at the stop, with its interval");
    row += kRow;
  }
  if (counts[2] > 0) {
    Sample(svg, x, row, {.stroke = kFailedOrange, .stroke_width = 1.6, .dash = "5 3"});
    svg.Line(x + kSample - 3.5, row - 3.5, x + kSample + 3.5, row + 3.5, {.stroke = kFailedOrange, .stroke_width = 1.6});
    svg.Line(x + kSample - 3.5, row + 3.5, x + kSample + 3.5, row - 3.5, {.stroke = kFailedOrange, .stroke_width = 1.6});
    text(fmt::format("failed ({})", counts[2]));
    row += kRow;
  }
  if (counts[3] > 0) {
    Sample(svg, x, row, {.stroke = kOtherGrey, .stroke_width = 1.6, .dash = "2 2"});
    text(fmt::format("running/interrupted/lost ({})", counts[3]));
    row += kRow;
  }
}

}  // namespace cairn::plot
