// The store: studies, trials, parameters and metrics behind one interface.
//
// Back ends: SQLite (default; "sqlite:///abs/path.db" or a plain path) and
// PostgreSQL ("postgresql://..."). Open one with OpenStore(url). Writes of
// metrics are batched: AppendMetrics writes a whole batch in one transaction.
//
// Thread-safety: a Store object is used from one thread at a time; several
// processes may open the same database.
//
// The schema, its versions and the NaN encoding are described in
// docs/store.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cairn/clock.h"
#include "cairn/status.h"
#include "cairn/trial.h"

namespace cairn {

struct MetricQuery {
  int64_t trial_id = 0;
  std::optional<std::string> key;  // all keys when empty
};

class Store {
 public:
  virtual ~Store() = default;

  // Studies. CreateStudy fails with kAlreadyExists when the name is taken.
  virtual Result<int64_t> CreateStudy(const StudyRecord& study) = 0;
  virtual Result<StudyRecord> GetStudy(const std::string& name) = 0;      // kNotFound
  virtual Result<StudyRecord> GetStudyById(int64_t id) = 0;               // kNotFound
  virtual Result<std::vector<StudyRecord>> ListStudies() = 0;
  virtual Status UpdateStudy(const StudyRecord& study) = 0;

  // Trials. CreateTrial assigns trial.id (returned); number must be unique
  // within the study (kAlreadyExists otherwise).
  virtual Result<int64_t> CreateTrial(const TrialRecord& trial) = 0;
  // CreateTrial for a trial that uses up one of the study's `budget` trials:
  // the count of the study's trials that are not re-runs or retries (attrs
  // `rerun_of` / `retry_of`) and the insert are one transaction, serialized
  // between coordinators, so a shared study never starts more than `budget`.
  // kFailedPrecondition when the budget is already used up.
  virtual Result<int64_t> CreateBudgetTrial(const TrialRecord& trial, int budget) = 0;
  virtual Status UpdateTrial(const TrialRecord& trial) = 0;
  virtual Result<TrialRecord> GetTrial(int64_t trial_id) = 0;
  virtual Result<TrialRecord> GetTrialByNumber(int64_t study_id, int number) = 0;
  virtual Result<std::vector<TrialRecord>> ListTrials(int64_t study_id) = 0;

  // Metrics: one transaction per call.
  virtual Status AppendMetrics(std::span<const MetricPoint> points) = 0;
  // Ordered by key, then step, then time.
  virtual Result<std::vector<MetricPoint>> ReadMetrics(const MetricQuery& q) = 0;

  // Content-addressed blobs: identical environments, package lists and
  // dataset fingerprints are stored once and referenced by their hash from
  // trial/study attrs. PutBlob is idempotent for the same hash.
  virtual Status PutBlob(const std::string& hash, const std::string& kind,
                         const nlohmann::json& body) = 0;
  virtual Result<nlohmann::json> GetBlob(const std::string& hash) = 0;  // kNotFound

  // The back end's URL as opened ("sqlite:///..."), its password masked:
  // for messages.
  virtual std::string Url() const = 0;
  // Called now and then while a call waits for the database (SQLite's
  // lock held by another program; PatientStore's pauses), so a caller held
  // up by its store keeps other work going (`cairn run` reaps trials that
  // end). It runs inside the waiting call: it must not use the store.
  // Default: no waits to report.
  virtual void SetWaitHook(std::function<void()> hook) { (void)hook; }

  // Runs `writes` (calls on this store) as one transaction: all of them are
  // kept, or, when `writes` fails or the process dies half-way, none.
  // Used where a half-written result would mislead (an import).
  virtual Status Atomically(const std::function<Status()>& writes) = 0;
};

// "sqlite:///abs/path", "sqlite://rel/path", a plain file path, or
// "postgresql://user@host/db". Creates the database and schema when missing
// and migrates an older schema.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url);

// How long a long-running writer (the coordinator) waits for a store that
// answers "unavailable" (kUnavailable: SQLite locked past its busy timeout,
// a PostgreSQL server restarting or a dropped connection) before it gives up.
struct StorePatience {
  // From the first failure of one call, which itself comes after the back
  // end's own wait (SQLite's 10 s busy timeout); a try under way when the
  // patience ends still finishes, so the whole wait can exceed it by one
  // such timeout.
  double patience_s = 300.0;
  double first_pause_s = 0.1;  // doubled after each try, up to max_pause_s
  double max_pause_s = 5.0;
  // Time and waiting; defaults: the real clock and sleeping. Tests pass a
  // SimulatedClock and a sleep that advances it.
  const Clock* clock = nullptr;
  std::function<void(double seconds)> sleep;
  // Told once when the store stops answering and once when it answers again
  // (or the wait is given up), so a person knows why the study stalls.
  std::function<void(const std::string&)> on_message;
  // Set (Ctrl-C) to stop waiting at once: the call then fails kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

// `store` behind a retry: every call that fails with kUnavailable is tried
// again after a growing pause until it succeeds, fails otherwise, or
// `patience_s` has passed (then the last error is returned, saying how long
// it waited). Calls inside Atomically are not retried one by one (the
// transaction failed as a whole); Atomically itself is not retried either,
// as `writes` may not be safe to run twice. A trial insert whose first try
// may have reached the database (a connection lost mid-statement) and
// whose retry finds its number taken returns the row that try wrote when
// it is the same trial (same owner and created_at), so no phantom trial
// is left behind.
std::unique_ptr<Store> PatientStore(std::unique_ptr<Store> store, StorePatience patience = {});

// The trial numbered `number` of `study`; a NotFound names the study and
// the numbers its trials have (the store itself only knows the study's id).
Result<TrialRecord> TrialOfStudy(Store& store, const StudyRecord& study, int number);

// The store URL a command should use: the explicit one, else $CAIRN_STORE,
// else sqlite at `workdir`/.cairn/cairn.db, whose folder is created when
// `create_folder` (a command that creates the store; one that only reads
// leaves no empty .cairn/ behind).
std::string ResolveStoreUrl(const std::string& explicit_url, const std::string& workdir,
                            bool create_folder = true);

// The study's captured context: attrs["context"], else spec_json["context"]
// (record format 1); null when neither holds one.
nlohmann::json StudyContextOf(const StudyRecord& study);
// A blob's body; null when `hash` is not a string or the store lacks it (a
// record with a hole is still worth reading).
nlohmann::json BlobOrNull(Store& store, const nlohmann::json& hash);
// The step a trial's value belongs to (attrs["value_step"], which the
// coordinator records: reports past max_steps or after a stop are points,
// not the value); nullopt for records that predate it.
std::optional<int64_t> ValueStepOf(const nlohmann::json& attrs);
// The last step of a trial's objective curve that counts: its value step
// (ValueStepOf), and not past `max_steps` (the budget of whoever reads it:
// a resumed study's, a replay's). What the rule learns from an ended trial,
// what a replay plays and a curves export writes, and where a plot ends
// the curve; nullopt: every step counts.
std::optional<int64_t> LastCountedStep(const nlohmann::json& attrs, std::optional<int64_t> max_steps);

}  // namespace cairn
