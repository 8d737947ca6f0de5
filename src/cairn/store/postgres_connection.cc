#include "cairn/store/postgres_connection.h"

#include <cmath>
#include <tuple>

#include <pqxx/pqxx>

namespace cairn::store {

namespace {

// Built-in type oids (pg_type.h), to type result cells.
constexpr unsigned kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23;
constexpr unsigned kFloat4Oid = 700, kFloat8Oid = 701;

// Any key serializes migrations; this one spells "cairn".
constexpr int64_t kMigrationLockKey = 0x636169726e;

// Maps what libpqxx throws to a Status; exceptions stop here.
template <typename Fn>
Status Guard(const std::string& where, std::string_view what, Fn&& fn) {
  auto msg = [&](const std::exception& e) {
    return "store " + where + ": " + std::string(what) + ": " + e.what();
  };
  try {
    fn();
    return Status::Ok();
  } catch (const pqxx::unique_violation& e) {
    return AlreadyExists(msg(e));
  } catch (const pqxx::foreign_key_violation& e) {
    return NotFound(msg(e));
  } catch (const pqxx::integrity_constraint_violation& e) {
    return InvalidArgument(msg(e));
  } catch (const pqxx::broken_connection& e) {
    return Unavailable(msg(e));
  } catch (const pqxx::sql_error& e) {
    // 40001 serialization failure, 40P01 deadlock, 55P03 lock timeout: retry.
    std::string state = e.sqlstate();
    if (state == "40001" || state == "40P01" || state == "55P03") return Unavailable(msg(e));
    return Internal(msg(e));
  } catch (const std::exception& e) {
    return Internal(msg(e));
  }
}

SqlValue ReadField(const pqxx::field& f) {
  if (f.is_null()) return std::monostate{};
  std::string_view text(f.c_str(), f.size());
  switch (static_cast<unsigned>(f.type())) {
    case kBoolOid: return int64_t{text == "t"};
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: return static_cast<int64_t>(std::stoll(std::string(text)));
    case kFloat4Oid:
    case kFloat8Oid: {
      double d = 0;
      if (ParseDouble(text, &d)) return d;
      return std::string(text);
    }
  }
  return std::string(text);
}

std::vector<SqlRow> ReadRows(const pqxx::result& r) {
  std::vector<SqlRow> rows;
  rows.reserve(r.size());
  for (const auto& row : r) {
    SqlRow out;
    out.reserve(row.size());
    for (const auto& f : row) out.push_back(ReadField(f));
    rows.push_back(std::move(out));
  }
  return rows;
}

// Parameters as libpq text; nullptr is SQL NULL.
struct TextParams {
  std::vector<std::string> storage;
  std::vector<const char*> pointers;

  explicit TextParams(std::span<const SqlValue> params) {
    storage.reserve(params.size());
    for (const SqlValue& v : params) storage.push_back(AsText(v));
    for (size_t i = 0; i < params.size(); ++i) {
      pointers.push_back(IsNull(params[i]) ? nullptr : storage[i].c_str());
    }
  }
};

}  // namespace

std::string MaskPassword(const std::string& url) {
  std::string out = url;
  // libpq also takes the password as a query parameter.
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    if (p == 0 || (out[p - 1] != '?' && out[p - 1] != '&')) continue;
    size_t value = p + 9, end = out.find('&', value);
    out.replace(value, end == std::string::npos ? std::string::npos : end - value, "***");
  }
  size_t scheme = out.find("://");
  size_t at = out.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return out;
  size_t colon = out.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return out;
  return out.substr(0, colon + 1) + "***" + out.substr(at);
}

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::Open(const std::string& url) {
  std::unique_ptr<PostgresConnection> c(new PostgresConnection(url, MaskPassword(url)));
  Status s = Guard(c->where_, "connect", [&] { c->conn_ = std::make_unique<pqxx::connection>(url); });
  if (!s.ok()) return Unavailable(s.message());  // a server we cannot reach may come back
  return c;
}

PostgresConnection::~PostgresConnection() {
  Rollback();
  conn_.reset();
}

