// The query language at the target size: 10,000 trials of 100 steps. Checks
// the answers against a direct scan of the generated records (not the time;
// bench/query_bench.cc measures that).
#include <gtest/gtest.h>

#include "cairn/query.h"
#include "cairn/query/synthetic.h"

namespace cairn::query {
namespace {

TEST(QueryScale, TenThousandTrialsAnswerLikeADirectScan) {
  SyntheticOptions options{.studies = 10, .trials_per_study = 1000, .steps = 100, .seed = 7, .keep_points = false};
  auto studies = MakeSyntheticStudies(options);

  // The records, scanned by hand.
  int expected = 0, expected_a100_torch2 = 0;
  double best = -1;
  for (const auto& s : studies) {
    for (const auto& t : s.trials) {
      double lr = std::get<double>(t.params.at("lr"));
      const std::string& opt = std::get<std::string>(t.params.at("optimizer"));
      if ((lr < 0.01 || opt == "sgd") && *t.value > 0.6 && t.state == TrialState::kCompleted) ++expected;
      const auto& ctx = t.attrs["context"];
      if (ctx["gpus"][0]["name"].get<std::string>().find("A100") != std::string::npos &&
          ctx["software"] == "sw1" && s.study.name != "study3") {
        ++expected_a100_torch2;
      }
      best = std::max(best, *t.value);
    }
  }
  ASSERT_GT(expected, 100);

  auto blobs = SyntheticBlobs();
  auto index = std::make_unique<TrialIndex>([&blobs](const std::string& hash) -> Result<nlohmann::json> {
    auto it = blobs.find(hash);
    if (it == blobs.end()) return NotFound(hash);
    return it->second;
  });
  for (auto& s : studies) ASSERT_TRUE(index->AddStudy(std::move(s.study), std::move(s.trials)).ok());
  ASSERT_EQ(index->trials().size(), 10000u);

  auto r = RunQuery(*index, "(params.lr < 0.01 OR params.optimizer = \"sgd\") AND metrics.acc > 0.6 AND state = \"completed\"", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->matched, expected);

  r = RunQuery(*index, "gpu.name ~ \"A100\" AND env.torch ~ \"^2\\.\" AND NOT study = \"study3\"", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->matched, expected_a100_torch2);

  r = RunQuery(*index, "metrics.acc.steps = 100", {.sort = "-value", .limit = 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->matched, 10000);
  ASSERT_EQ(r->trials.size(), 3u);
  EXPECT_DOUBLE_EQ(*r->trials[0]->record.value, best);
  EXPECT_GE(*r->trials[1]->record.value, *r->trials[2]->record.value);
}

}  // namespace
}  // namespace cairn::query
