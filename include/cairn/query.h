// Querying trials across every study of a store with a small language.
//
//   study = "digits" AND (params.lr < 0.01 OR params.optimizer IN ("adam", "sgd"))
//     AND metrics.val_acc > 0.9 AND gpu.name ~ "A100"
//
// The language, its fields and its semantics are described in docs/query.md.
// Queries run over a TrialIndex: an in-memory copy of the studies and trials
// with the blobs their records point to (host, software environment)
// resolved once per hash, and a per-trial metric summary (attrs["metrics"],
// or computed from the metric points for trials that lack it).
//
//   CAIRN_ASSIGN_OR_RETURN(TrialIndex index, TrialIndex::Build(store));
//   CAIRN_ASSIGN_OR_RETURN(QueryResult r, RunQuery(index, "state = \"completed\"", {}));
//   std::cout << RenderQueryTable(index, r);
//
// Thread-safety: a built TrialIndex and a parsed Query are immutable and may
// be shared between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/metric_summary.h"
#include "cairn/status.h"
#include "cairn/store.h"
#include "cairn/trial.h"

namespace cairn {

struct IndexedStudy {
  StudyRecord record;
  // The study's captured context (attrs["context"], else spec_json["context"]),
  // or null.
  nlohmann::json context;
};

struct IndexedTrial {
  TrialRecord record;
  size_t study = 0;  // index into TrialIndex::studies()
  std::map<std::string, MetricSummary, std::less<>> metrics;
  // Resolved blobs of the trial's context; null when absent or not found.
  std::shared_ptr<const nlohmann::json> host;
  std::shared_ptr<const nlohmann::json> software;
};

struct TrialIndexOptions {
  // Only these studies (by name); all when empty.
  std::vector<std::string> studies;
  // Read the metric points of trials without attrs["metrics"] to summarise
  // them (older data). When false such trials have no metrics.
  bool summarize_missing = true;
};

class TrialIndex {
 public:
  // Looks up a blob body by hash; kNotFound when absent.
  using BlobLookup = std::function<Result<nlohmann::json>(const std::string& hash)>;

  explicit TrialIndex(BlobLookup blobs);

  // Everything in `store` (or the studies named in options).
  static Result<TrialIndex> Build(Store& store, const TrialIndexOptions& options = {});

  // Adds a study and its trials. A trial whose attrs lack "metrics" gets the
  // summary in `summaries` at the same position when given (else none).
  // Blob lookups that fail with kNotFound leave the blob null; other
  // failures are returned.
  Status AddStudy(StudyRecord study, std::vector<TrialRecord> trials,
                  const std::vector<std::map<std::string, MetricSummary>>& summaries = {});

  const std::vector<IndexedStudy>& studies() const { return studies_; }
  const std::vector<IndexedTrial>& trials() const { return trials_; }
  const IndexedStudy& study_of(const IndexedTrial& t) const { return studies_[t.study]; }

 private:
  Result<std::shared_ptr<const nlohmann::json>> Blob(const nlohmann::json& hash);

  BlobLookup lookup_;
  std::map<std::string, std::shared_ptr<const nlohmann::json>> blob_cache_;
  std::vector<IndexedStudy> studies_;
  std::vector<IndexedTrial> trials_;
};

namespace query {
struct Expr;
}  // namespace query

// A parsed query expression.
class Query {
 public:
  // kInvalidArgument with "query:LINE:COL: message", the line and a caret.
  static Result<Query> Parse(std::string_view text);

  bool Matches(const TrialIndex& index, const IndexedTrial& trial) const;
  // The fields the query names, in order of first use ("params.lr", ...).
  const std::vector<std::string>& fields() const { return fields_; }

 private:
  std::shared_ptr<const query::Expr> root_;
  std::vector<std::string> fields_;
};

struct QueryOptions {
  // A field to sort by (as in the language); "-field" sorts descending.
  // Trials without the field come last. Empty: by study, then number.
  std::string sort;
  // Keep at most this many trials after sorting; 0 = all.
  int limit = 0;
};

struct QueryResult {
  std::vector<const IndexedTrial*> trials;  // point into the index
  // Columns for display: the fields the query and the sort name.
  std::vector<std::string> columns;
  int matched = 0;  // before --limit
};

// Parses `expr` ("" matches every trial) and runs it.
Result<QueryResult> RunQuery(const TrialIndex& index, std::string_view expr, const QueryOptions& options);

// [{"study","number","id","ark","state","value","steps","params",
//   "created_at","started_at","ended_at","end_reason","fields": {column: value}}]
nlohmann::json QueryResultJson(const TrialIndex& index, const QueryResult& result);
// study, number, state, value and the columns, one row per trial.
std::string RenderQueryTable(const TrialIndex& index, const QueryResult& result);

}  // namespace cairn
