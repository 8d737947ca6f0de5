// cairn curves index FILE|STUDY: which curve families predict which kinds of
// curve, on a recorded curve file or on a study's trials.
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cairn/curve.h"
#include "cairn/curves_file.h"
#include "cairn/replay_study.h"
#include "cairn/spec.h"
#include "cli/common.h"

namespace cairn::cli {
namespace {

struct IndexArgs {
  std::string source;  // a curve file, or a study name
  int max_curves = 0;
  std::string bounds;  // "LO,HI", either side may be empty
  bool json = false;
};

// The curves, and the metric's bounds when the source knows them.
struct IndexSource {
  std::vector<LabeledCurve> curves;
  std::optional<double> lower_bound, upper_bound;
  // Curves left out because they were cut short (stopped early, failed):
  // their last value is not where they would have ended.
  int cut_short = 0;
};

struct Bounds {
  std::optional<double> lower, upper;
};

// "--bounds 0,1", "0," or ",100": the metric's possible range.
Result<Bounds> ParseBounds(const std::string& text) {
  auto comma = text.find(',');
  auto bad = [&text](std::string why) {
    return InvalidArgument(fmt::format("--bounds '{}': {}; expected LO,HI such as 0,1 (accuracy), 0,100 "
                                       "(percent) or 0, (a loss)", text, why));
  };
  if (comma == std::string::npos || text.find(',', comma + 1) != std::string::npos) return bad("not two sides");
  std::optional<double> sides[2];
  std::string parts[2] = {text.substr(0, comma), text.substr(comma + 1)};
  for (std::string& part : parts) {  // "0, 1" as "0,1"
    part.erase(0, part.find_first_not_of(' '));
    part.erase(part.find_last_not_of(' ') + 1);
  }
  for (int i = 0; i < 2; ++i) {
    if (parts[i].empty()) continue;
    // from_chars reads decimal only (stod took "0x1" for 1) and throws nothing.
    double value = 0.0;
    const char* first = parts[i].data();
    const char* last = first + parts[i].size();
    if (*first == '+') ++first;
    auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || end != last || !std::isfinite(value)) {
      return bad(fmt::format("'{}' is not a number", parts[i]));
    }
    sides[i] = value;
  }
  if (sides[0] && sides[1] && !(*sides[0] < *sides[1])) return bad("the lower bound is not below the upper");
  return Bounds{sides[0], sides[1]};
}

Result<IndexSource> CurvesOfFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(auto records, ReadCurvesFile(path));
  CAIRN_TRY(CheckOneTask(records, path));
  IndexSource source;
  source.curves.reserve(records.size());
  for (auto& r : records) {
    if (!RanToItsEnd(r)) {
      ++source.cut_short;
      continue;
    }
    if (!source.lower_bound && !source.upper_bound) {
      source.lower_bound = r.lower_bound;
      source.upper_bound = r.upper_bound;
    }
    source.curves.push_back({std::move(r.id), std::move(r.values), r.direction, std::move(r.steps)});
  }
  return source;
}

// One curve per completed trial that reported the objective, as a replay
// reads it (StudyCurves: in step order, a step reported twice counts once
// with its last value, nothing past the study's max_steps), at its steps.
// The study file's objective bounds come along.
Result<IndexSource> CurvesOfStudy(Store& store, const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(StudyRecord study, store.GetStudy(name));
  CAIRN_ASSIGN_OR_RETURN(auto records, StudyCurves(store, name));
  IndexSource source;
  ObjectiveBounds bounds = ObjectiveBoundsOf(study.spec_json);
  source.lower_bound = bounds.lower;
  source.upper_bound = bounds.upper;
  for (auto& r : records) {
    if (!RanToItsEnd(r)) {
      source.cut_short += !r.values.empty();
      continue;
    }
    if (r.values.empty()) continue;
    source.curves.push_back({fmt::format("{}/trial {}", study.name, r.extra.value("trial", 0)), std::move(r.values),
                             r.direction, std::move(r.steps)});
  }
  return source;
}

// A path that exists is a curve file; otherwise the name of a study. A
// missing path that looks like a file is reported as a missing file.
Result<IndexSource> LoadCurves(const std::string& source, const Context& ctx) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(source, ec)) return CurvesOfFile(source);
  bool looks_like_file = source.find('/') != std::string::npos || source.ends_with(".jsonl") ||
                         source.ends_with(".gz") || source.ends_with(".json");
  // A folder named like a study (the study file's own folder, as
  // examples/digits) does not hide the study; without one, the file reader
  // says it is a folder.
  if (std::filesystem::is_directory(source, ec)) {
    if (looks_like_file) return CurvesOfFile(source);
    auto store = OpenCliStore(ctx);
    if (store.ok()) {
      auto curves = CurvesOfStudy(**store, source);
      if (curves.ok() || curves.status().code() != StatusCode::kNotFound) return curves;
    }
    return CurvesOfFile(source);
  }
  if (looks_like_file) return NotFound(fmt::format("{}: no such curve file", source));
  auto store = OpenCliStore(ctx);
  if (!store.ok()) {
    return store.status().WithContext(fmt::format("'{}' is neither a curve file nor a study", source));
  }
  auto curves = CurvesOfStudy(**store, source);
  if (!curves.ok() && curves.status().code() == StatusCode::kNotFound) {
    return NotFound(fmt::format("'{}' is neither a curve file nor a study in {}", source, (*store)->Url()));
  }
  return curves;
}

