// ExportStudy: one bundle, then the chosen format; and the replay curves.
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>

#include <fmt/format.h>

#include "cairn/commons/bundle_codec.h"
#include "cairn/commons/export_common.h"
#include "cairn/commons/redact_bundle.h"
#include "cairn/export.h"
#include "cairn/spec.h"

namespace cairn {
namespace {

using nlohmann::json;
using namespace commons;

Status WriteText(const std::filesystem::path& path, const std::string& text) {
  if (path == "-") {  // standard output, for a pipe
    std::cout << text << std::flush;
    return std::cout ? Status::Ok() : IoError("cannot write to standard output");
  }
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return IoError("cannot write " + path.string());
  return Status::Ok();
}

std::vector<CurveRecord> Curves(const json& bundle) {
  const json& study = bundle["study"];
  std::string objective = study.value("objective", "");
  const ObjectiveBounds bounds = ObjectiveBoundsOf(study.value("spec_json", json::object()));
  // Reports past the budget are points, not the trial's value (as live).
  const std::optional<int64_t> max_steps = MaxStepsOf(study.value("spec_json", json::object()));
  std::vector<CurveRecord> out;
  for (const auto& t : bundle.value("trials", json::array())) {
    int number = t.value("number", 0);
    auto series = TrialSeries(bundle, number);
    CurveRecord r;
    r.id = fmt::format("cairn/{}/{}", study.value("name", ""), number);
    auto params = ParamsFromJson(t.value("params", json::object()));
    if (params.ok()) r.params = std::move(*params);
    r.metric = objective;
    r.direction = StudyDirection(bundle);
    r.lower_bound = bounds.lower;
    r.upper_bound = bounds.upper;
    // One value per distinct step, in step order (the last report of a step wins).
    std::vector<SeriesPoint> points;
    // Reports after a stop or past the budget are points, not the curve.
    const std::optional<int64_t> last = LastCountedStep(t.value("attrs", json::object()), max_steps);
    for (const auto& p : series[objective]) {
      if (last && p.step > *last) break;
      if (!points.empty() && points.back().step == p.step) points.back() = p;
      else points.push_back(p);
    }
    std::optional<double> previous = FiniteNumber(t.value("started_at", json()));
    bool timed = previous.has_value();
    for (const auto& p : points) {
      r.values.push_back(p.value);
      if (timed) r.seconds.push_back(std::max(0.0, p.time - *previous));
      previous = p.time;
    }
    if (r.values.empty()) continue;  // no curve: it never reported the objective
    if (!timed) r.seconds.clear();
    r.extra = {{"state", t.value("state", "")}};
    for (const auto& p : points) r.steps.push_back(p.step);
    if (!t.value("ark", "").empty()) r.extra["ark"] = t["ark"];
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string_view ExportFormatName(ExportFormat format) {
  switch (format) {
    case ExportFormat::kJson: return "json";
    case ExportFormat::kRoCrate: return "ro-crate";
    case ExportFormat::kProv: return "prov";
    case ExportFormat::kModelCard: return "model-card";
    case ExportFormat::kCurves: return "curves";
  }
  return "json";
}

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  for (auto f : {ExportFormat::kJson, ExportFormat::kRoCrate, ExportFormat::kProv, ExportFormat::kModelCard,
                 ExportFormat::kCurves}) {
    if (ExportFormatName(f) == name) return f;
  }
  return std::nullopt;
}

Result<std::vector<CurveRecord>> BuildCurves(const json& bundle) {
  CAIRN_TRY(ValidateBundle(bundle));
  return GuardJson("curves", [&]() -> Result<std::vector<CurveRecord>> { return Curves(bundle); });
}

Status ExportStudy(Store& store, const std::string& study, const ExportOptions& options) {
  if (options.output.empty()) return InvalidArgument("export needs an output path (-o PATH, or -o - for stdout)");
  if (options.output == "-" && options.format == ExportFormat::kRoCrate) {
    return InvalidArgument("-o -: an RO-Crate is a folder; standard output takes json, prov, model-card or curves");
  }
  CAIRN_ASSIGN_OR_RETURN(json bundle, ExportBundle(store, study));
  // What leaves the store is meant to be shared: no secrets in any format.
  CAIRN_TRY(commons::RedactBundleSecrets(bundle).WithContext("export of study '" + study + "'"));
  if (!options.license.empty()) bundle["study"]["attrs"]["license"] = options.license;
  switch (options.format) {
    case ExportFormat::kJson:
      return WriteText(options.output, bundle.dump(2) + "\n");
    case ExportFormat::kRoCrate:
      return WriteRoCrate(bundle, options.output);
    case ExportFormat::kProv: {
      CAIRN_ASSIGN_OR_RETURN(json prov, BuildProv(bundle));
      return WriteText(options.output, prov.dump(2) + "\n");
    }
    case ExportFormat::kModelCard: {
      int number = 0;
      if (options.trial) {
        number = *options.trial;
      } else {
        CAIRN_ASSIGN_OR_RETURN(number, BestTrialNumber(bundle));
      }
      CAIRN_ASSIGN_OR_RETURN(std::string card, BuildModelCard(bundle, number));
      return WriteText(options.output, card);
    }
    case ExportFormat::kCurves: {
      CAIRN_ASSIGN_OR_RETURN(auto curves, BuildCurves(bundle));
      if (options.output == "-") {
        std::string text;
        for (const auto& c : curves) text += CurveRecordToJson(c).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
        return WriteText(options.output, text);
      }
      return WriteCurvesFile(options.output, curves);
    }
  }
  return Internal("unknown export format");
}

}  // namespace cairn
