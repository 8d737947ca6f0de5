// RenderCurvesSvg: the layout and drawing of a curves plot (docs/plots.md).
#include <algorithm>
#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "cairn/plot.h"
#include "cairn/plot/axis.h"
#include "cairn/plot/palette.h"
#include "cairn/plot/svg.h"

namespace cairn {

Status CurvesPlotOptions::Validate() const {
  if (width < 400) return InvalidArgument(fmt::format("plot option 'width' is {}; expected >= 400", width));
  if (height < 300) return InvalidArgument(fmt::format("plot option 'height' is {}; expected >= 300", height));
  return Status::Ok();
}

namespace {

using plot::Axis;
using plot::Style;
using plot::SvgWriter;
using Run = std::vector<std::pair<double, double>>;

// Pixel boxes of the figure.
struct Layout {
  double left, top, width, height;  // the plot area
  double legend_x;                  // left edge of the legend column
};

Layout MakeLayout(const CurvesPlotOptions& o) {
  double legend_w = o.width >= 800 ? 250 : 0;  // narrow figures put the legend inside
  Layout l;
  l.left = 84;
  l.top = 72;
  l.width = o.width - l.left - legend_w - 24;
  l.height = o.height - l.top - 62;
  l.legend_x = legend_w > 0 ? l.left + l.width + 28 : l.left + 12;
  return l;
}

bool Drawable(double v, bool log_y) { return std::isfinite(v) && (!log_y || v > 0); }

// The index of the last drawable point, or -1.
int LastDrawable(const PlotCurve& c, bool log_y) {
  for (int i = static_cast<int>(c.values.size()) - 1; i >= 0; --i) {
    if (Drawable(c.values[i], log_y)) return i;
  }
  return -1;
}

}  // namespace

std::optional<double> PlotCurve::RankedValue() const {
  if (final_value && std::isfinite(*final_value)) return final_value;
  for (auto it = values.rbegin(); it != values.rend(); ++it) {
    if (std::isfinite(*it)) return *it;
  }
  return std::nullopt;
}

namespace {

// What the figure shows, computed once: ranges, counts, the best curve.
struct Summary {
  double x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;
  bool any = false;
  int hidden_points = 0;  // <= 0 on a log axis
  int completed = 0, stopped = 0, failed = 0, other = 0, predictions = 0;
  int best = -1;  // index into curves
  std::vector<double> final_rank;  // completed curves: 0 worst .. 1 best
};

void Extend(Summary& s, double x, double y) {
  if (!s.any) {
    s.x_lo = s.x_hi = x;
    s.y_lo = s.y_hi = y;
    s.any = true;
    return;
  }
  s.x_lo = std::min(s.x_lo, x);
  s.x_hi = std::max(s.x_hi, x);
  s.y_lo = std::min(s.y_lo, y);
  s.y_hi = std::max(s.y_hi, y);
}

void CountState(Summary& s, TrialState state) {
  switch (state) {
    case TrialState::kCompleted: ++s.completed; break;
    case TrialState::kStopped: ++s.stopped; break;
    case TrialState::kFailed: ++s.failed; break;
    default: ++s.other; break;
  }
}

// Ranks completed curves by final value (direction-aware) and picks the best:
// the value every other command ranks by (RankedValue), whatever the axis
// shows, the first of tied trials as status names it.
void RankCompleted(const CurvesPlot& p, Summary& s) {
  std::vector<std::pair<double, int>> finals;
  for (size_t i = 0; i < p.curves.size(); ++i) {
    const auto& c = p.curves[i];
    std::optional<double> final_value = c.RankedValue();
    if (c.state == TrialState::kCompleted && final_value) finals.push_back({*final_value, static_cast<int>(i)});
  }
  // Worst first; of tied curves the later one first, so the first ends last.
  std::stable_sort(finals.begin(), finals.end(), [&](const auto& a, const auto& b) {
    if (a.first == b.first) return a.second > b.second;
    return IsBetter(p.direction, b.first, a.first);
  });
  s.final_rank.assign(p.curves.size(), 0.5);
  for (size_t r = 0; r < finals.size(); ++r) {
    s.final_rank[finals[r].second] = finals.size() > 1 ? static_cast<double>(r) / (finals.size() - 1) : 1.0;
  }
  if (!finals.empty()) s.best = finals.back().second;
}

Summary Summarise(const CurvesPlot& p, bool log_y) {
  Summary s;
  for (const auto& c : p.curves) {
    CountState(s, c.state);
    for (size_t i = 0; i < c.values.size() && i < c.steps.size(); ++i) {
      if (Drawable(c.values[i], log_y)) {
        Extend(s, static_cast<double>(c.steps[i]), c.values[i]);
      } else if (std::isfinite(c.values[i])) {
        ++s.hidden_points;
      }
    }
    if (c.prediction && Drawable(c.prediction->predicted, log_y)) {
      ++s.predictions;
      if (s.any) Extend(s, static_cast<double>(c.prediction->target_step), c.prediction->predicted);
    }
  }
  RankCompleted(p, s);
  return s;
}

// The curve's points in pixels, broken into runs at undrawable values.
std::vector<Run> CurveRuns(const PlotCurve& c, const Axis& x, const Axis& y, bool log_y) {
  std::vector<Run> runs(1);
  for (size_t i = 0; i < c.values.size() && i < c.steps.size(); ++i) {
    if (!Drawable(c.values[i], log_y)) {
      if (!runs.back().empty()) runs.emplace_back();
      continue;
    }
    runs.back().push_back({x.Map(static_cast<double>(c.steps[i])), y.Map(c.values[i])});
  }
  return runs;
}

// Line width and opacity for `n` curves of one kind: thinner and fainter
// as they multiply, so dense regions read as density.
double Alpha(int n, double scale) { return std::clamp(scale / std::sqrt(std::max(n, 1)), 0.12, 0.85); }
double Width(int n) { return n > 150 ? 0.8 : n > 30 ? 1.1 : 1.6; }

Style CurveStyle(const PlotCurve& c, const Summary& s, size_t index) {
  Style st;
  switch (c.state) {
    case TrialState::kCompleted:
      st.stroke = plot::BlueRamp(s.final_rank[index]);
      st.stroke_width = Width(s.completed);
      st.opacity = Alpha(s.completed, 3.0);
      break;
    case TrialState::kStopped:
      st.stroke = plot::kStoppedGrey;
      st.stroke_width = Width(s.stopped);
      st.opacity = Alpha(s.stopped, 2.5);
      break;
    case TrialState::kFailed:
      st.stroke = plot::kFailedOrange;
      st.stroke_width = Width(s.failed);
      st.opacity = Alpha(s.failed, 3.0);
      st.dash = "5 3";
      break;
    default:
      st.stroke = plot::kOtherGrey;
      st.stroke_width = Width(s.other);
      st.opacity = Alpha(s.other, 2.5);
      st.dash = "2 2";
  }
  return st;
}

void DrawCurve(SvgWriter& svg, const PlotCurve& c, const Style& st, const Axis& x, const Axis& y, bool log_y) {
  auto runs = CurveRuns(c, x, y, log_y);
  svg.BeginGroup();
  int last = LastDrawable(c, log_y);
  svg.Title(last >= 0 ? fmt::format("{} ({}): {} at step {}", c.label, TrialStateName(c.state),
                                    plot::FormatValue(c.values[last]), c.steps[last])
                      : fmt::format("{} ({})", c.label, TrialStateName(c.state)));
  svg.Path(runs, st);
  for (const auto& run : runs) {
    if (run.size() == 1) svg.Circle(run[0].first, run[0].second, st.stroke_width + 0.8, {.opacity = st.opacity, .fill = st.stroke});
  }
  svg.EndGroup();
}

// The stop point and, when known, the prediction made there.
void DrawStop(SvgWriter& svg, const PlotCurve& c, const Summary& s, const Axis& x, const Axis& y, bool log_y) {
  int last = LastDrawable(c, log_y);
  if (last < 0) return;
  double sx = x.Map(static_cast<double>(c.steps[last])), sy = y.Map(c.values[last]);
  double alpha = Alpha(s.predictions, 4.0);
  if (c.prediction && Drawable(c.prediction->predicted, log_y)) {
    const auto& pr = *c.prediction;
    double px = x.Map(static_cast<double>(pr.target_step)), py = y.Map(pr.predicted);
    svg.BeginGroup();
    svg.Title(fmt::format("{} stopped at step {} by {}: predicted {}{} at step {}", c.label, c.steps[last],
                          pr.rule.empty() ? "a rule" : pr.rule, plot::FormatValue(pr.predicted),
                          pr.lower && pr.upper ? fmt::format(" [{}, {}]", plot::FormatValue(*pr.lower),
                                                             plot::FormatValue(*pr.upper))
                                               : "",
                          pr.target_step));
    svg.Line(sx, sy, px, py, {.stroke = plot::kStopRed, .stroke_width = 0.8, .opacity = alpha * 0.5, .dash = "2 3"});
    if (pr.lower && pr.upper && Drawable(*pr.lower, log_y) && Drawable(*pr.upper, log_y)) {
      double lo = y.Map(*pr.lower), hi = y.Map(*pr.upper);
      Style bar{.stroke = plot::kPredictionRed, .stroke_width = 1.2, .opacity = alpha * 0.7};
      svg.Line(px, lo, px, hi, bar);
      svg.Line(px - 3, lo, px + 3, lo, bar);
      svg.Line(px - 3, hi, px + 3, hi, bar);
    }
    svg.Circle(px, py, 3.2, {.stroke = "#ffffff", .stroke_width = 0.8, .opacity = std::min(1.0, alpha * 1.3),
                             .fill = plot::kPredictionRed});
    svg.EndGroup();
  }
  double r = s.stopped > 150 ? 1.8 : 2.6;
  svg.Circle(sx, sy, r, {.opacity = std::max(0.35, Alpha(s.stopped, 4.0)), .fill = plot::kStopRed});
}

void DrawFailMark(SvgWriter& svg, const PlotCurve& c, const Axis& x, const Axis& y, bool log_y) {
  int last = LastDrawable(c, log_y);
  if (last < 0) return;
  double cx = x.Map(static_cast<double>(c.steps[last])), cy = y.Map(c.values[last]);
  Style st{.stroke = plot::kFailedOrange, .stroke_width = 1.6, .opacity = 0.9};
  svg.Line(cx - 3.5, cy - 3.5, cx + 3.5, cy + 3.5, st);
  svg.Line(cx - 3.5, cy + 3.5, cx + 3.5, cy - 3.5, st);
}

void DrawBest(SvgWriter& svg, const CurvesPlot& p, const Summary& s, const Axis& x, const Axis& y, bool log_y) {
  if (s.best < 0) return;
  const auto& c = p.curves[s.best];
  DrawCurve(svg, c, {.stroke = plot::kBestBlue, .stroke_width = 2.6}, x, y, log_y);
  int last = LastDrawable(c, log_y);
  if (last < 0) return;  // nothing of it can be drawn (no positive value on a log axis)
  svg.Circle(x.Map(static_cast<double>(c.steps[last])), y.Map(c.values[last]), 4,
             {.stroke = "#ffffff", .stroke_width = 1.2, .fill = plot::kBestBlue});
}

void DrawAxes(SvgWriter& svg, const Layout& l, const Axis& x, const Axis& y, const CurvesPlot& p,
              const CurvesPlotOptions& o) {
  svg.Rect(l.left, l.top, l.width, l.height, {.fill = "#fbfbfb"});
  Style grid{.stroke = "#e3e3e3"};
  Style tick{.stroke = "#555555"};
  for (const auto& t : x.Ticks(std::max(3, static_cast<int>(l.width / 110)))) {
    double px = x.Map(t.value);
    svg.Line(px, l.top, px, l.top + l.height, grid);
    svg.Line(px, l.top + l.height, px, l.top + l.height + 5, tick);
    svg.Text(px, l.top + l.height + 20, t.label, 12, "middle", "#444");
  }
  for (const auto& t : y.Ticks(std::max(3, static_cast<int>(l.height / 70)))) {
    double py = y.Map(t.value);
    svg.Line(l.left, py, l.left + l.width, py, t.label.empty() ? Style{.stroke = "#eeeeee"} : grid);
    svg.Line(l.left - 5, py, l.left, py, tick);
    if (!t.label.empty()) svg.Text(l.left - 9, py + 4, t.label, 12, "end", "#444");
  }
  svg.Rect(l.left, l.top, l.width, l.height, {.stroke = "#888888"});
  svg.Text(l.left + l.width / 2, l.top + l.height + 44, p.step_name, 14, "middle", "#333");
  std::string ylabel = p.metric + (o.log_y ? " (log scale)" : "");
  svg.Text(22, l.top + l.height / 2, ylabel, 14, "middle", "#333", false, -90);
}

std::string CountsLine(const CurvesPlot& p, const Summary& s) {
  std::vector<std::string> parts;
  if (s.completed) parts.push_back(fmt::format("{} completed", s.completed));
  if (s.stopped) parts.push_back(fmt::format("{} stopped", s.stopped));
  if (s.failed) parts.push_back(fmt::format("{} failed", s.failed));
  if (s.other) parts.push_back(fmt::format("{} other", s.other));
  std::string line = fmt::format("{} ({}) · {} curves: {}", p.metric, DirectionName(p.direction), p.curves.size(),
                                 fmt::join(parts, ", "));
  if (s.hidden_points > 0) line += fmt::format(" · {} points <= 0 not shown", s.hidden_points);
  return line;
}

}  // namespace

namespace plot {
void DrawLegend(SvgWriter& svg, double x, double y, const CurvesPlot& p, const std::vector<int>& counts,
                int best_index);
}  // namespace plot

Result<std::string> RenderCurvesSvg(const CurvesPlot& p, const CurvesPlotOptions& o) {
  CAIRN_TRY(o.Validate());
  Summary s = Summarise(p, o.log_y);
  if (!s.any) {
    return InvalidArgument(fmt::format("no {}point of metric '{}' to plot in {} curves", o.log_y ? "positive " : "",
                                       p.metric, p.curves.size()));
  }
  Layout l = MakeLayout(o);
  plot::PadRange(s.y_lo, s.y_hi, o.log_y, 0.04);
  // Steps counted from 1 read better from 0; a little room on the right
  // keeps end markers and predictions at the last step whole.
  if (s.x_lo > 0 && s.x_lo <= 0.1 * s.x_hi) s.x_lo = 0;
  if (s.x_hi <= s.x_lo) {  // every curve is one step long: put it in the middle
    s.x_lo -= 0.5;
    s.x_hi += 0.5;
  }
  s.x_hi += 0.02 * (s.x_hi - s.x_lo);
  Axis x{.lo = s.x_lo, .hi = s.x_hi, .whole = true, .pixel_lo = l.left, .pixel_hi = l.left + l.width};
  Axis y{.lo = s.y_lo, .hi = s.y_hi, .log = o.log_y, .pixel_lo = l.top + l.height, .pixel_hi = l.top};

  SvgWriter svg(o.width, o.height);
  svg.Rect(0, 0, o.width, o.height, {.fill = "#ffffff"});
  svg.Text(l.left, 32, p.title, 20, "start", "#111", true);
  svg.Text(l.left, 54, CountsLine(p, s), 13, "start", "#555");
  DrawAxes(svg, l, x, y, p, o);
  svg.DefineClip("plot-area", l.left, l.top, l.width, l.height);
  svg.BeginGroup("plot-area", "curves");
  // Completed curves worst first, so the better (darker) ones lie on top.
  std::vector<size_t> order(p.curves.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto layer = [&](const PlotCurve& c) {
    switch (c.state) {
      case TrialState::kStopped: return 1;
      case TrialState::kFailed: return 2;
      case TrialState::kCompleted: return 3;
      default: return 0;
    }
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    int la = layer(p.curves[a]), lb = layer(p.curves[b]);
    if (la != lb) return la < lb;
    return la == 3 && s.final_rank[a] < s.final_rank[b];
  });
  for (size_t i : order) {
    if (static_cast<int>(i) == s.best) continue;
    DrawCurve(svg, p.curves[i], CurveStyle(p.curves[i], s, i), x, y, o.log_y);
  }
  for (const auto& c : p.curves) {
    if (c.state == TrialState::kStopped) DrawStop(svg, c, s, x, y, o.log_y);
    if (c.state == TrialState::kFailed) DrawFailMark(svg, c, x, y, o.log_y);
  }
  DrawBest(svg, p, s, x, y, o.log_y);
  svg.EndGroup();
  plot::DrawLegend(svg, l.legend_x, l.top + 8, p, {s.completed, s.stopped, s.failed, s.other, s.predictions},
                   s.best);
  return svg.Finish();
}

Status WriteCurvesSvg(const std::filesystem::path& path, const CurvesPlot& plot,
                      const CurvesPlotOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::string svg, RenderCurvesSvg(plot, options));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError(fmt::format("{}: cannot open for writing", path.string()));
  out << svg;
  out.close();
  if (!out) return IoError(fmt::format("{}: write failed", path.string()));
  return Status::Ok();
}

}  // namespace cairn
