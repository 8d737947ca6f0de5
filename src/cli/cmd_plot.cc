// cairn plot curves STUDY | --curves FILE -o OUT.svg: every trial's curve,
// where trials were stopped and what was predicted there.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <set>

#include <optional>

#include <fmt/format.h>

#include "cairn/curves_file.h"
#include "cairn/plot.h"
#include "cli/common.h"

namespace cairn::cli {
namespace {

struct PlotArgs {
  std::string study;
  std::string curves_file;
  std::string output;
  std::string metric;
  std::string direction;  // empty: the study's (for its objective) or the file's
  bool log_y = false;
  int width = 1200;
  int height = 700;
  bool json = false;
};

// A curve file as a plot, of one metric (`metric`, or the file's only one):
// each record at steps 1..T, completed, unless it carries a Cairn export's
// "state" and "steps".
Result<CurvesPlot> PlotOfFile(const std::string& path, const std::string& metric) {
  CAIRN_ASSIGN_OR_RETURN(auto records, ReadCurvesFile(path));
  std::set<std::string> metrics;
  for (const auto& r : records) metrics.insert(r.metric);
  if (records.empty()) return InvalidArgument(fmt::format("{}: no curves", path));
  if (metric.empty() && metrics.size() > 1) {
    return InvalidArgument(fmt::format("{}: curves of {} metrics ({}); choose one with --metric", path,
                                       metrics.size(), fmt::join(metrics, ", ")));
  }
  if (!metric.empty() && !metrics.contains(metric)) {
    return InvalidArgument(fmt::format("{}: no curve of metric '{}' (it has {})", path, metric,
                                       fmt::join(metrics, ", ")));
  }
  CurvesPlot plot;
  plot.title = std::filesystem::path(path).filename().string();
  plot.metric = metric.empty() ? *metrics.begin() : metric;
  const CurveRecord* first = nullptr;
  for (const auto& r : records) {
    if (r.metric != plot.metric) continue;
    if (first == nullptr) first = &r;
    if (r.direction != first->direction) {
      // Which end is best would depend on the curve: not one task.
      return InvalidArgument(fmt::format("{}:{}: curve {} has mode {} but curve {} has {}; plot one task (one "
                                         "mode per metric) at a time",
                                         path, r.line, r.id, CurveModeName(r.direction), first->id,
                                         CurveModeName(first->direction)));
    }
    plot.direction = r.direction;
    PlotCurve c;
    c.label = r.id;
    c.values = r.values;
    // A Cairn export says how each trial ended and at which steps it reported.
    c.state = ParseTrialState(r.extra.value("state", "completed")).value_or(TrialState::kCompleted);
    // A curve that ends in a null (NaN) failed there, as a replay reads it:
    // it has no final to be the best with.
    if (c.state == TrialState::kCompleted && !r.values.empty() && !std::isfinite(r.values.back())) {
      c.state = TrialState::kFailed;
    }
    for (size_t i = 0; i < r.values.size(); ++i) c.steps.push_back(StepAt(r, i));
    plot.curves.push_back(std::move(c));
  }
  return plot;
}

Result<CurvesPlot> LoadPlot(const PlotArgs& args, const Context& ctx) {
  if (!args.curves_file.empty()) return PlotOfFile(args.curves_file, args.metric);
  CAIRN_ASSIGN_OR_RETURN(auto store, OpenCliStore(ctx));
  CAIRN_ASSIGN_OR_RETURN(CurvesPlot plot, LoadStudyCurves(*store, args.study, args.metric));
  if (plot.curves.empty()) {
    return InvalidArgument(fmt::format("study '{}' has no trial with metric '{}' to plot", args.study, plot.metric));
  }
  // Said only when there is a plot for it to be about.
  if (!args.metric.empty() && args.direction.empty()) {
    auto study = store->GetStudy(args.study);
    if (study.ok() && study->objective != args.metric) {
      // Another metric (a loss beside an accuracy) may run the other way.
      std::cerr << fmt::format("cairn: note: {} is not the objective; its best curve is taken at its {} end, the "
                               "objective's direction (--direction {} says otherwise)\n",
                               args.metric, study->direction == Direction::kMaximize ? "highest" : "lowest",
                               study->direction == Direction::kMaximize ? "minimize" : "maximize");
    }
  }
  return plot;
}

int RunPlotCurves(const PlotArgs& args, const Context& ctx) {
  if (args.study.empty() == args.curves_file.empty()) {
    return Fail(InvalidArgument(args.study.empty() ? "give a STUDY or --curves FILE"
                                                   : "give either a STUDY or --curves FILE, not both"));
  }
  // The plot is SVG; a .png name would hold SVG text no viewer expects.
  if (const std::string ext = std::filesystem::path(args.output).extension().string();
      !ext.empty() && ext != ".svg" && ext != ".SVG") {
    return Fail(InvalidArgument(fmt::format("-o {}: plots are written as SVG; give a name ending in .svg",
                                            args.output)));
  }
  std::optional<Direction> direction;
  if (!args.direction.empty() && !(direction = ParseDirection(args.direction))) {
    return Fail(InvalidArgument(fmt::format("--direction '{}': expected maximize or minimize", args.direction)));
  }
  auto plot = LoadPlot(args, ctx);
  if (!plot.ok()) return Fail(plot.status());
  if (direction) plot->direction = *direction;
  if (plot->curves.empty()) return Fail(InvalidArgument(fmt::format("{} has no curve to plot", args.curves_file)));
  CurvesPlotOptions options{.width = args.width, .height = args.height, .log_y = args.log_y};
  if (Status s = WriteCurvesSvg(args.output, *plot, options); !s.ok()) return Fail(s);
  int stopped = 0, predicted = 0;
  for (const auto& c : plot->curves) {
    stopped += c.state == TrialState::kStopped;
    predicted += c.prediction.has_value();
  }
  if (args.json) {
    PrintJson({{"output", args.output}, {"title", plot->title}, {"metric", plot->metric},
               {"curves", plot->curves.size()}, {"stopped", stopped}, {"predictions", predicted},
               {"bytes", std::filesystem::file_size(args.output)}});
  } else {
    fmt::print("wrote {}: {} curves of {} ({} stopped, {} with a prediction)\n", args.output, plot->curves.size(),
               plot->metric, stopped, predicted);
  }
  return 0;
}

void RegisterPlot(CLI::App& app, Context& ctx) {
  auto* plot = app.add_subcommand("plot", "Draw a study's results as SVG figures");
  plot->require_subcommand(1);
  auto args = std::make_shared<PlotArgs>();
  auto* curves = plot->add_subcommand(
      "curves",
      "Plot every trial's learning curve: completed (blue, darker = better), stopped (grey, red dot where\n"
      "stopped, with the predicted final value and its interval when the rule made one), failed (dashed);\n"
      "the best trial is highlighted");
  curves->add_option("study", args->study, "the study to plot");
  curves->add_option("--curves", args->curves_file, "plot a curve file (.jsonl or .jsonl.gz) instead of a study");
  curves->add_option("-o,--output", args->output, "the SVG file to write")->required();
  curves->add_option("--metric", args->metric, "the metric to plot (default: the study's objective)");
  curves->add_option("--direction", args->direction,
                     "maximize or minimize: which end of --metric is better (default: the objective's\n"
                     "direction; give it when plotting another metric, such as a loss)");
  curves->add_flag("--log-y", args->log_y, "logarithmic y axis (values <= 0 are left out)");
  curves->add_option("--width", args->width, "width in pixels")->capture_default_str();
  curves->add_option("--height", args->height, "height in pixels")->capture_default_str();
  curves->add_flag("--json", args->json, "print what was written as JSON");
  AddStoreOption(curves, ctx);
  curves->callback([args, &ctx] { ctx.exit_code = RunPlotCurves(*args, ctx); });
}

const CommandRegistrar kPlotRegistrar(65, "plot", RegisterPlot);

}  // namespace
}  // namespace cairn::cli
