// MetricParser: turns one line of a trial's output into a metrics report.
//
// The trial protocol (docs/trial-protocol.md) lets unmodified programs report
// by printing lines. A line is tried, in order, as:
//   1. a JSON object:  {"epoch": 3, "val_acc": 0.91, "loss": "nan"}
//      numeric fields (and the strings "nan", "inf", "-inf") are metrics;
//      other fields are ignored. The bare NaN, Infinity and -Infinity that
//      Python's json.dumps writes for non-finite floats are read as those
//      values: they are not JSON, but a trial that prints them reported
//      NaN and must be recorded as such. Keys that are empty, longer than
//      256 bytes or hold control characters are ignored (no store can name
//      a metric so, and one line of output must not end a study).
//   2. key=value pairs separated by whitespace, ',' or ';':
//      epoch=3 val_acc=0.91 loss=0.3
//      keys match [A-Za-z_][A-Za-z0-9_./-]*; values are numbers (1e-3, nan,
//      inf, -inf); tokens that are not such pairs are ignored.
//   3. each RE2 pattern with named groups, first match wins; groups whose
//      text is a number become metrics:
//      \| end of epoch (?P<epoch>\d+) .*\| valid loss (?P<valid_loss>\S+)
// The step key's value (e.g. "epoch") becomes the step and is not a metric;
// it must be an integer-valued number, else the line is not a report. A line
// without any metric is not a report (it only goes to the log).
//
// Garbage never crashes it: binary bytes, invalid UTF-8 and lines longer
// than kMaxLineBytes simply yield nullopt. Patterns are RE2, so matching is
// linear time in the line length.
//
// Thread-safety: Parse is const and safe to call from several threads.
//
//   CAIRN_ASSIGN_OR_RETURN(MetricParser parser, MetricParser::Create("epoch", {}));
//   if (auto r = parser.Parse("epoch=3 loss=0.3")) use(r->step, r->metrics);
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"

namespace re2 {
class RE2;
}

namespace cairn {

// What one report line said.
struct ParsedReport {
  std::optional<int64_t> step;            // the step key's value; nullopt if absent
  std::map<std::string, double> metrics;  // never empty; may hold NaN/inf
};

class MetricParser {
 public:
  // Lines longer than this are never reports.
  static constexpr size_t kMaxLineBytes = size_t{1} << 20;

  // `step_key`: the field that holds the step ("epoch", "step"); empty means
  // reports carry no step. `patterns`: RE2 patterns with named groups.
  // Returns InvalidArgument naming the first pattern that does not compile
  // or has no named group.
  static Result<MetricParser> Create(std::string step_key,
                                     const std::vector<std::string>& patterns);

  // The report on `line` (without its newline; a trailing '\r' is ignored),
  // or nullopt when the line is not a report.
  std::optional<ParsedReport> Parse(std::string_view line) const;

  const std::string& step_key() const { return step_key_; }

 private:
  MetricParser() = default;

  // True when `line` is a JSON object; then *out is its report, if any.
  bool ParseJson(std::string_view line, std::optional<ParsedReport>* out) const;
  std::optional<ParsedReport> ParseKeyValues(std::string_view line) const;
  std::optional<ParsedReport> ParsePatterns(std::string_view line) const;
  // Files `value` under `name`: the step when name is the step key (false
  // if it is not an integer), else a metric.
  bool Add(const std::string& name, double value, ParsedReport* report) const;

  std::string step_key_;
  std::vector<std::shared_ptr<const re2::RE2>> patterns_;  // shared: RE2 is immutable
};

// Parses a whole token as a number: decimal or exponent forms, an optional
// sign, and nan / inf / infinity in any case. nullopt for anything else.
std::optional<double> ParseMetricNumber(std::string_view text);

}  // namespace cairn