int RunIndex(const IndexArgs& args, const Context& ctx) {
  // A bad --bounds is refused before a large file is read.
  std::optional<Bounds> bounds;
  if (!args.bounds.empty()) {
    auto parsed = ParseBounds(args.bounds);
    if (!parsed.ok()) return Fail(parsed.status());
    bounds = *parsed;
  }
  auto source = LoadCurves(args.source, ctx);
  if (!source.ok()) return Fail(source.status());
  if (bounds) {
    source->lower_bound = bounds->lower;
    source->upper_bound = bounds->upper;
  }
  const std::vector<LabeledCurve>* curves = &source->curves;
  if (source->cut_short > 0) {
    std::cerr << fmt::format("cairn: left out {} curves cut short (stopped early or failed): their last value "
                             "is not a final one\n", source->cut_short);
  }
  if (curves->empty()) {
    return Fail(InvalidArgument(fmt::format("{}: no curves to index{}", args.source,
                                            source->cut_short ? " (none ran to its end)" : "")));
  }
  CurveIndexOptions options;
  options.max_curves = args.max_curves;
  options.fit.lower_bound = source->lower_bound;
  options.fit.upper_bound = source->upper_bound;
  size_t used = args.max_curves > 0 ? std::min<size_t>(curves->size(), args.max_curves) : curves->size();
  std::string range;  // "[0, 1]" when the metric's bounds are known
  if (source->lower_bound || source->upper_bound) {
    range = fmt::format("[{}, {}]", source->lower_bound ? fmt::format("{}", *source->lower_bound) : "-inf",
                        source->upper_bound ? fmt::format("{}", *source->upper_bound) : "inf");
  }
  if (!range.empty()) {
    // Bounds the data cross are wrong bounds (a percent metric given 0,1?):
    // every fit would be clamped to a range the curves leave.
    size_t outside = 0, values = 0;
    std::string first_outside;  // "curve ID, value V at step S"
    for (const auto& c : *curves) {
      for (size_t i = 0; i < c.values.size(); ++i) {
        const double v = c.values[i];
        if (!std::isfinite(v)) continue;
        ++values;
        const bool out = (source->lower_bound && v < *source->lower_bound) ||
                         (source->upper_bound && v > *source->upper_bound);
        if (out && first_outside.empty()) first_outside = fmt::format("curve {}, {} at step {}", c.id, v, i + 1);
        outside += out;
      }
    }
    if (outside > 0 && bounds) {
      // Bounds given here are a claim about this data; the data says otherwise.
      return Fail(InvalidArgument(fmt::format(
          "--bounds {}: {} of the {} values of {} lie outside (first: {}); expected the metric's range, "
          "such as 0,100 for a percentage", args.bounds, outside, values, args.source, first_outside)));
    }
    if (outside > 0) {
      std::cerr << fmt::format("cairn: warning: {} of the {} values lie outside the bounds {}; are they the "
                               "metric's range?\n", outside, values, range);
    }
  }
  std::cerr << fmt::format("cairn: fitting {} of {} curves at {} fractions{}...\n", used, curves->size(),
                           options.fractions.size(), range.empty() ? "" : " within " + range);
  auto start = std::chrono::steady_clock::now();
  auto report = BuildCurveIndex(*curves, options);
  if (!report.ok()) return Fail(report.status().WithContext(args.source));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << fmt::format("cairn: indexed {} curves in {:.1f} s\n", report->num_used, seconds);
  if (args.json) {
    nlohmann::json j = report->ToJson();
    j["cut_short"] = source->cut_short;
    auto side = [](const std::optional<double>& b) { return b ? nlohmann::json(*b) : nlohmann::json(); };
    j["bounds"] = {side(source->lower_bound), side(source->upper_bound)};
    PrintJson(j);
  } else {
    if (source->cut_short > 0) {
      std::cout << fmt::format("{} curves cut short (stopped early or failed) left out: no final value\n",
                               source->cut_short);
    }
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
      "per kind of curve (normal, never learns, late learner, diverges, noisy) which predictors work best,\n"
      "beside study_line: a line learned from the other curves, as the predictive pruner learns from a study.\n"
      "Curves cut short (a study's stopped or failed trials) are left out: they have no final value");
  index->add_option("source", args->source,
                    "a curve file (.jsonl or .jsonl.gz, see docs/replay.md) or the name of a study in the store")
      ->required();
  index->add_option("--max-curves", args->max_curves, "use at most N curves, evenly spaced (0 = all)")
      ->check(AtLeast(0));
  index->add_option("--bounds", args->bounds,
                    "the metric's possible range LO,HI (0,1 for accuracy, 0,100 in percent, 0, for a loss);\n"
                    "fits stay inside it. Default: a study's objective bounds or a file's \"bounds\", else none");
  index->add_flag("--json", args->json, "print the index as JSON");
  AddStoreOption(index, ctx);
  index->callback([args, &ctx] { ctx.exit_code = RunIndex(*args, ctx); });
}

const CommandRegistrar kCurvesRegistrar(60, "curves", RegisterCurves);

}  // namespace
}  // namespace cairn::cli
