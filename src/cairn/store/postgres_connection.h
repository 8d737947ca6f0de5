// SqlConnection over libpqxx: a PostgreSQL server.
//
// Outside Begin()/Commit() every statement runs on its own (autocommit, like
// SQLite). Metrics are written with COPY (pqxx::stream_to), one per batch.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "cairn/store/sql_connection.h"

namespace cairn::store {

class PostgresConnection final : public SqlConnection {
 public:
  // `url` is a libpq connection URI ("postgresql://user@host:port/db?...").
  static Result<std::unique_ptr<PostgresConnection>> Open(const std::string& url);
  ~PostgresConnection() override;

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& where() const override { return where_; }
  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    std::span<const SqlValue> params = {}) override;
  Status ExecDdl(std::string_view sql) override;
  Result<bool> TableExists(std::string_view table) override;
  Status Begin() override;
  Status Commit() override;
  void Rollback() override;
  bool InTransaction() const override { return tx_ != nullptr; }
  Status LockForMigration() override;
  Status InsertMetrics(std::span<const MetricRow> rows) override;

 private:
  PostgresConnection(std::string url, std::string where) : url_(std::move(url)), where_(std::move(where)) {}
  // Connects again when the connection was lost (a restarted server, an
  // idle connection dropped by a firewall) and no transaction is open: the
  // statement that saw the loss failed (kUnavailable), the next one gets a
  // new connection. Prepared statements belong to a connection, so they are
  // prepared again.
  Status EnsureConnected();
  // The prepared statement's name for `sql`, preparing it on first use.
  std::string PreparedName(std::string_view sql);

  std::string url_;    // to connect again; holds the password, never printed
  std::string where_;  // URL with the password masked
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::work> tx_;  // the open transaction, if any
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
};

// "postgresql://user:secret@host/db?password=x" -> "postgresql://user:***@host/db?password=***".
std::string MaskPassword(const std::string& url);

}  // namespace cairn::store
