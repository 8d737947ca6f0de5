// Parsing JSON text given by a person (a curve file's line, an option on
// the command line) with errors a person can act on:
//
//   CAIRN_ASSIGN_OR_RETURN(auto j, ParseJsonText(text, "--pruner-options"));
//   // InvalidArgument "--pruner-options:12: invalid JSON: syntax error while
//   //   parsing object key - unexpected '}'; expected string literal"
//   // or "--pruner-options: invalid JSON: number overflow parsing '1e400'"
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cairn/status.h"

namespace cairn {

// `where` names the text ("FILE:LINE", a FILE, or an option such as
// "--pruner-options"); a syntax error adds the column (line:column when the
// text has several lines; "--x, column 43" and "--x, line 2, column 19" for
// an option, whose bare number would read as a line), and the library's
// prefixes are dropped.
// Never throws.
Result<nlohmann::json> ParseJsonText(std::string_view text, const std::string& where);

// A metric value in a JSON summary: the number, or "inf", "-inf" or "nan"
// (JSON has no such numbers, and null would read as "no value", hiding a
// loss that diverged).
nlohmann::json MetricValueJson(double value);
// The same, null when there is no value.
nlohmann::json MetricValueJson(const std::optional<double>& value);
// What MetricValueJson wrote; nullopt for null or anything else.
std::optional<double> MetricValueFromJson(const nlohmann::json& j);

// Writes `j` (and a newline) to `path` through a temporary file renamed
// over it, so a reader sees the whole old file or the whole new one, never
// half; invalid UTF-8 in strings is replaced, not thrown. The records Cairn
// keeps beside a trial (exit, stop, Slurm job) and its fingerprint cache.
Status WriteJsonFileAtomically(const std::filesystem::path& path, const nlohmann::json& j);

}  // namespace cairn
