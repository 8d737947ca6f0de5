// SqlConnection: the small surface both back ends (SQLite, PostgreSQL) offer
// to the one Store implementation (SqlStore) and to the migrations.
//
// Statements use PostgreSQL-style parameters $1..$n; the SQLite connection
// rewrites them to ?1..?n. Every statement text passed to Query is prepared
// once per connection and cached, so callers pass constant strings.
//
// Thread-safety: one thread at a time, like the Store that owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cairn/status.h"

namespace cairn::store {

enum class Dialect {
  kSqlite,    // sqlite3 C API, one file, WAL
  kPostgres,  // libpqxx, a server
};

// One bound parameter or one result cell. NULL is std::monostate.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;
using SqlRow = std::vector<SqlValue>;

// Cell readers; lenient about int/double (PostgreSQL and SQLite differ in
// how they type aggregate results).
bool IsNull(const SqlValue& v);
int64_t AsInt(const SqlValue& v);        // 0 for NULL or text
double AsDouble(const SqlValue& v);      // 0 for NULL or text
std::string AsText(const SqlValue& v);   // "" for NULL; numbers formatted

// Shortest text that parses back to exactly `v` ("NaN", "Infinity" and
// "-Infinity" for the special values, as PostgreSQL spells them).
std::string FormatDouble(double v);
// Parses what FormatDouble (or PostgreSQL's float8out) writes.
bool ParseDouble(std::string_view text, double* out);

// One metric point as stored: the key already interned.
struct MetricRow {
  int64_t trial_id = 0;
  int64_t key_id = 0;
  int64_t step = 0;
  double value = 0.0;  // NaN is written as SQL NULL (see docs/store.md)
  double time = 0.0;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual Dialect dialect() const = 0;
  // The database, for messages (a PostgreSQL password is never included).
  virtual const std::string& where() const = 0;

  // Runs one statement with parameters $1..$n and returns all its rows
  // (use RETURNING to learn what an INSERT/UPDATE touched). Unique-key
  // violations are kAlreadyExists, foreign-key violations kNotFound, a busy
  // database or lost server kUnavailable.
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql,
                                            std::span<const SqlValue> params = {}) = 0;
  // Runs schema statements (migrations); not cached, no parameters.
  virtual Status ExecDdl(std::string_view sql) = 0;
  virtual Result<bool> TableExists(std::string_view table) = 0;

  // A write transaction. REQUIRES: no transaction open for Begin().
  // SQLite begins IMMEDIATE so that waiting for another writer honours the
  // busy timeout instead of failing at the first write.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;  // a no-op when none is open
  virtual bool InTransaction() const = 0;
  // Serializes migrations between processes; call inside the transaction.
  virtual Status LockForMigration() = 0;

  // Writes `rows` into the metrics table as fast as the back end allows.
  // REQUIRES: inside a transaction.
  virtual Status InsertMetrics(std::span<const MetricRow> rows) = 0;

  // Store::SetWaitHook: called while a statement waits for a lock.
  virtual void SetWaitHook(std::function<void()> hook) { (void)hook; }
};

// Rolls back on scope exit unless Commit() succeeded. Inside a transaction
// already open (Store::Atomically) it is part of that one: Begin and Commit
// do nothing, and a failure reaches the outer one, which rolls back.
class Transaction {
 public:
  explicit Transaction(SqlConnection& db) : db_(db) {}
  ~Transaction() { if (open_) db_.Rollback(); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin() {
    if (db_.InTransaction()) return Status::Ok();  // nested: the outer one decides
    Status s = db_.Begin();
    open_ = s.ok();
    return s;
  }
  Status Commit() {
    if (!open_) return Status::Ok();
    Status s = db_.Commit();
    if (s.ok()) open_ = false;
    return s;
  }

 private:
  SqlConnection& db_;
  bool open_ = false;
};

}  // namespace cairn::store
