// cairn curves index FILE|STUDY: which curve families predict which kinds of
// curve, on a recorded curve file or on a study's trials.
#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cairn/curve.h"
#include "cairn/curves_file.h"
#include "cli/common.h"

namespace cairn::cli {
namespace {

struct IndexArgs {
  std::string source;  // a curve file, or a study name
  int max_curves = 0;
  bool json = false;
};

Result<std::vector<LabeledCurve>> CurvesOfFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(auto records, ReadCurvesFile(path));
  std::vector<LabeledCurve> curves;
  curves.reserve(records.size());
  for (auto& r : records) curves.push_back({std::move(r.id), std::move(r.values), r.direction});
  return curves;
}

// One curve per trial that reported the objective: its values in step
// order (a step reported twice counts once, with its last value).
Result<std::vector<LabeledCurve>> CurvesOfStudy(Store& store, const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(StudyRecord study, store.GetStudy(name));
  CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(study.id));
  std::vector<LabeledCurve> curves;
  for (const auto& t : trials) {
    CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({t.id, study.objective}));
    LabeledCurve c{fmt::format("{}/trial {}", study.name, t.number), {}, study.direction};
    int64_t last_step = 0;
    for (const auto& p : points) {
      if (!c.values.empty() && p.step == last_step) {
        c.values.back() = p.value;
      } else {
        c.values.push_back(p.value);
      }
      last_step = p.step;
    }
    if (!c.values.empty()) curves.push_back(std::move(c));
  }
  return curves;
}

// A path that exists is a curve file; otherwise the name of a study. A
// missing path that looks like a file is reported as a missing file.
Result<std::vector<LabeledCurve>> LoadCurves(const std::string& source, const Context& ctx) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(source, ec)) return CurvesOfFile(source);
  bool looks_like_file = source.find('/') != std::string::npos || source.ends_with(".jsonl") ||
                         source.ends_with(".gz") || source.ends_with(".json");
  if (looks_like_file) return NotFound(fmt::format("{}: no such curve file", source));
  CAIRN_ASSIGN_OR_RETURN(auto store, OpenCliStore(ctx));
  auto curves = CurvesOfStudy(*store, source);
  if (!curves.ok() && curves.status().code() == StatusCode::kNotFound) {
    return NotFound(fmt::format("'{}' is neither a curve file nor a study in {}", source, store->Url()));
  }
  return curves;
}

int RunIndex(const IndexArgs& args, const Context& ctx) {
  auto curves = LoadCurves(args.source, ctx);
  if (!curves.ok()) return Fail(curves.status());
  if (curves->empty()) return Fail(InvalidArgument(fmt::format("{}: no curves to index", args.source)));
  CurveIndexOptions options;
  options.max_curves = args.max_curves;
  size_t used = args.max_curves > 0 ? std::min<size_t>(curves->size(), args.max_curves) : curves->size();
  std::cerr << fmt::format("cairn: fitting {} of {} curves at {} fractions...\n", used, curves->size(),
                           options.fractions.size());
  auto start = std::chrono::steady_clock::now();
  auto report = BuildCurveIndex(*curves, options);
  if (!report.ok()) return Fail(report.status().WithContext(args.source));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << fmt::format("cairn: indexed {} curves in {:.1f} s\n", report->num_used, seconds);
  if (args.json) {
    PrintJson(report->ToJson());
  } else {
    std::cout << report->ToTable();
  }
  return 0;
}

void RegisterCurves(CLI::App& app, Context& ctx) {
  auto* curves = app.add_subcommand("curves", "Look at learning curves: how well they can be predicted");
  curves->require_subcommand(1);
  auto args = std::make_shared<IndexArgs>();
  auto* index = curves->add_subcommand(
      "index",
      "Fit every curve family to the first 10/25/50 % of each curve, predict its final value, and report\n"
      "per kind of curve (normal, never learns, late learner, diverges, noisy) which predictors work best");
  index->add_option("source", args->source,
                    "a curve file (.jsonl or .jsonl.gz, see docs/replay.md) or the name of a study in the store")
      ->required();
  index->add_option("--max-curves", args->max_curves, "use at most N curves, evenly spaced (0 = all)")
      ->check(CLI::NonNegativeNumber);
  index->add_flag("--json", args->json, "print the index as JSON");
  AddStoreOption(index, ctx);
  index->callback([args, &ctx] { ctx.exit_code = RunIndex(*args, ctx); });
}

const CommandRegistrar kCurvesRegistrar(60, "curves", RegisterCurves);

}  // namespace
}  // namespace cairn::cli
