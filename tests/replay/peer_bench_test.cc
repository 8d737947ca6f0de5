// The Optuna peer script, run on a small constructed file.
#include <cstdlib>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "cairn/bench_schedulers.h"
#include "replay/replay_testing.h"
#include "support/paths.h"

namespace cairn {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// Importing optuna takes seconds on a loaded box: check once.
bool HaveOptuna() {
  static const bool have = [] {
    if (!std::filesystem::exists(kPython)) return false;
    std::string cmd = std::string(kPython) + " -c 'import optuna' >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }();
  return have;
}

std::vector<CurveRecord> SmallFile() {
  std::vector<CurveRecord> curves;
  for (int i = 0; i < 12; ++i) {
    std::vector<double> values;
    for (int s = 1; s <= 6; ++s) values.push_back(0.1 * (i % 5) + 0.01 * s * (i % 3));
    if (i == 4) values[2] = testing::kNull;  // a null step costs an epoch
    curves.push_back(testing::MakeCurve("p/t/c" + std::to_string(i), values));
  }
  return curves;
}

TEST(PeerBench, RunsTheScriptAndMatchesOurNoneRow) {
  if (!HaveOptuna()) GTEST_SKIP() << kPython << " has no optuna (Debian python3-optuna)";
  auto dir = testing::MakeTempDir("cairn-peer");
  SchedulerBenchOptions o;
  o.curves = dir / "small.jsonl";
  ASSERT_TRUE(WriteCurvesFile(o.curves, SmallFile()).ok());
  o.n = 10;
  o.repeats = 2;
  o.peer_script = testing::SourceDir() / "bench" / "optuna_pruners.py";
  auto peer = RunPeerBench(o, kPython);
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  EXPECT_EQ((*peer)["n"], 10);
  EXPECT_EQ((*peer)["mode"], "max");
  std::map<std::string, nlohmann::json> rows;
  for (const auto& row : (*peer)["schedulers"]) rows[row["name"]] = row;
  ASSERT_EQ(rows.size(), 4u);
  for (const char* name : {"optuna-median", "optuna-successive_halving", "optuna-hyperband"}) {
    ASSERT_TRUE(rows.count(name)) << name;
    EXPECT_LE(rows[name]["epochs_used"].get<double>(), rows[name]["epochs_full"].get<double>());
  }
  o.schedulers = {"none"};
  auto ours = RunSchedulerBench(o);
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  const auto& none = (*ours)["schedulers"][0];
  EXPECT_DOUBLE_EQ(rows["optuna-none"]["epochs_full"].get<double>(), none["epochs_full"].get<double>());
  EXPECT_DOUBLE_EQ(rows["optuna-none"]["epochs_used"].get<double>(), 60.0);
  EXPECT_DOUBLE_EQ(rows["optuna-none"]["regret"].get<double>(), 0.0);
  std::string table = RenderBenchTable(*ours, &*peer);
  EXPECT_NE(table.find("optuna-hyperband"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(PeerBench, CountsEpochsInTheFilesSteps) {
  if (!HaveOptuna()) GTEST_SKIP() << kPython << " has no optuna (Debian python3-optuna)";
  auto dir = testing::MakeTempDir("cairn-peer-steps");
  auto curves = SmallFile();
  for (auto& c : curves) {
    for (size_t i = 0; i < c.values.size(); ++i) c.steps.push_back(3 * static_cast<int64_t>(i + 1));
  }
  SchedulerBenchOptions o;
  o.curves = dir / "stepped.jsonl";
  ASSERT_TRUE(WriteCurvesFile(o.curves, curves).ok());
  o.n = 10;
  o.repeats = 2;
  o.peer_script = testing::SourceDir() / "bench" / "optuna_pruners.py";
  auto peer = RunPeerBench(o, kPython);
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  std::map<std::string, nlohmann::json> rows;
  for (const auto& row : (*peer)["schedulers"]) rows[row["name"]] = row;
  // 10 curves of 6 values at steps 3, 6, ..., 18: 180 epochs, not 60 reports.
  EXPECT_DOUBLE_EQ(rows["optuna-none"]["epochs_full"].get<double>(), 180.0);
  EXPECT_DOUBLE_EQ(rows["optuna-none"]["epochs_used"].get<double>(), 180.0);
  o.schedulers = {"none"};
  auto ours = RunSchedulerBench(o);
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  EXPECT_DOUBLE_EQ(rows["optuna-none"]["epochs_full"].get<double>(),
                   (*ours)["schedulers"][0]["epochs_full"].get<double>());
  std::filesystem::remove_all(dir);
}

TEST(PeerBench, MissingScriptIsUnavailable) {
  SchedulerBenchOptions o;
  o.curves = "whatever.jsonl";
  o.peer_script = "/nonexistent/optuna_pruners.py";
  auto r = RunPeerBench(o, kPython);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("/nonexistent/optuna_pruners.py"), std::string::npos);
}

TEST(PeerBench, APythonWithoutOptunaIsNamedBeforeAnythingRuns) {
  SchedulerBenchOptions o;
  o.curves = "whatever.jsonl";
  o.peer_script = testing::SourceDir() / "bench" / "optuna_pruners.py";
  Status st = CheckPeerBench(o, "/bin/false");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("/bin/false cannot import optuna"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("python3-optuna"), std::string::npos) << st.message();
  if (HaveOptuna()) {
    EXPECT_TRUE(CheckPeerBench(o, kPython).ok());
  }
}

TEST(PeerBench, ScriptFailureCarriesItsMessage) {
  if (!HaveOptuna()) GTEST_SKIP() << kPython << " has no optuna (Debian python3-optuna)";
  SchedulerBenchOptions o;
  o.curves = "/nonexistent/curves.jsonl";
  o.peer_script = testing::SourceDir() / "bench" / "optuna_pruners.py";
  auto r = RunPeerBench(o, kPython);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/curves.jsonl"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace cairn
