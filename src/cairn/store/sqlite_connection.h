// SqlConnection over the sqlite3 C API: one database file in WAL mode.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "cairn/store/sql_connection.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cairn::store {

struct SqliteOptions {
  // How long a write waits for another process's write lock before
  // kUnavailable. Several coordinators and `cairn` commands share one file.
  int busy_timeout_ms = 10000;
  // PRAGMA synchronous. FULL fsyncs the WAL at every commit, so a committed
  // trial state survives power loss; see docs/store.md for the measurement.
  std::string synchronous = "FULL";
  // Page size for a new database (ignored for an existing one). Larger pages
  // mean fewer b-tree splits when metrics stream in.
  int page_size = 8192;
  // Page cache per connection in KiB.
  int cache_kib = 32768;
};

class SqliteConnection final : public SqlConnection {
 public:
  // Opens (creating when missing) the database file at `path`; its folder
  // must exist.
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path,
                                                        const SqliteOptions& options = {});
  ~SqliteConnection() override;

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& where() const override { return path_; }
  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    std::span<const SqlValue> params = {}) override;
  Status ExecDdl(std::string_view sql) override;
  Result<bool> TableExists(std::string_view table) override;
  Status Begin() override;
  Status Commit() override;
  void Rollback() override;
  bool InTransaction() const override;
  Status LockForMigration() override { return Status::Ok(); }  // BEGIN IMMEDIATE holds it
  Status InsertMetrics(std::span<const MetricRow> rows) override;
  void SetWaitHook(std::function<void()> hook) override { wait_hook_ = std::move(hook); }

 private:
  // SQLite's busy handler: waits up to busy_timeout_ms for another
  // connection's lock, as sqlite3_busy_timeout would, calling the wait hook
  // about twice a second meanwhile.
  static int OnBusy(void* self, int count);
  explicit SqliteConnection(std::string path) : path_(std::move(path)) {}
  Status Configure(const SqliteOptions& options);
  Result<sqlite3_stmt*> Prepare(std::string_view sql);
  Status Bind(sqlite3_stmt* stmt, std::span<const SqlValue> params);
  Status ExecSimple(const char* sql);
  // A Status for the connection's last error, naming `what`.
  Status Error(int rc, std::string_view what) const;

  std::string path_;
  sqlite3* db_ = nullptr;
  int busy_timeout_ms_ = 10000;
  std::function<void()> wait_hook_;
  std::chrono::steady_clock::time_point busy_since_, hooked_at_;
  // Prepared statements by their text ($N already rewritten to ?N).
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace cairn::store
