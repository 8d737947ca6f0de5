// Sharing studies: Cairn's lossless bundle (export and import) and the
// community formats built from it (RO-Crate, W3C PROV-JSON, a model card,
// replay curves). docs/export.md describes every format.
//
//   CAIRN_ASSIGN_OR_RETURN(nlohmann::json bundle, ExportBundle(store, "digits"));
//   CAIRN_TRY(ImportBundle(other_store, bundle, {.rename_to = "digits-copy"}));
//   CAIRN_TRY(ExportStudy(store, "digits", {.format = ExportFormat::kRoCrate, .output = "crate"}));
//
// Every format is a pure function of the bundle, so a study imported from a
// bundle exports to the same crate, provenance and card as the original.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/curves_file.h"
#include "cairn/status.h"
#include "cairn/store.h"

namespace cairn {

// The bundle layout version written by ExportBundle.
inline constexpr int kBundleVersion = 1;

// {"format": "cairn-bundle", "version": 1,
//  "study": {name, objective, direction, spec_yaml, spec_json, created_at, ark, attrs},
//  "trials": [{number, state, params, value, steps, created_at, started_at, ended_at,
//              end_reason, exit_code, signal, attrs, ark, owner, heartbeat_at}],
//  "metrics": {"<trial number>": [[key, step, value, time], ...]},
//  "blobs": {hash: {kind, body}}, "missing_blobs": [hash...] (only when some are)}
// Store ids are left out (they belong to one store); non-finite numbers are
// the strings "nan", "inf", "-inf". Every blob referenced from the study's or
// the trials' recorded context is included. NotFound when the study is not there.
Result<nlohmann::json> ExportBundle(Store& store, const std::string& study);

struct ImportOptions {
  // Import under this name instead of the bundle's (ARKs and numbers are
  // kept either way); empty: the bundle's name.
  std::string rename_to;
};

// Loads a bundle into `store` with new store ids; everything else is kept.
// The whole bundle is decoded and checked (format, version, fields, blob
// hashes) before anything is written. kAlreadyExists when the study name is
// taken; InvalidArgument naming the field when the bundle is malformed.
Status ImportBundle(Store& store, const nlohmann::json& bundle, const ImportOptions& options = {});

// Reads a bundle file (JSON); IoError/InvalidArgument naming the file.
Result<nlohmann::json> ReadBundleFile(const std::filesystem::path& path);

enum class ExportFormat {
  kJson,       // the bundle itself, one JSON file
  kRoCrate,    // a folder: ro-crate-metadata.json + metrics CSVs (Process Run Crate 0.5)
  kProv,       // W3C PROV-JSON, one file
  kModelCard,  // a Hugging Face style README.md for one trial
  kCurves,     // replay curves (JSON Lines; gzip when the name ends in .gz)
};
std::string_view ExportFormatName(ExportFormat format);
// "json" | "ro-crate" | "prov" | "model-card" | "curves"; nullopt otherwise.
std::optional<ExportFormat> ParseExportFormat(std::string_view name);

struct ExportOptions {
  ExportFormat format = ExportFormat::kJson;
  // The file (json, prov, model-card, curves) or folder (ro-crate) to write.
  std::filesystem::path output;
  // model-card: the trial to describe; default the best completed trial.
  std::optional<int> trial;
  // ro-crate: the license of what is shared (an SPDX id or URL); overrides
  // the study's attrs.license. Empty and none recorded: "not stated".
  std::string license;
};

// Exports `study` from `store` in `options.format` to `options.output`.
Status ExportStudy(Store& store, const std::string& study, const ExportOptions& options);

// ---- Formats built from a bundle (what ExportStudy writes) -----------------

// RO-Crate 1.1 metadata following the Process Run Crate profile 0.5: the root
// Dataset, the metadata descriptor, the training program (SoftwareApplication),
// one CreateAction per trial with its datasets, artifacts and metrics file.
// Metrics files are named "trials/<number>/metrics.csv" (see RoCrateMetricsCsv).
Result<nlohmann::json> BuildRoCrate(const nlohmann::json& bundle);
// "step,key,value\n" then one row per recorded point of trial `number`.
std::string RoCrateMetricsCsv(const nlohmann::json& bundle, int number);
// Writes the crate folder: ro-crate-metadata.json and the metrics files.
Status WriteRoCrate(const nlohmann::json& bundle, const std::filesystem::path& folder);

// W3C PROV-JSON: datasets, artifacts, the study file and trial parameters as
// entities; trials as activities; Cairn, the host and the training program as
// agents; used / wasGeneratedBy / wasAssociatedWith / wasInformedBy relations.
Result<nlohmann::json> BuildProv(const nlohmann::json& bundle);

// The trial a model card describes by default: the best completed trial
// with a finite value (by the study's direction); NotFound when none.
Result<int> BestTrialNumber(const nlohmann::json& bundle);
// A Hugging Face style README.md: YAML front matter (model-index, tags,
// library_name, datasets) then model details, environment, procedure,
// results and how to reproduce. NotFound when the trial is not in the bundle.
Result<std::string> BuildModelCard(const nlohmann::json& bundle, int number);

// The study's trials as replay curves: objective values by step (step i+1 at
// index i; gaps are NaN) and seconds per step from the metric times.
Result<std::vector<CurveRecord>> BuildCurves(const nlohmann::json& bundle);

}  // namespace cairn
