#include "cairn/store/sql_store.h"

#include "cairn/clock.h"
#include "cairn/store/migrations.h"
#include "cairn/store/postgres_connection.h"
#include "cairn/store/records.h"

namespace cairn::store {

namespace {

std::string Select(std::string_view columns, std::string_view rest) {
  return "SELECT " + std::string(columns) + " " + std::string(rest);
}

// Query texts are built once; the connection caches their prepared form.
const std::string kStudyByName = Select(kStudyColumns, "FROM studies WHERE name = $1");
const std::string kStudyById = Select(kStudyColumns, "FROM studies WHERE id = $1");
const std::string kAllStudies = Select(kStudyColumns, "FROM studies ORDER BY id");
const std::string kTrialById = Select(kTrialColumns, "FROM trials WHERE id = $1");
const std::string kTrialByNumber =
    Select(kTrialColumns, "FROM trials WHERE study_id = $1 AND number = $2");
const std::string kTrialsOfStudy =
    Select(kTrialColumns, "FROM trials WHERE study_id = $1 ORDER BY number");

constexpr std::string_view kInsertStudy =
    "INSERT INTO studies (name, objective, direction, spec_yaml, spec_json, created_at, ark, attrs) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
constexpr std::string_view kUpdateStudy =
    "UPDATE studies SET name = $1, objective = $2, direction = $3, spec_yaml = $4, "
    "spec_json = $5, created_at = $6, ark = $7, attrs = $8 WHERE id = $9 RETURNING id";
constexpr std::string_view kInsertTrial =
    "INSERT INTO trials (study_id, number, state, params, value, value_nan, steps, created_at, "
    "started_at, ended_at, end_reason, exit_code, signal, attrs, ark, owner, heartbeat_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
    "RETURNING id";
constexpr std::string_view kUpdateTrial =
    "UPDATE trials SET state = $1, params = $2, value = $3, value_nan = $4, steps = $5, "
    "created_at = $6, started_at = $7, ended_at = $8, end_reason = $9, exit_code = $10, "
    "signal = $11, attrs = $12, ark = $13, owner = $14, heartbeat_at = $15 "
    "WHERE id = $16 RETURNING id";

// studies.budget_used counts the study's trials that use up its budget
// (UsesBudget); it is raised in the transaction that inserts such a trial.
// The claim's WHERE makes it the budget check: in SQLite the transaction is
// the only writer; in PostgreSQL the UPDATE locks the study's row, and a
// waiting claim re-reads the committed count before it applies.
constexpr std::string_view kClaimBudget =
    "UPDATE studies SET budget_used = budget_used + 1 WHERE id = $1 AND budget_used < $2 RETURNING id";
constexpr std::string_view kCountBudget = "UPDATE studies SET budget_used = budget_used + 1 WHERE id = $1 RETURNING id";

std::string TrialName(int64_t study_id, int number) {
  return "trial " + std::to_string(number) + " of study " + std::to_string(study_id);
}

}  // namespace

Result<std::unique_ptr<Store>> SqlStore::Open(std::unique_ptr<SqlConnection> db, std::string url) {
  CAIRN_TRY(Migrate(*db));
  // Url() is for messages: never with the password.
  return std::unique_ptr<Store>(new SqlStore(std::move(db), MaskPassword(url)));
}

// ---- studies ---------------------------------------------------------------

Result<int64_t> SqlStore::CreateStudy(const StudyRecord& study) {
  if (study.name.empty()) return InvalidArgument("a study needs a name");
  auto values = StudyValues(study);
  auto rows = db_->Query(kInsertStudy, values);
  if (!rows.ok()) {
    if (rows.status().code() == StatusCode::kAlreadyExists) {
      return AlreadyExists("study '" + study.name + "' already exists in " + db_->where());
    }
    return rows.status().WithContext("create study '" + study.name + "'");
  }
  return AsInt((*rows)[0][0]);
}

Result<StudyRecord> SqlStore::OneStudy(std::string_view sql, const SqlValue& key,
                                       const std::string& what) {
  CAIRN_ASSIGN_OR_RETURN(auto rows, db_->Query(sql, std::span(&key, 1)));
  if (rows.empty()) return NotFound(what + " not found in " + db_->where());
  return StudyFromRow(rows[0]);
}

Result<StudyRecord> SqlStore::GetStudy(const std::string& name) {
  return OneStudy(kStudyByName, name, "study '" + name + "'");
}

Result<StudyRecord> SqlStore::GetStudyById(int64_t id) {
  return OneStudy(kStudyById, id, "study " + std::to_string(id));
}

Result<std::vector<StudyRecord>> SqlStore::ListStudies() {
  CAIRN_ASSIGN_OR_RETURN(auto rows, db_->Query(kAllStudies));
  std::vector<StudyRecord> out;
  for (const SqlRow& row : rows) {
    CAIRN_ASSIGN_OR_RETURN(StudyRecord s, StudyFromRow(row));
    out.push_back(std::move(s));
  }
  return out;
}

Status SqlStore::UpdateStudy(const StudyRecord& study) {
  auto values = StudyValues(study);
  values.push_back(study.id);
  auto rows = db_->Query(kUpdateStudy, values);
  std::string what = "study " + std::to_string(study.id) + " ('" + study.name + "')";
  if (!rows.ok()) return rows.status().WithContext("update " + what);
  if (rows->empty()) return NotFound(what + " not found in " + db_->where());
  return Status::Ok();
}

Status SqlStore::Atomically(const std::function<Status()>& writes) {
  if (db_->InTransaction()) return writes();  // already inside one
  Transaction tx(*db_);
  CAIRN_TRY(tx.Begin());
  Status s = writes();
  if (s.ok()) s = tx.Commit();
  // Metric keys the writes created were cached as if committed: after a
  // rollback their ids name nothing, so forget the cache (it refills).
  if (!s.ok()) key_ids_.clear();
  return s;
}

// ---- trials ----------------------------------------------------------------

Result<int64_t> SqlStore::CreateTrial(const TrialRecord& trial) {
  if (!UsesBudget(trial)) return InsertTrial(trial);
  Transaction tx(*db_);
  CAIRN_TRY(tx.Begin());
  SqlValue study = trial.study_id;
  CAIRN_ASSIGN_OR_RETURN(auto counted, db_->Query(kCountBudget, std::span(&study, 1)));
  if (counted.empty()) return NotFound("create " + TrialName(trial.study_id, trial.number) + ": no such study");
  CAIRN_ASSIGN_OR_RETURN(int64_t id, InsertTrial(trial));
  CAIRN_TRY(tx.Commit());
  return id;
}

Result<int64_t> SqlStore::CreateBudgetTrial(const TrialRecord& trial, int budget) {
  if (!UsesBudget(trial)) return InvalidArgument("a re-run or retry does not use up the budget: use CreateTrial");
  Transaction tx(*db_);
  CAIRN_TRY(tx.Begin());
  std::vector<SqlValue> claim = {trial.study_id, int64_t{budget}};
  CAIRN_ASSIGN_OR_RETURN(auto claimed, db_->Query(kClaimBudget, claim));
  if (claimed.empty()) {
    CAIRN_TRY(GetStudyById(trial.study_id).status());  // kNotFound when there is no such study
    return FailedPrecondition("study " + std::to_string(trial.study_id) + " has used up its budget of " +
                              std::to_string(budget) + " trials");
  }
  CAIRN_ASSIGN_OR_RETURN(int64_t id, InsertTrial(trial));
  CAIRN_TRY(tx.Commit());
  return id;
}

Result<int64_t> SqlStore::InsertTrial(const TrialRecord& trial) {
  std::vector<SqlValue> values = {trial.study_id, int64_t{trial.number}};
  for (SqlValue& v : TrialValues(trial)) values.push_back(std::move(v));
  auto rows = db_->Query(kInsertTrial, values);
  std::string what = TrialName(trial.study_id, trial.number);
  if (!rows.ok()) {
    // The number race between coordinators lands here: the loser retries
    // with the next number.
    if (rows.status().code() == StatusCode::kAlreadyExists) {
      return AlreadyExists(what + " already exists in " + db_->where());
    }
    if (rows.status().code() == StatusCode::kNotFound) {
      return NotFound("create " + what + ": no study " + std::to_string(trial.study_id));
    }
    return rows.status().WithContext("create " + what);
  }
  return AsInt((*rows)[0][0]);
}

Status SqlStore::UpdateTrial(const TrialRecord& trial) {
  auto values = TrialValues(trial);
  values.push_back(trial.id);
  auto rows = db_->Query(kUpdateTrial, values);
  std::string what = "trial id " + std::to_string(trial.id);
  if (!rows.ok()) return rows.status().WithContext("update " + what);
  if (rows->empty()) return NotFound(what + " not found in " + db_->where());
  return Status::Ok();
}

Result<TrialRecord> SqlStore::OneTrial(std::string_view sql, std::span<const SqlValue> keys,
                                       const std::string& what) {
  CAIRN_ASSIGN_OR_RETURN(auto rows, db_->Query(sql, keys));
  if (rows.empty()) return NotFound(what + " not found in " + db_->where());
  return TrialFromRow(rows[0]);
}

Result<TrialRecord> SqlStore::GetTrial(int64_t trial_id) {
  SqlValue key[] = {trial_id};
  return OneTrial(kTrialById, key, "trial id " + std::to_string(trial_id));
}

Result<TrialRecord> SqlStore::GetTrialByNumber(int64_t study_id, int number) {
  SqlValue keys[] = {study_id, int64_t{number}};
  return OneTrial(kTrialByNumber, keys, TrialName(study_id, number));
}

Result<std::vector<TrialRecord>> SqlStore::ListTrials(int64_t study_id) {
  SqlValue key[] = {study_id};
  CAIRN_ASSIGN_OR_RETURN(auto rows, db_->Query(kTrialsOfStudy, key));
  std::vector<TrialRecord> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) {
    CAIRN_ASSIGN_OR_RETURN(TrialRecord t, TrialFromRow(row));
    out.push_back(std::move(t));
  }
  return out;
}

// ---- blobs -----------------------------------------------------------------

Status SqlStore::PutBlob(const std::string& hash, const std::string& kind,
                         const nlohmann::json& body) {
  if (hash.empty()) return InvalidArgument("PutBlob: empty hash (kind '" + kind + "')");
  std::vector<SqlValue> values = {
      hash, kind, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      RealClock::Default()->WallTime()};
  auto rows = db_->Query(
      "INSERT INTO blobs (hash, kind, body, created_at) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (hash) DO NOTHING",
      values);
  return rows.status().WithContext("put blob " + hash);
}

Result<nlohmann::json> SqlStore::GetBlob(const std::string& hash) {
  SqlValue key[] = {hash};
  CAIRN_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT body FROM blobs WHERE hash = $1", key));
  if (rows.empty()) return NotFound("blob " + hash + " not found in " + db_->where());
  nlohmann::json j = nlohmann::json::parse(AsText(rows[0][0]), nullptr, false);
  if (j.is_discarded()) return Internal("blob " + hash + ": body is not valid JSON");
  return j;
}

}  // namespace cairn::store
