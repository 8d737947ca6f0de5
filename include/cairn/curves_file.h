// Replay curve files: recorded learning curves, one configuration a line.
//
// The format (docs/replay.md, /work/shared/data/curves/README.md) is JSON
// Lines, plain (`.jsonl`) or gzip-compressed (`.jsonl.gz`):
//
//   {"id": "src/task/cfg1", "params": {"lr": 0.1}, "metric": "val_acc",
//    "mode": "max", "values": [0.1, null, 0.5], "seconds": [1.2, 1.1, 1.3]}
//
// `values[i]` is the metric after step i+1; null stands for NaN/inf.
// `seconds` is a per-step list, one number for every step, or null/absent
// when unknown. Cairn adds two optional fields: `"bounds": [lo, hi]` (the
// metric's possible range, either side null) and `"state"` (the trial's end:
// "completed", or "stopped"/"failed"/... for a curve cut short). Other
// fields are kept verbatim in CurveRecord::extra (state among them).
//
//   CAIRN_ASSIGN_OR_RETURN(auto curves, ReadCurvesFile("dev.jsonl.gz"));
//   CAIRN_TRY(WriteCurvesFile("out.jsonl", curves));
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/space.h"
#include "cairn/status.h"
#include "cairn/trial.h"

namespace cairn {

// One recorded training run.
struct CurveRecord {
  std::string id;                // "<source>/<task>/<config id>"
  Params params;                 // the configuration's hyperparameters
  std::string metric;            // name of the recorded metric
  Direction direction = Direction::kMaximize;  // from "mode": "max" | "min"
  std::vector<double> values;    // value at steps[i] (step i+1 without steps); NaN where null
  std::vector<double> seconds;   // seconds of each step; empty when unknown
  // The step of each value ("steps" in the file; a Cairn export of a program
  // that reports every 10th epoch has 10, 20, ...); empty: 1, 2, 3, ...
  std::vector<int64_t> steps;
  std::optional<double> lower_bound;  // "bounds": the metric's possible range
  std::optional<double> upper_bound;
  nlohmann::json extra = nlohmann::json::object();  // all other fields, verbatim
  int line = 0;                  // line in the file it was read from; 0 when not read from one
};

// A direction as a curve file's "mode": "max" or "min".
inline const char* CurveModeName(Direction d) { return d == Direction::kMaximize ? "max" : "min"; }

// The step of value i of `record` (i + 1 without recorded steps).
inline int64_t StepAt(const CurveRecord& record, size_t i) {
  return record.steps.empty() ? static_cast<int64_t>(i) + 1 : record.steps[i];
}
// How far a run of the record's first `reports` values went, in steps (0 for none).
inline int64_t StepsReached(const CurveRecord& record, size_t reports) {
  return reports == 0 ? 0 : StepAt(record, reports - 1);
}

// A file holds one task: InvalidArgument naming `file` and the first curve
// (and its line) whose metric or mode differs from the first one's, or when
// it is empty.
Status CheckOneTask(const std::vector<CurveRecord>& curves, const std::string& file);

// Whether the curve ran to its end: true unless its "state" says it was cut
// short (a trial stopped early, failed or interrupted). A cut curve's last
// value is not a final value, so it neither counts as a result nor as
// evidence of where curves end.
bool RanToItsEnd(const CurveRecord& record);

// SpaceOfParams of the curves' configurations.
SearchSpace SpaceOfCurves(const std::vector<CurveRecord>& curves);

// Reads a whole curve file (gzip or plain, detected by content). Blank lines
// are skipped. Errors are InvalidArgument "FILE:LINE: field 'F': ..." (with
// ":COLUMN" for malformed JSON; an id used twice for one metric is refused,
// since orders and lookups go by id), or IoError when the file cannot be read.
Result<std::vector<CurveRecord>> ReadCurvesFile(const std::filesystem::path& path);

// Parses one line of a curve file; `where` ("FILE:LINE") prefixes errors.
Result<CurveRecord> ParseCurveLine(const std::string& line, const std::string& where);

// The JSON object of one record, as written to a file: NaN/inf values become
// null, seconds are a list (or null when unknown), extra fields follow.
nlohmann::json CurveRecordToJson(const CurveRecord& record);

// Writes `records` one a line; gzip-compressed when the name ends in ".gz".
// Overwrites an existing file.
Status WriteCurvesFile(const std::filesystem::path& path,
                       const std::vector<CurveRecord>& records);

}  // namespace cairn
