// SqlStore: the one Store implementation, over either SqlConnection.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "cairn/store.h"
#include "cairn/store/sql_connection.h"

namespace cairn::store {

class SqlStore final : public Store {
 public:
  // Migrates the database to the current schema first.
  static Result<std::unique_ptr<Store>> Open(std::unique_ptr<SqlConnection> db, std::string url);

  Result<int64_t> CreateStudy(const StudyRecord& study) override;
  Result<StudyRecord> GetStudy(const std::string& name) override;
  Result<StudyRecord> GetStudyById(int64_t id) override;
  Result<std::vector<StudyRecord>> ListStudies() override;
  Status UpdateStudy(const StudyRecord& study) override;

  Result<int64_t> CreateTrial(const TrialRecord& trial) override;
  Result<int64_t> CreateBudgetTrial(const TrialRecord& trial, int budget) override;
  Status UpdateTrial(const TrialRecord& trial) override;
  Result<TrialRecord> GetTrial(int64_t trial_id) override;
  Result<TrialRecord> GetTrialByNumber(int64_t study_id, int number) override;
  Result<std::vector<TrialRecord>> ListTrials(int64_t study_id) override;

  Status AppendMetrics(std::span<const MetricPoint> points) override;
  Result<std::vector<MetricPoint>> ReadMetrics(const MetricQuery& q) override;

  Status PutBlob(const std::string& hash, const std::string& kind,
                 const nlohmann::json& body) override;
  Result<nlohmann::json> GetBlob(const std::string& hash) override;

  std::string Url() const override { return url_; }
  void SetWaitHook(std::function<void()> hook) override { db_->SetWaitHook(std::move(hook)); }
  Status Atomically(const std::function<Status()>& writes) override;

 private:
  SqlStore(std::unique_ptr<SqlConnection> db, std::string url)
      : db_(std::move(db)), url_(std::move(url)) {}

  Result<int64_t> InsertTrial(const TrialRecord& trial);
  Result<StudyRecord> OneStudy(std::string_view sql, const SqlValue& key, const std::string& what);
  Result<TrialRecord> OneTrial(std::string_view sql, std::span<const SqlValue> keys,
                               const std::string& what);
  // The id of metric key `name`, creating it inside the open transaction;
  // new ids go to `fresh` until the transaction commits.
  Result<int64_t> KeyId(const std::string& name, std::unordered_map<std::string, int64_t>& fresh);
  // The id of an existing key, or nullopt.
  Result<std::optional<int64_t>> FindKeyId(const std::string& name);
  Status CheckTrialsExist(std::span<const MetricPoint> points);
  Status InsertBatch(std::span<const MetricPoint> points,
                     std::unordered_map<std::string, int64_t>& fresh);

  std::unique_ptr<SqlConnection> db_;
  std::string url_;
  // Interned metric keys; ids never change once committed.
  std::unordered_map<std::string, int64_t> key_ids_;
  std::vector<MetricRow> rows_;  // reused buffer for AppendMetrics
};

}  // namespace cairn::store
