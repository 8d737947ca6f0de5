// StudyRecord and TrialRecord to and from SQL rows: the one place that knows
// the column order of the studies and trials tables (see docs/store.md).
#pragma once

#include <string_view>
#include <vector>

#include "cairn/trial.h"
#include "cairn/store/sql_connection.h"

namespace cairn::store {

// "SELECT <kStudyColumns> FROM studies ..." decodes with StudyFromRow.
inline constexpr std::string_view kStudyColumns =
    "id, name, objective, direction, spec_yaml, spec_json, created_at, ark, attrs";
Result<StudyRecord> StudyFromRow(const SqlRow& row);
// name, objective, direction, spec_yaml, spec_json, created_at, ark, attrs.
std::vector<SqlValue> StudyValues(const StudyRecord& study);

inline constexpr std::string_view kTrialColumns =
    "id, study_id, number, state, params, value, value_nan, steps, created_at, started_at, "
    "ended_at, end_reason, exit_code, signal, attrs, ark, owner, heartbeat_at";
Result<TrialRecord> TrialFromRow(const SqlRow& row);
// The mutable fields, in the order of kTrialColumns from `state` on:
// state, params, value, value_nan, steps, created_at, started_at, ended_at,
// end_reason, exit_code, signal, attrs, ark, owner, heartbeat_at.
std::vector<SqlValue> TrialValues(const TrialRecord& trial);

}  // namespace cairn::store
