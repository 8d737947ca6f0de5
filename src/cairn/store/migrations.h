// Versioned schema migrations, shared by the SQLite and PostgreSQL back ends.
//
// The schema's history is an ordered list of migrations; each has a version
// (1, 2, ...) and SQL steps written once for both dialects, with a few tokens
// ({ID}, {REAL}) expanded per dialect. schema_version records every version
// applied. Opening a database applies the missing migrations in one
// transaction; a database newer than kSchemaVersion is refused. The format is
// described in docs/store.md: change both together, and only ever append.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/store/sql_connection.h"

namespace cairn::store {

// The schema version this build writes. Every older version (0 = an empty
// database) can be migrated from.
inline constexpr int kSchemaVersion = 4;

struct Migration {
  int version = 0;
  std::string_view description;
  std::vector<std::string_view> steps;  // SQL with dialect tokens
};

// All migrations, oldest first.
const std::vector<Migration>& Migrations();

// `sql` with {ID} and {REAL} replaced for `dialect`.
std::string ExpandSql(std::string_view sql, Dialect dialect);

// The version recorded in the database (0 when it has no schema_version).
Result<int> SchemaVersion(SqlConnection& db);

// Brings the database to kSchemaVersion. kFailedPrecondition when its
// version is newer than this build understands.
Status Migrate(SqlConnection& db);

}  // namespace cairn::store
