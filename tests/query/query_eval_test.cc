// Evaluating queries over a small store with the coordinator's attrs layout:
// every field family, missing values, sort and limit, output forms.
#include <algorithm>
#include <limits>

#include <gtest/gtest.h>

#include "cairn/query.h"
#include "cairn/query/table.h"
#include "query/query_fixture.h"

namespace cairn::testing {
namespace {

class QueryEvalTest : public QueryStoreTest {
 protected:
  void SetUp() override {
    QueryStoreTest::SetUp();
    if (HasFatalFailure()) return;
    auto index = TrialIndex::Build(*store_);
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    index_ = std::make_unique<TrialIndex>(std::move(*index));
  }

  // "study:number" of the matching trials, in result order.
  std::vector<std::string> Run(const std::string& expr, QueryOptions options = {}) {
    auto r = RunQuery(*index_, expr, options);
    EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
    std::vector<std::string> out;
    if (!r.ok()) return out;
    for (const auto* t : r->trials) out.push_back(index_->study_of(*t).record.name + ":" + std::to_string(t->record.number));
    return out;
  }

  std::unique_ptr<TrialIndex> index_;
};

using V = std::vector<std::string>;

TEST_F(QueryEvalTest, IndexHoldsEveryTrialWithBlobsResolved) {
  ASSERT_EQ(index_->studies().size(), 2u);
  ASSERT_EQ(index_->trials().size(), 5u);
  const IndexedTrial* t0 = nullptr;
  for (const auto& t : index_->trials()) {
    if (index_->study_of(t).record.name == "digits" && t.record.number == 0) t0 = &t;
  }
  ASSERT_NE(t0, nullptr);
  ASSERT_TRUE(t0->host);
  EXPECT_EQ((*t0->host)["hostname"], "node-a");
  ASSERT_TRUE(t0->software);
  EXPECT_DOUBLE_EQ(*t0->metrics.at("val_acc").last, 0.95);
}

TEST_F(QueryEvalTest, TheExampleQuery) {
  EXPECT_EQ(Run("study = \"digits\" AND (params.lr < 0.01 OR params.optimizer IN (\"adam\", \"sgd\")) "
                "AND metrics.val_acc > 0.9 AND gpu.name ~ \"A100\""),
            V{"digits:0"});
}

TEST_F(QueryEvalTest, RecordFields) {
  EXPECT_EQ(Run("state = \"completed\""), (V{"digits:0", "digits:1", "mnist:0"}));
  EXPECT_EQ(Run("state != \"completed\""), (V{"digits:2", "digits:3"}));
  EXPECT_EQ(Run("value >= 0.8"), (V{"digits:0", "digits:1"}));
  EXPECT_EQ(Run("value IS NULL"), (V{"digits:3"}));
  EXPECT_EQ(Run("number = 1 OR number = 3"), (V{"digits:1", "digits:3"}));
  EXPECT_EQ(Run("steps < 10"), (V{"digits:2"}));
  EXPECT_EQ(Run("end_reason ~ \"^median\""), (V{"digits:2"}));
  EXPECT_EQ(Run("exit_code != 0"), (V{"digits:3"}));
  EXPECT_EQ(Run("duration > 1200"), (V{"mnist:0"}));
  EXPECT_EQ(Run("ark = \"ark:/99999/fk4digits/t2\""), (V{"digits:2"}));
  EXPECT_EQ(Run("objective = \"loss\""), (V{"mnist:0"}));
}

TEST_F(QueryEvalTest, StepIsHowFarTheObjectiveGotAndStepsCountsItsReports) {
  // A program that evaluates every 10th step: 5 reports reach step 50.
  TrialRecord t{.study_id = index_->studies()[0].record.id, .number = 4, .state = TrialState::kStopped};
  for (const auto& s : index_->studies()) {
    if (s.record.name == "digits") t.study_id = s.record.id;
  }
  t.steps = 5;
  t.value = 0.9;
  t.attrs = {{"metrics", {{"val_acc", {{"steps", 5}, {"last", 0.9}, {"min", 0.2}, {"max", 0.9},
                                       {"first_step", 10}, {"last_step", 50}}}}}};
  ASSERT_TRUE(store_->CreateTrial(t).ok());
  auto index = TrialIndex::Build(*store_);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  index_ = std::make_unique<TrialIndex>(std::move(*index));
  EXPECT_EQ(Run("step = 50"), (V{"digits:4"}));
  EXPECT_EQ(Run("steps = 5"), (V{"digits:2", "digits:4"}));
  // Without a summary's last_step (older records), reports count as steps;
  // digits:3 has no summary and its stored points end at step 2.
  EXPECT_EQ(Run("step >= 10"), (V{"digits:0", "digits:1", "digits:4", "mnist:0"}));
  EXPECT_EQ(Run("step = 2"), (V{"digits:3"}));
  // The coordinator's value_step wins over the last point: reports past
  // max_steps (or after a stop) are points, not the value.
  TrialRecord past{.study_id = t.study_id, .number = 5, .state = TrialState::kCompleted};
  past.steps = 2;
  past.value = 0.5;
  past.attrs = {{"value_step", 2}, {"metrics", {{"val_acc", {{"steps", 5}, {"last", 0.7}, {"last_step", 5}}}}}};
  ASSERT_TRUE(store_->CreateTrial(past).ok());
  index = TrialIndex::Build(*store_);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  index_ = std::make_unique<TrialIndex>(std::move(*index));
  EXPECT_EQ(Run("step = 2 AND number = 5"), (V{"digits:5"}));
}

// A trial that reported NaN, and a failed one whose objective was inf:
// neither has a value (as status shows them), and sorting puts them last
// (NaN used to scatter the order and inf to sort first).
TEST_F(QueryEvalTest, NanAndInfiniteValuesAreNoValueAndSortLast) {
  int64_t digits = 0;
  for (const auto& s : index_->studies()) {
    if (s.record.name == "digits") digits = s.record.id;
  }
  TrialRecord nan_trial{.study_id = digits, .number = 4, .state = TrialState::kCompleted};
  nan_trial.value = std::numeric_limits<double>::quiet_NaN();
  TrialRecord inf_trial{.study_id = digits, .number = 5, .state = TrialState::kFailed};
  inf_trial.value = std::numeric_limits<double>::infinity();
  ASSERT_TRUE(store_->CreateTrial(nan_trial).ok());
  ASSERT_TRUE(store_->CreateTrial(inf_trial).ok());
  auto index = TrialIndex::Build(*store_);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  index_ = std::make_unique<TrialIndex>(std::move(*index));
  EXPECT_EQ(Run("study = \"digits\"", {.sort = "-value"}),
            (V{"digits:0", "digits:1", "digits:2", "digits:3", "digits:4", "digits:5"}));
  EXPECT_EQ(Run("study = \"digits\"", {.sort = "value"}),
            (V{"digits:2", "digits:1", "digits:0", "digits:3", "digits:4", "digits:5"}));
  EXPECT_EQ(Run("value > 100"), V{});
  EXPECT_EQ(Run("value IS NULL"), (V{"digits:3", "digits:4", "digits:5"}));
  // Shown as status shows them: "-" in the table, null in the JSON.
  auto r = RunQuery(*index_, "number >= 4 AND study = \"digits\"", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string table = RenderQueryTable(*index_, *r);
  EXPECT_EQ(table.find("nan"), std::string::npos) << table;
  EXPECT_EQ(table.find("inf"), std::string::npos) << table;
  for (const auto& row : QueryResultJson(*index_, *r)) EXPECT_TRUE(row["value"].is_null()) << row;
}

// A loss that diverged: its summary (written by the coordinator, or computed
// from the points of a trial without one) keeps the inf rather than
// dropping it, and counts the non-finite points, so a query finds it.
TEST_F(QueryEvalTest, DivergedMetricsAreFoundByTheirSummary) {
  int64_t digits = 0;
  for (const auto& s : index_->studies()) {
    if (s.record.name == "digits") digits = s.record.id;
  }
  TrialRecord summarized{.study_id = digits, .number = 4, .state = TrialState::kFailed};
  summarized.attrs = {{"metrics", {{"loss", {{"steps", 3}, {"last", "inf"}, {"min", 0.5}, {"max", "inf"},
                                             {"nonfinite", 1}}}}}};
  ASSERT_TRUE(store_->CreateTrial(summarized).ok());
  TrialRecord from_points{.study_id = digits, .number = 5, .state = TrialState::kFailed};
  auto id = store_->CreateTrial(from_points);
  ASSERT_TRUE(id.ok());
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<MetricPoint> points = {{*id, "loss", 1, 0.9, 1.0}, {*id, "loss", 2, inf, 2.0},
                                     {*id, "loss", 3, nan, 3.0}};
  ASSERT_TRUE(store_->AppendMetrics(points).ok());
  auto index = TrialIndex::Build(*store_);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  index_ = std::make_unique<TrialIndex>(std::move(*index));

  EXPECT_EQ(Run("metrics.loss.nonfinite > 0"), (V{"digits:4", "digits:5"}));
  EXPECT_EQ(Run("metrics.loss.nonfinite = 2"), (V{"digits:5"}));
  EXPECT_EQ(Run("metrics.loss.max > 1e30"), (V{"digits:4", "digits:5"}));
  EXPECT_EQ(Run("metrics.loss.min < 0.6 AND number >= 4"), (V{"digits:4"}));
  // The last point of trial 5 is NaN: it compares with nothing.
  EXPECT_EQ(Run("metrics.loss > 1e30"), (V{"digits:4"}));
  EXPECT_EQ(Run("metrics.loss.nonfinite = 0 AND study = \"digits\""), (V{"digits:0", "digits:1", "digits:2"}));
  // --json spells them out too: null would read as "no value".
  auto r = RunQuery(*index_, "metrics.loss.max > 1e30", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  nlohmann::json rows = QueryResultJson(*index_, *r);
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
  for (const auto& row : rows) EXPECT_EQ(row["fields"]["metrics.loss.max"], "inf") << row.dump();
}

TEST_F(QueryEvalTest, Dates) {
  EXPECT_EQ(Run("started > \"2026-11-01\" AND study = \"digits\""), (V{"digits:0", "digits:1", "digits:3"}));
  EXPECT_EQ(Run("created >= \"2026-11-02\""), (V{"mnist:0"}));
  EXPECT_EQ(Run("ended < \"2026-11-01 00:00\""), (V{"digits:2"}));
}

TEST_F(QueryEvalTest, ParamsAndMissingNames) {
  EXPECT_EQ(Run("params.optimizer = \"adam\""), (V{"digits:0", "digits:3", "mnist:0"}));
  EXPECT_EQ(Run("params.optimizer NOT IN (\"adam\", \"sgd\")"), (V{"digits:2"}));
  EXPECT_EQ(Run("params.layers >= 4"), (V{"digits:2", "digits:3"}));
  EXPECT_EQ(Run("EXISTS params.layers AND study = \"mnist\""), V{});
  EXPECT_EQ(Run("params.layers IS NULL"), (V{"mnist:0"}));
  EXPECT_EQ(Run("params.nope = 1"), V{});
  // A missing value is not "different": != needs the field.
  EXPECT_EQ(Run("params.layers != 2"), (V{"digits:1", "digits:2", "digits:3"}));
  // A type mismatch is false, not an error.
  EXPECT_EQ(Run("params.optimizer > 3"), V{});
}

TEST_F(QueryEvalTest, MetricsAndTheirStatistics) {
  EXPECT_EQ(Run("metrics.val_acc >= 0.8"), (V{"digits:0", "digits:1"}));
  EXPECT_EQ(Run("metrics.val_acc.best > 0.95"), (V{"digits:0"}));
  EXPECT_EQ(Run("metrics.loss.max = 3"), (V{"mnist:0"}));
  // Only the objective has a best: digits maximises val_acc, and its loss
  // (max 2.0) must not read as a best loss of 2.
  EXPECT_EQ(Run("metrics.loss.best > 1.5"), V{});
  EXPECT_EQ(Run("metrics.loss.max > 1.5"), (V{"digits:0", "digits:1", "digits:2", "mnist:0"}));
  EXPECT_EQ(Run("metrics.val_acc.best > 0.29 AND study = \"digits\""), (V{"digits:0", "digits:1", "digits:2", "digits:3"}));
  // Trial 3 had no summary in attrs: it was computed from its points.
  EXPECT_EQ(Run("metrics.val_acc.steps = 3 AND metrics.val_acc.max > 0.29"), (V{"digits:3"}));
  EXPECT_EQ(Run("metrics.n_params > 1000"), (V{"mnist:0"}));
  EXPECT_EQ(Run("metrics.unknown > 0"), V{});
}

TEST_F(QueryEvalTest, ContextFields) {
  EXPECT_EQ(Run("gpu.name ~ \"H100\""), (V{"digits:1"}));
  EXPECT_EQ(Run("gpu.uuid = \"GPU-aaa\""), (V{"digits:0", "digits:2"}));
  EXPECT_EQ(Run("gpu.memory > 8e10"), (V{"digits:0", "digits:1", "digits:2"}));
  EXPECT_EQ(Run("gpu.count = 0"), (V{"digits:3", "mnist:0"}));
  EXPECT_EQ(Run("host.hostname = \"node-b\""), (V{"digits:1"}));
  EXPECT_EQ(Run("env.torch ~ \"^1\\.\""), (V{"digits:1"}));
  EXPECT_EQ(Run("env.scikit-learn = \"1.2.1\" AND env.libc6 = \"2.36-9\""), (V{"digits:0", "digits:1", "digits:2"}));
  EXPECT_EQ(Run("envvar.OMP_NUM_THREADS = \"8\""), (V{"digits:1"}));
  EXPECT_EQ(Run("dataset.digits = \"h2\""), (V{"digits:1"}));
  EXPECT_EQ(Run("dataset./data/digits = \"h1\""), (V{"digits:0", "digits:2"}));
  EXPECT_EQ(Run("code.commit = \"abc123\" AND code.dirty = false AND number = 0"), (V{"digits:0"}));
  EXPECT_EQ(Run("seed = 2"), (V{"digits:1"}));
  EXPECT_EQ(Run("attrs.artifacts.0.size > 4002"), (V{"digits:2"}));
  EXPECT_EQ(Run("attrs.context.software = \"sw1\""), (V{"digits:1"}));
  // An object (or a list of objects) is there, though it has no value to
  // compare; JSON null is not.
  EXPECT_EQ(Run("EXISTS attrs.context AND study = \"digits\""), (V{"digits:0", "digits:1", "digits:2"}));
  EXPECT_EQ(Run("attrs.context IS NULL"), (V{"digits:3", "mnist:0"}));
  EXPECT_EQ(Run("EXISTS attrs.context.datasets AND number = 0"), (V{"digits:0"}));
  EXPECT_EQ(Run("attrs.context.container IS NOT NULL"), V{});
}

TEST_F(QueryEvalTest, NotAndEmptyQuery) {
  EXPECT_EQ(Run("NOT study = \"digits\""), (V{"mnist:0"}));
  EXPECT_EQ(Run("NOT (value > 0.5 OR value IS NULL)"), (V{"digits:2", "mnist:0"}));
  EXPECT_EQ(Run("").size(), 5u);
}

TEST_F(QueryEvalTest, SortAndLimit) {
  EXPECT_EQ(Run("study = \"digits\"", {.sort = "-value"}), (V{"digits:0", "digits:1", "digits:2", "digits:3"}));
  EXPECT_EQ(Run("study = \"digits\"", {.sort = "value"}), (V{"digits:2", "digits:1", "digits:0", "digits:3"}));
  EXPECT_EQ(Run("", {.sort = "params.lr", .limit = 2}), (V{"digits:0", "mnist:0"}));
  EXPECT_EQ(Run("", {.sort = "-started", .limit = 1}), (V{"mnist:0"}));
  auto bad = RunQuery(*index_, "", {.sort = "nonsense"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--sort: unknown field 'nonsense'"), std::string::npos);
  EXPECT_FALSE(RunQuery(*index_, "", {.limit = -1}).ok());
}

TEST_F(QueryEvalTest, OutputsNameTheQueriedFields) {
  auto r = RunQuery(*index_, "gpu.name ~ \"A100\" AND value > 0", {.sort = "-params.lr", .limit = 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->matched, 2);
  EXPECT_EQ(r->columns, (std::vector<std::string>{"gpu.name", "params.lr"}));
  auto j = QueryResultJson(*index_, *r);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["study"], "digits");
  EXPECT_EQ(j[0]["number"], 2);
  EXPECT_EQ(j[0]["fields"]["gpu.name"], "NVIDIA A100-SXM4-80GB");
  EXPECT_DOUBLE_EQ(j[0]["fields"]["params.lr"].get<double>(), 0.005);
  std::string table = RenderQueryTable(*index_, *r);
  EXPECT_NE(table.find("study   number  state    value  gpu.name               params.lr"), std::string::npos) << table;
  EXPECT_NE(table.find("digits  2       stopped  0.5    NVIDIA A100-SXM4-80GB  0.005"), std::string::npos) << table;
  EXPECT_NE(table.find("(1 of 2 matching trials shown)"), std::string::npos) << table;
}

// Integers print exactly and times as dates, in the table as in `status`;
// integers stay integers in JSON.
TEST_F(QueryEvalTest, IntegersAndDatesPrintAsPeopleWriteThem) {
  auto r = RunQuery(*index_, "seed = 2 AND created > \"2026-01-01\"", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->matched, 1);
  auto j = QueryResultJson(*index_, *r);
  EXPECT_TRUE(j[0]["fields"]["seed"].is_number_integer()) << j[0]["fields"].dump();
  std::string table = RenderQueryTable(*index_, *r);
  EXPECT_NE(table.find("digits  1       completed"), std::string::npos) << table;
  EXPECT_NE(table.find("2026-1"), std::string::npos) << "created as a date: " << table;
  EXPECT_EQ(table.find("e+09"), std::string::npos) << table;
  EXPECT_EQ(query::FormatNumber(3000003), "3000003");
  EXPECT_EQ(query::FormatNumber(0.123456789), "0.123457");
  EXPECT_EQ(query::FormatDate(0), "1970-01-01 00:00:00");
}

TEST_F(QueryEvalTest, ParseErrorsComeBackFromRunQuery) {
  auto r = RunQuery(*index_, "value >", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("query:1:8: expected a value after '>'"), std::string::npos);
}

TEST_F(QueryEvalTest, BuildForSomeStudies) {
  auto index = TrialIndex::Build(*store_, {.studies = {"mnist"}});
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->trials().size(), 1u);
  auto missing = TrialIndex::Build(*store_, {.studies = {"nope"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cairn::testing
