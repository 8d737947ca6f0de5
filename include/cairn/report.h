// Read-side views of a store for people and scripts: the listings behind
// `cairn ls`, `cairn status` and `cairn show`, as JSON (the --json output)
// and as plain text.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cairn/status.h"
#include "cairn/store.h"

namespace cairn {

// [{"name", "objective", "direction", "created_at", "trials", "states": {state: count},
//   "best": {"number", "value"} | null}]
Result<nlohmann::json> ListStudiesJson(Store& store);

// {"study": NAME, "objective", "direction",
//  "trials": [{"number", "state", "params", "value" (final reported, or null), "steps"}]}
Result<nlohmann::json> StudyStatusJson(Store& store, const std::string& study);

// Everything known about one trial: the record, its end, the scheduler's
// decision, and per metric {"steps", "last", "best", "min", "max"}.
Result<nlohmann::json> TrialDetailsJson(Store& store, const std::string& study, int number);

// Plain-text renderings of the three JSON forms above.
std::string RenderStudyList(const nlohmann::json& studies);
std::string RenderStudyStatus(const nlohmann::json& status);
std::string RenderTrialDetails(const nlohmann::json& details);

}  // namespace cairn
