// Metric points: ordering, key filter, special values, batches, atomicity.
#include <cmath>
#include <limits>

#include "cairn/store_bench.h"
#include "store/store_fixture.h"

namespace cairn::testing {
namespace {

class StoreMetricsTest : public StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = Open();
    ASSERT_TRUE(store_);
    study_ = *store_->CreateStudy({.name = "m", .objective = "loss"});
    trial_ = *store_->CreateTrial({.study_id = study_, .number = 0});
    other_ = *store_->CreateTrial({.study_id = study_, .number = 1});
  }

  std::vector<MetricPoint> Read(std::optional<std::string> key = std::nullopt) {
    auto r = store_->ReadMetrics({.trial_id = trial_, .key = std::move(key)});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<MetricPoint>{};
  }

  std::unique_ptr<Store> store_;
  int64_t study_ = 0, trial_ = 0, other_ = 0;
};
CAIRN_INSTANTIATE_BACKENDS(StoreMetricsTest);

TEST_P(StoreMetricsTest, ReadsAreOrderedByKeyStepTime) {
  std::vector<MetricPoint> in = {
      {trial_, "loss", 2, 0.5, 102.0}, {trial_, "acc", 1, 0.6, 101.0},
      {trial_, "loss", 1, 0.7, 101.5}, {trial_, "loss", 1, 0.65, 101.0},
      {other_, "loss", 1, 9.0, 100.0}, {trial_, "Zeta", 0, 1.0, 100.0},
      {trial_, "acc", 0, 0.1, 100.0},
  };
  ASSERT_TRUE(store_->AppendMetrics(in).ok());
  auto out = Read();
  ASSERT_EQ(out.size(), 6u);  // the other trial's point is not ours
  // Bytewise key order: "Zeta" < "acc" < "loss".
  std::vector<std::tuple<std::string, int64_t, double>> got;
  for (const auto& p : out) got.emplace_back(p.key, p.step, p.time);
  std::vector<std::tuple<std::string, int64_t, double>> want = {
      {"Zeta", 0, 100.0}, {"acc", 0, 100.0}, {"acc", 1, 101.0},
      {"loss", 1, 101.0}, {"loss", 1, 101.5}, {"loss", 2, 102.0}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(out[3].value, 0.65);
  for (const auto& p : out) EXPECT_EQ(p.trial_id, trial_);
}

TEST_P(StoreMetricsTest, KeyFilter) {
  ASSERT_TRUE(store_->AppendMetrics(std::vector<MetricPoint>{
      {trial_, "loss", 0, 1.0, 1.0}, {trial_, "acc", 0, 0.2, 1.0}, {trial_, "loss", 1, 0.8, 2.0}})
                  .ok());
  auto loss = Read("loss");
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(loss[0].key, "loss");
  EXPECT_EQ(loss[1].value, 0.8);
  EXPECT_TRUE(Read("never_reported").empty());
  EXPECT_EQ(Read("acc").size(), 1u);
}

TEST_P(StoreMetricsTest, SpecialValuesRoundTrip) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {nan, inf, -inf, 0.1, 1e308, -5e-324, 1.0 / 3.0};
  std::vector<MetricPoint> in;
  for (size_t i = 0; i < values.size(); ++i) {
    in.push_back({trial_, "loss", static_cast<int64_t>(i), values[i], 1718000000.123456 + i});
  }
  ASSERT_TRUE(store_->AppendMetrics(in).ok());
  auto out = Read("loss");
  ASSERT_EQ(out.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      EXPECT_TRUE(std::isnan(out[i].value)) << "step " << i;
    } else {
      EXPECT_EQ(out[i].value, values[i]) << "step " << i;
    }
    EXPECT_EQ(out[i].time, in[i].time) << "time keeps full precision";
  }
}

