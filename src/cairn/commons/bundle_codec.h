// Records <-> bundle JSON: the lossless encoding shared by export and import.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/status.h"
#include "cairn/trial.h"

namespace cairn::commons {

// A finite double as a JSON number; NaN/inf as "nan", "inf", "-inf".
nlohmann::json EncodeDouble(double v);
// The reverse; InvalidArgument naming `field` for anything else.
Result<double> DecodeDouble(const nlohmann::json& j, const std::string& field);

// Without the store id (it belongs to one store).
nlohmann::json StudyToBundle(const StudyRecord& study);
Result<StudyRecord> StudyFromBundle(const nlohmann::json& j);

// Without the store ids (trial id and study id).
nlohmann::json TrialToBundle(const TrialRecord& trial);
Result<TrialRecord> TrialFromBundle(const nlohmann::json& j);

// [[key, step, value, time], ...] in a total order (key, step, time, value),
// so that equal metric sets encode to equal bytes.
nlohmann::json MetricsToBundle(std::vector<MetricPoint> points);
// trial_id of each point is left 0 for the caller to fill in.
Result<std::vector<MetricPoint>> MetricsFromBundle(const nlohmann::json& j, const std::string& where);

// The blob references in a recorded context: {hash: kind} for the fields
// "host" (host), "software" (software_env) and "diff_blob" (git_diff) found
// anywhere in `j` whose value is a 64-digit hex string.
void CollectBlobRefs(const nlohmann::json& j, std::map<std::string, std::string>* refs);

// The study's captured context: attrs["context"], else spec_json["context"]
// (record format 1 kept it there); null when neither holds one.
nlohmann::json StudyContext(const nlohmann::json& bundle_study);

// Ok when `bundle` decodes as ImportBundle would (format, version, every
// study and trial field, metrics rows, blob hashes); the format builders
// call it first, so they may rely on every record field being present.
Status ValidateBundle(const nlohmann::json& bundle);

// Runs `build`, turning a JSON library exception (a field of an unexpected
// type deep in recorded attrs) into InvalidArgument naming `what`.
template <typename F>
auto GuardJson(const std::string& what, F&& build) -> decltype(build()) {
  try {
    return build();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(what + ": unexpected bundle content: " + e.what());
  }
}

// "YYYY-MM-DDTHH:MM:SS(.mmm)Z" for seconds since the Unix epoch.
std::string IsoTime(double unix_seconds);

}  // namespace cairn::commons
