// Plots of learning curves as standalone SVG files (`cairn plot curves`).
//
// A CurvesPlot is what is drawn: one PlotCurve per trial (or per recorded
// configuration of a curve file), each with its state, its (step, value)
// points and, for trials a scheduler stopped, the prediction it made. The
// renderer writes the SVG itself (no library): axes with ticks and labels,
// a title, a legend, completed curves in a blue family coloured by their
// final value, stopped ones grey with a red marker at the stop, failed ones
// dashed, the best completed curve highlighted, and for each stop with a
// prediction a dot at the target step with its interval as an error bar.
// Lines thin out and fade as the number of curves grows, so 500 curves stay
// readable. Layout and colours: docs/plots.md.
//
//   CAIRN_ASSIGN_OR_RETURN(CurvesPlot plot, LoadStudyCurves(store, "digits", ""));
//   CAIRN_ASSIGN_OR_RETURN(std::string svg, RenderCurvesSvg(plot, {}));
//
// Thread-safety: free functions without shared state. Rendering is
// deterministic: the same plot and options give the same bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cairn/status.h"
#include "cairn/store.h"
#include "cairn/trial.h"

namespace cairn {

// The prediction a scheduler made when it stopped a trial (trial
// attrs["decision"]): drawn as a dot at (target_step, predicted) with the
// interval [lower, upper] as an error bar and a thin line from the stop.
struct PlotPrediction {
  int64_t target_step = 0;  // the step the prediction is for (a full trial's last)
  double predicted = 0.0;
  std::optional<double> lower;  // the interval, when the rule gave one
  std::optional<double> upper;
  std::string rule;             // "predictive", "median", ...
};

struct PlotCurve {
  std::string label;  // "trial 12", or a curve id
  TrialState state = TrialState::kCompleted;
  std::vector<int64_t> steps;  // increasing
  std::vector<double> values;  // one per step; NaN/inf break the line
  std::optional<PlotPrediction> prediction;  // stopped trials with a decision
  // The value the curve is ranked by: a study trial's recorded value (its
  // value at max_steps, not a later point); unset: the last finite value.
  std::optional<double> final_value;

  // final_value, else the last finite value; nullopt when there is none.
  std::optional<double> RankedValue() const;
};

struct CurvesPlot {
  std::string title;   // "digits", or the curve file's name
  std::string metric;  // the plotted metric (y axis label)
  std::string step_name = "step";  // what steps count (x axis label): a study's step key, e.g. "epoch"
  Direction direction = Direction::kMaximize;  // decides the best curve
  std::vector<PlotCurve> curves;
};

struct CurvesPlotOptions {
  int width = 1200;    // SVG width in pixels, >= 400
  int height = 700;    // SVG height in pixels, >= 300
  bool log_y = false;  // logarithmic y axis; values <= 0 are left out (and counted in the subtitle)

  // InvalidArgument naming the field when out of range.
  Status Validate() const;
};

// The curves of a study's trials for `metric` ("" = the study's objective),
// read from the store: one PlotCurve per trial that reported the metric, in
// trial order, with the prediction of attrs["decision"] for stopped trials
// that have a "predicted" value. The target step is decision["target_step"]
// when present, else the study's budget.max_steps, else the longest curve.
// NotFound when the study does not exist.
Result<CurvesPlot> LoadStudyCurves(Store& store, const std::string& study,
                                   const std::string& metric);

// The SVG document. InvalidArgument for bad options or a plot without any
// finite point to draw (naming the metric).
Result<std::string> RenderCurvesSvg(const CurvesPlot& plot, const CurvesPlotOptions& options);

// RenderCurvesSvg, written to `path` (IoError naming the path on failure).
Status WriteCurvesSvg(const std::filesystem::path& path, const CurvesPlot& plot,
                      const CurvesPlotOptions& options);

}  // namespace cairn