TEST_P(StoreMetricsTest, LargeBatchesKeepEveryPoint) {
  constexpr int kPoints = 10000;
  for (int round = 0; round < 2; ++round) {
    std::vector<MetricPoint> in;
    for (int i = 0; i < kPoints; ++i) {
      int64_t step = round * kPoints + i;
      in.push_back({trial_, i % 2 ? "loss" : "acc", step, std::sin(step * 0.001), step * 0.5});
    }
    ASSERT_TRUE(store_->AppendMetrics(in).ok());
  }
  auto loss = Read("loss");
  ASSERT_EQ(loss.size(), static_cast<size_t>(kPoints));
  for (size_t i = 0; i < loss.size(); ++i) {
    int64_t step = 2 * static_cast<int64_t>(i) + 1;
    ASSERT_EQ(loss[i].step, step);
    ASSERT_EQ(loss[i].value, std::sin(step * 0.001));
  }
  EXPECT_EQ(Read().size(), 2u * kPoints);
}

// A batch is one transaction: one bad point writes nothing, and a key first
// seen in the failed batch is not remembered with a rolled-back id.
TEST_P(StoreMetricsTest, FailedBatchWritesNothing) {
  std::vector<MetricPoint> bad = {{trial_, "fresh_key", 0, 1.0, 1.0},
                                  {trial_ + 1000, "fresh_key", 0, 1.0, 1.0}};
  Status s = store_->AppendMetrics(bad);
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find(std::to_string(trial_ + 1000)), std::string::npos) << s.message();
  EXPECT_TRUE(Read().empty());

  std::vector<MetricPoint> empty_key = {{trial_, "loss", 0, 1.0, 1.0}, {trial_, "", 1, 1.0, 1.0}};
  EXPECT_EQ(store_->AppendMetrics(empty_key).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Read().empty());

  ASSERT_TRUE(store_->AppendMetrics(std::vector<MetricPoint>{{trial_, "fresh_key", 0, 2.0, 1.0}}).ok());
  auto out = Read("fresh_key");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, 2.0);
}

TEST_P(StoreMetricsTest, KeysAreSharedBetweenStores) {
  auto other = Open();
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->AppendMetrics(std::vector<MetricPoint>{{other_, "val_acc", 0, 0.5, 1.0}}).ok());
  ASSERT_TRUE(store_->AppendMetrics(std::vector<MetricPoint>{{trial_, "val_acc", 0, 0.25, 1.0}}).ok());
  // The first store learns the key the second created.
  auto mine = Read("val_acc");
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].value, 0.25);
  auto theirs = store_->ReadMetrics({.trial_id = other_});
  ASSERT_TRUE(theirs.ok());
  ASSERT_EQ(theirs->size(), 1u);
  EXPECT_EQ((*theirs)[0].key, "val_acc");
  EXPECT_EQ((*theirs)[0].value, 0.5);
}

TEST_P(StoreMetricsTest, BenchIngestWritesThroughTheStore) {
  auto r = BenchIngest(url_, 25000, 10000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->points, 25000);
  EXPECT_GT(r->points_per_second, 0.0);
  auto studies = store_->ListStudies();
  ASSERT_TRUE(studies.ok());
  ASSERT_EQ(studies->size(), 2u);
  const StudyRecord& bench = (*studies)[1];
  EXPECT_EQ(bench.name.rfind("bench-ingest-", 0), 0u) << bench.name;
  auto trials = store_->ListTrials(bench.id);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 1u);
  EXPECT_EQ((*trials)[0].state, TrialState::kCompleted) << "a bench study must not look like a run in progress";
  EXPECT_EQ((*trials)[0].steps, 25000);
  auto points = store_->ReadMetrics({.trial_id = (*trials)[0].id, .key = "loss"});
  ASSERT_TRUE(points.ok());
  ASSERT_EQ(points->size(), 25000u);
  EXPECT_EQ(points->back().step, 24999);
  EXPECT_EQ(BenchIngest(url_, 0).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::testing
