#include "cairn/store/sqlite_connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

namespace cairn::store {

namespace {

// $1..$n (PostgreSQL) to ?1..?n (SQLite numbered parameters). Our SQL never
// has '$' then a digit inside string literals (JSON paths are '$.key').
std::string RewriteParams(std::string_view sql) {
  std::string out(sql);
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && std::isdigit(static_cast<unsigned char>(out[i + 1]))) out[i] = '?';
  }
  return out;
}

StatusCode CodeFor(int extended) {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return StatusCode::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return StatusCode::kNotFound;
  }
  switch (extended & 0xff) {
    case SQLITE_CONSTRAINT: return StatusCode::kInvalidArgument;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return StatusCode::kUnavailable;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT: return StatusCode::kIoError;
    case SQLITE_NOTADB: return StatusCode::kFailedPrecondition;
  }
  return StatusCode::kInternal;
}

constexpr size_t kRowsPerInsert = 256;

// "INSERT INTO metrics (...) VALUES ($1, ..., $5), ..." for `rows` rows.
std::string MetricInsertSql(size_t rows) {
  std::string sql = "INSERT INTO metrics (trial_id, key_id, step, value, time) VALUES ";
  for (size_t i = 0; i < rows; ++i) {
    size_t b = i * 5;
    sql += (i ? ", (" : "(");
    for (size_t c = 1; c <= 5; ++c) sql += "$" + std::to_string(b + c) + (c < 5 ? ", " : ")");
  }
  return sql;
}

SqlValue ReadColumn(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT: return sqlite3_column_double(stmt, i);
    case SQLITE_NULL: return std::monostate{};
    default: {
      auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
    }
  }
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                  const SqliteOptions& options) {
  std::filesystem::path p(path);
  std::error_code ec;
  if (path != ":memory:" && p.has_parent_path() && !std::filesystem::is_directory(p.parent_path(), ec)) {
    return NotFound("store " + path + ": folder " + p.parent_path().string() + " does not exist");
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(path));
  // NOMUTEX: a Store is used from one thread at a time.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &conn->db_, flags, nullptr);
  if (rc != SQLITE_OK) return conn->Error(rc, "open");
  sqlite3_extended_result_codes(conn->db_, 1);
  CAIRN_TRY(conn->Configure(options));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

int SqliteConnection::OnBusy(void* self, int count) {
  auto* conn = static_cast<SqliteConnection*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) conn->busy_since_ = conn->hooked_at_ = now;
  const auto waited = now - conn->busy_since_;
  if (waited >= std::chrono::milliseconds(conn->busy_timeout_ms_)) return 0;  // SQLITE_BUSY
  if (conn->wait_hook_ && now - conn->hooked_at_ >= std::chrono::milliseconds(500)) {
    conn->hooked_at_ = now;
    conn->wait_hook_();
  }
  // Short pauses first (a lock is usually held for milliseconds), then 50 ms.
  const auto pause = std::chrono::milliseconds(count < 10 ? 1 << std::min(count, 5) : 50);
  std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
      pause, std::chrono::milliseconds(conn->busy_timeout_ms_) - waited));
  return 1;
}

Status SqliteConnection::Configure(const SqliteOptions& o) {
  busy_timeout_ms_ = o.busy_timeout_ms;
  sqlite3_busy_handler(db_, &SqliteConnection::OnBusy, this);
  // page_size only takes effect before the first table exists.
  std::string pragmas = "PRAGMA page_size=" + std::to_string(o.page_size) +
                        "; PRAGMA journal_mode=WAL; PRAGMA synchronous=" + o.synchronous +
                        "; PRAGMA cache_size=-" + std::to_string(o.cache_kib) +
                        "; PRAGMA foreign_keys=ON";
  // Two processes opening a new database at once can both hold a read lock
  // while each asks for the write lock that journal_mode=WAL needs; SQLite
  // then answers SQLITE_BUSY at once instead of calling the busy handler
  // (waiting could deadlock). The pragmas are idempotent: retry them until the
  // busy timeout, as the handler would have waited.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.busy_timeout_ms);
  for (auto pause = std::chrono::milliseconds(2);; pause = std::min(pause * 2, std::chrono::milliseconds(100))) {
    Status st = ExecSimple(pragmas.c_str());
    if (st.ok() || st.code() != StatusCode::kUnavailable ||
        std::chrono::steady_clock::now() + pause > deadline) {
      return st;
    }
    std::this_thread::sleep_for(pause);
  }
}