Status PostgresConnection::EnsureConnected() {
  if (tx_ || (conn_ && conn_->is_open())) return Status::Ok();
  prepared_.clear();
  conn_.reset();
  Status s = Guard(where_, "connect again", [&] { conn_ = std::make_unique<pqxx::connection>(url_); });
  if (!s.ok()) return Unavailable(s.message());
  return Status::Ok();
}

std::string PostgresConnection::PreparedName(std::string_view sql) {
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it != prepared_.end()) return it->second;
  std::string name = "cairn_" + std::to_string(prepared_.size());
  conn_->prepare(name, key);  // registered lazily, on first execution
  prepared_.emplace(std::move(key), name);
  return name;
}

Result<std::vector<SqlRow>> PostgresConnection::Query(std::string_view sql,
                                                      std::span<const SqlValue> params) {
  CAIRN_TRY(EnsureConnected());
  std::vector<SqlRow> rows;
  TextParams text(params);
  Status s = Guard(where_, sql.substr(0, 60), [&] {
    std::string name = PreparedName(sql);
    auto dyn = pqxx::prepare::make_dynamic_params(text.pointers);
    if (tx_) {
      rows = ReadRows(tx_->exec_prepared(name, dyn));
    } else {
      pqxx::nontransaction tx(*conn_);
      rows = ReadRows(tx.exec_prepared(name, dyn));
    }
  });
  if (!s.ok()) {
    // A failed statement poisons the open transaction; only rollback remains.
    return s;
  }
  return rows;
}

Status PostgresConnection::ExecDdl(std::string_view sql) {
  CAIRN_TRY(EnsureConnected());
  return Guard(where_, sql.substr(0, 60), [&] {
    if (tx_) {
      tx_->exec(std::string(sql));
    } else {
      pqxx::nontransaction tx(*conn_);
      tx.exec(std::string(sql));
    }
  });
}

Result<bool> PostgresConnection::TableExists(std::string_view table) {
  SqlValue name[] = {std::string(table)};
  // A scan of pg_class, not to_regclass(): to_regclass answers from the
  // backend's catalog cache, which inside a transaction still says "absent"
  // after another session created the table while we waited for the
  // migration lock; the scan sees every committed table.
  CAIRN_ASSIGN_OR_RETURN(auto rows, Query("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
                                          "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                          "WHERE c.relname = $1 AND n.nspname = current_schema())",
                                          name));
  return !rows.empty() && AsInt(rows[0][0]) != 0;
}

Status PostgresConnection::Begin() {
  CAIRN_TRY(EnsureConnected());
  return Guard(where_, "begin", [&] { tx_ = std::make_unique<pqxx::work>(*conn_); });
}

Status PostgresConnection::Commit() {
  if (!tx_) return Internal("store " + where_ + ": commit without a transaction");
  // Whatever happens, this transaction is over.
  std::unique_ptr<pqxx::work> tx = std::move(tx_);
  return Guard(where_, "commit", [&] { tx->commit(); });
}

void PostgresConnection::Rollback() {
  if (!tx_) return;
  std::unique_ptr<pqxx::work> tx = std::move(tx_);
  (void)Guard(where_, "rollback", [&] { tx->abort(); });
}

Status PostgresConnection::LockForMigration() {
  SqlValue key[] = {kMigrationLockKey};
  return Query("SELECT pg_advisory_xact_lock($1)", key).status();
}

Status PostgresConnection::InsertMetrics(std::span<const MetricRow> rows) {
  if (!tx_) return Internal("store " + where_ + ": InsertMetrics outside a transaction");
  return Guard(where_, "copy metrics", [&] {
    const std::vector<std::string> columns = {"trial_id", "key_id", "step", "value", "time"};
    pqxx::stream_to copy(*tx_, "metrics", columns);
    for (const MetricRow& r : rows) {
      std::string value = FormatDouble(r.value), time = FormatDouble(r.time);
      copy << std::make_tuple(r.trial_id, r.key_id, r.step,
                              std::isnan(r.value) ? nullptr : value.c_str(), time.c_str());
    }
    copy.complete();
  });
}

}  // namespace cairn::store
