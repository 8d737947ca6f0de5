// SqlStore's metric path: interned keys, one transaction per batch.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "cairn/store/sql_store.h"

namespace cairn::store {

Status SqlStore::AppendMetrics(std::span<const MetricPoint> points) {
  if (points.empty()) return Status::Ok();
  // Keys created by this batch become visible to the cache only after the
  // commit: a rolled-back key id must not be reused.
  std::unordered_map<std::string, int64_t> fresh;
  Transaction tx(*db_);
  CAIRN_TRY(tx.Begin());
  CAIRN_TRY(InsertBatch(points, fresh));
  CAIRN_TRY(tx.Commit());
  key_ids_.merge(fresh);
  return Status::Ok();
}

Status SqlStore::InsertBatch(std::span<const MetricPoint> points,
                             std::unordered_map<std::string, int64_t>& fresh) {
  CAIRN_TRY(CheckTrialsExist(points));
  rows_.clear();
  rows_.reserve(points.size());
  const std::string* last_key = nullptr;
  int64_t key_id = 0;
  for (const MetricPoint& p : points) {
    // Reporters send runs of the same key; look it up once per run.
    if (last_key == nullptr || p.key != *last_key) {
      CAIRN_ASSIGN_OR_RETURN(key_id, KeyId(p.key, fresh));
      last_key = &p.key;
    }
    rows_.push_back({p.trial_id, key_id, p.step, p.value, p.time});
  }
  Status s = db_->InsertMetrics(rows_);
  return s.WithContext("append " + std::to_string(points.size()) + " metric points");
}

Status SqlStore::CheckTrialsExist(std::span<const MetricPoint> points) {
  std::unordered_set<int64_t> ids;
  for (const MetricPoint& p : points) ids.insert(p.trial_id);
  for (int64_t id : ids) {
    SqlValue key[] = {id};
    CAIRN_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT 1 FROM trials WHERE id = $1", key));
    if (rows.empty()) {
      return NotFound("metrics for trial id " + std::to_string(id) + ": no such trial in " +
                      db_->where());
    }
  }
  return Status::Ok();
}

Result<std::optional<int64_t>> SqlStore::FindKeyId(const std::string& name) {
  if (auto it = key_ids_.find(name); it != key_ids_.end()) return std::optional(it->second);
  SqlValue key[] = {name};
  CAIRN_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT id FROM metric_keys WHERE name = $1", key));
  if (rows.empty()) return std::optional<int64_t>();
  int64_t id = AsInt(rows[0][0]);
  key_ids_.emplace(name, id);  // committed by someone: safe to cache
  return std::optional(id);
}

Result<int64_t> SqlStore::KeyId(const std::string& name,
                                std::unordered_map<std::string, int64_t>& fresh) {
  if (name.empty()) return InvalidArgument("a metric point has an empty key");
  if (auto it = fresh.find(name); it != fresh.end()) return it->second;
  CAIRN_ASSIGN_OR_RETURN(auto found, FindKeyId(name));
  if (found) return *found;
  SqlValue key[] = {name};
  // Another writer may insert the same key concurrently: DO NOTHING, then
  // read the winner's id.
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query("INSERT INTO metric_keys (name) VALUES ($1) ON CONFLICT (name) DO NOTHING "
                 "RETURNING id",
                 key));
  if (rows.empty()) {
    CAIRN_ASSIGN_OR_RETURN(found, FindKeyId(name));
    if (!found) return Internal("metric key '" + name + "' vanished while interning it");
    return *found;
  }
  int64_t id = AsInt(rows[0][0]);
  fresh.emplace(name, id);
  return id;
}

Result<std::vector<MetricPoint>> SqlStore::ReadMetrics(const MetricQuery& q) {
  std::vector<SqlRow> rows;
  std::optional<int64_t> key_id;
  if (q.key) {
    CAIRN_ASSIGN_OR_RETURN(key_id, FindKeyId(*q.key));
    if (!key_id) return std::vector<MetricPoint>{};  // nobody ever reported it
    SqlValue keys[] = {q.trial_id, *key_id};
    CAIRN_ASSIGN_OR_RETURN(
        rows, db_->Query("SELECT key_id, step, value, time FROM metrics "
                         "WHERE trial_id = $1 AND key_id = $2 ORDER BY step, time",
                         keys));
  } else {
    SqlValue keys[] = {q.trial_id};
    CAIRN_ASSIGN_OR_RETURN(
        rows, db_->Query("SELECT m.key_id, m.step, m.value, m.time FROM metrics m "
                         "WHERE m.trial_id = $1 ORDER BY m.key_id, m.step, m.time",
                         keys));
  }
  std::unordered_map<int64_t, std::string> names;
  for (const auto& [name, id] : key_ids_) names.emplace(id, name);
  std::vector<MetricPoint> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) {
    int64_t id = AsInt(row[0]);
    auto name = names.find(id);
    if (name == names.end()) {
      SqlValue k[] = {id};
      CAIRN_ASSIGN_OR_RETURN(auto n, db_->Query("SELECT name FROM metric_keys WHERE id = $1", k));
      if (n.empty()) return Internal("metric key id " + std::to_string(id) + " has no name");
      name = names.emplace(id, AsText(n[0][0])).first;
      key_ids_.emplace(name->second, id);
    }
    // NULL encodes NaN: SQLite cannot store a NaN (docs/store.md).
    double value = IsNull(row[2]) ? std::numeric_limits<double>::quiet_NaN() : AsDouble(row[2]);
    out.push_back({q.trial_id, name->second, AsInt(row[1]), value, AsDouble(row[3])});
  }
  // By key name, bytewise: the same on both back ends whatever the collation.
  std::stable_sort(out.begin(), out.end(),
                   [](const MetricPoint& a, const MetricPoint& b) { return a.key < b.key; });
  return out;
}

}  // namespace cairn::store