Status SqliteConnection::Error(int rc, std::string_view what) const {
  int extended = db_ ? sqlite3_extended_errcode(db_) : rc;
  if ((extended & 0xff) != (rc & 0xff)) extended = rc;
  std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Status(CodeFor(extended), "store " + path_ + ": " + std::string(what) + ": " + msg);
}

Status SqliteConnection::ExecSimple(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  int extended = sqlite3_extended_errcode(db_);
  if ((extended & 0xff) != (rc & 0xff)) extended = rc;
  return Status(CodeFor(extended),
                "store " + path_ + ": " + std::string(sql).substr(0, 60) + ": " + msg);
}

Result<sqlite3_stmt*> SqliteConnection::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  std::string text = RewriteParams(sql);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare '" + text.substr(0, 60) + "'");
  cache_.emplace(std::move(key), stmt);
  return stmt;
}

Status SqliteConnection::Bind(sqlite3_stmt* stmt, std::span<const SqlValue> params) {
  for (size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i) + 1;
    const SqlValue& v = params[i];
    int rc = SQLITE_OK;
    if (auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, idx, *n);
    } else if (auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, idx, *d);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text(stmt, idx, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(stmt, idx);
    }
    if (rc != SQLITE_OK) return Error(rc, "bind parameter " + std::to_string(idx));
  }
  return Status::Ok();
}

Result<std::vector<SqlRow>> SqliteConnection::Query(std::string_view sql,
                                                    std::span<const SqlValue> params) {
  CAIRN_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, Prepare(sql));
  Status bound = Bind(stmt, params);
  std::vector<SqlRow> rows;
  int rc = SQLITE_DONE;
  if (bound.ok()) {
    int ncol = sqlite3_column_count(stmt);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      SqlRow row;
      row.reserve(static_cast<size_t>(ncol));
      for (int i = 0; i < ncol; ++i) row.push_back(ReadColumn(stmt, i));
      rows.push_back(std::move(row));
    }
  }
  Status s = bound.ok() && rc != SQLITE_DONE ? Error(rc, std::string(sql.substr(0, 60))) : bound;
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (!s.ok()) return s;
  return rows;
}

Status SqliteConnection::ExecDdl(std::string_view sql) { return ExecSimple(std::string(sql).c_str()); }

Result<bool> SqliteConnection::TableExists(std::string_view table) {
  SqlValue name[] = {std::string(table)};
  CAIRN_ASSIGN_OR_RETURN(
      auto rows, Query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", name));
  return !rows.empty();
}

Status SqliteConnection::Begin() { return ExecSimple("BEGIN IMMEDIATE"); }
Status SqliteConnection::Commit() { return ExecSimple("COMMIT"); }
bool SqliteConnection::InTransaction() const { return !sqlite3_get_autocommit(db_); }

void SqliteConnection::Rollback() {
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status SqliteConnection::InsertMetrics(std::span<const MetricRow> rows) {
  // Many rows per statement: one sqlite3_step per kRowsPerInsert points
  // instead of one per point. The tail goes through the one-row statement.
  static const std::string kMulti = MetricInsertSql(kRowsPerInsert);
  static const std::string kSingle = MetricInsertSql(1);
  CAIRN_ASSIGN_OR_RETURN(sqlite3_stmt* multi, Prepare(kMulti));
  CAIRN_ASSIGN_OR_RETURN(sqlite3_stmt* single, Prepare(kSingle));
  while (!rows.empty()) {
    size_t n = rows.size() >= kRowsPerInsert ? kRowsPerInsert : 1;
    sqlite3_stmt* stmt = n == 1 ? single : multi;
    for (size_t i = 0; i < n; ++i) {
      const MetricRow& r = rows[i];
      int base = static_cast<int>(i) * 5;
      sqlite3_bind_int64(stmt, base + 1, r.trial_id);
      sqlite3_bind_int64(stmt, base + 2, r.key_id);
      sqlite3_bind_int64(stmt, base + 3, r.step);
      // SQLite would turn a bound NaN into NULL anyway; say so explicitly.
      if (std::isnan(r.value)) {
        sqlite3_bind_null(stmt, base + 4);
      } else {
        sqlite3_bind_double(stmt, base + 4, r.value);
      }
      sqlite3_bind_double(stmt, base + 5, r.time);
    }
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
      Status s = Error(rc, "insert metrics for trial " + std::to_string(rows[0].trial_id));
      sqlite3_reset(stmt);
      return s;
    }
    sqlite3_reset(stmt);
    rows = rows.subspan(n);
  }
  return Status::Ok();
}

}  // namespace cairn::store
