// `cairn plot curves` on a small store and a curve file.
#include <gtest/gtest.h>

#include "cli/cli_fixtures.h"
#include "cli/cli_runner.h"

namespace cairn::testing {
namespace {

class PlotCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("cairn-cli-plot");
    store_ = "sqlite://" + (dir_ / "s.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string store_;
};

TEST_F(PlotCli, PlotsAStudyWithStopsAndPredictions) {
  BuildSampleStore(dir_ / "s.db");
  auto svg = dir_ / "demo.svg";
  auto r = RunCairn({"plot", "curves", "demo", "-o", svg.string(), "--store", store_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = r.Json();
  EXPECT_EQ(j["output"], svg.string());
  EXPECT_EQ(j["title"], "demo");
  EXPECT_EQ(j["metric"], "acc");
  EXPECT_EQ(j["curves"], 6);
  EXPECT_EQ(j["stopped"], 2);
  EXPECT_EQ(j["predictions"], 1);
  std::string doc = ReadFile(svg);
  EXPECT_EQ(j["bytes"], doc.size());
  EXPECT_EQ(doc.rfind("<?xml", 0), 0u);
  EXPECT_NE(doc.find(">demo</text>"), std::string::npos);
  EXPECT_NE(doc.find("6 curves: 3 completed, 2 stopped, 1 failed"), std::string::npos);
  EXPECT_NE(doc.find("by predictive: predicted 0.3 [0.25, 0.35] at step 20"), std::string::npos);
  EXPECT_NE(doc.find(">best: trial 2</text>"), std::string::npos);
}

TEST_F(PlotCli, DirectionSaysWhichEndOfAnotherMetricIsBest) {
  BuildSampleStore(dir_ / "s.db");
  auto svg = (dir_ / "d.svg").string();
  auto up = RunCairn({"plot", "curves", "demo", "-o", svg, "--store", store_});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(ReadFile(svg).find(">best: trial 2</text>"), std::string::npos);
  // The same values read as a loss: the best is now the lowest final.
  auto down = RunCairn({"plot", "curves", "demo", "-o", svg, "--store", store_, "--direction", "minimize"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  std::string doc = ReadFile(svg);
  EXPECT_NE(doc.find("(minimize)"), std::string::npos);
  EXPECT_EQ(doc.find(">best: trial 2</text>"), std::string::npos);
  EXPECT_EQ(down.err.find("is not the objective"), std::string::npos) << down.err;
  auto bad = RunCairn({"plot", "curves", "demo", "-o", svg, "--store", store_, "--direction", "down"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--direction 'down'"), std::string::npos) << bad.err;
}

TEST_F(PlotCli, PlotsACurveFileWithTextSummary) {
  auto file = dir_ / "c.jsonl";
  WriteSampleCurves(file, 8);
  auto svg = dir_ / "c.svg";
  auto r = RunCairn({"plot", "curves", "--curves", file.string(), "-o", svg.string(), "--log-y"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote " + svg.string() + ": 8 curves of acc"), std::string::npos) << r.out;
  std::string doc = ReadFile(svg);
  EXPECT_NE(doc.find(">c.jsonl</text>"), std::string::npos);
  EXPECT_NE(doc.find("acc (log scale)"), std::string::npos);
  EXPECT_NE(doc.find(">best: test/task/cfg6</text>"), std::string::npos);  // 0.3 + 0.05 * 6, saturated
}

// An exported study plotted from its file looks like the study: its
// stopped and failed trials are drawn as such.
TEST_F(PlotCli, AnExportedStudysFileKeepsItsStates) {
  BuildSampleStore(dir_ / "s.db");
  auto file = (dir_ / "demo.jsonl").string();
  ASSERT_EQ(RunCairn({"export", "demo", "--format", "curves", "-o", file, "--store", store_}).exit_code, 0);
  auto svg = (dir_ / "f.svg").string();
  auto r = RunCairn({"plot", "curves", "--curves", file, "-o", svg, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Json()["stopped"], 2);
  EXPECT_NE(ReadFile(svg).find("6 curves: 3 completed, 2 stopped, 1 failed"), std::string::npos);
}

TEST_F(PlotCli, CurveFileOfSeveralMetricsNeedsMetric) {
  auto a = dir_ / "a.jsonl", b = dir_ / "b.jsonl", both = dir_ / "both.jsonl";
  WriteSampleCurves(a, 2, 5, "acc");
  WriteSampleCurves(b, 3, 5, "loss");
  WriteFile(both, ReadFile(a) + ReadFile(b));
  auto svg = (dir_ / "x.svg").string();
  auto r = RunCairn({"plot", "curves", "--curves", both.string(), "-o", svg});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("choose one with --metric"), std::string::npos) << r.err;
  auto ok = RunCairn({"plot", "curves", "--curves", both.string(), "-o", svg, "--metric", "loss", "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.Json()["curves"], 3);
}

// A curve ending in a null failed there (as a replay reads it): it is drawn
// as failed and cannot be the best. Modes that differ are not one task.
TEST_F(PlotCli, CurveFileNullEndsAndMixedModes) {
  auto file = dir_ / "c.jsonl";
  WriteSampleCurves(file, 8);
  std::string text = ReadFile(file);
  const std::string best_line = "\"id\":\"test/task/cfg6\"";
  ASSERT_NE(text.find(best_line), std::string::npos);
  // The best curve's values end in null.
  const size_t at = text.find(best_line);
  const size_t close = text.find("]", text.find("\"values\"", at));
  std::string nulled = text;
  nulled.insert(close, ",null");
  auto with_null = dir_ / "n.jsonl";
  WriteFile(with_null, nulled);
  auto svg = (dir_ / "n.svg").string();
  auto r = RunCairn({"plot", "curves", "--curves", with_null.string(), "-o", svg});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string doc = ReadFile(svg);
  EXPECT_NE(doc.find("8 curves: 7 completed, 1 failed"), std::string::npos) << doc.substr(0, 2000);
  EXPECT_EQ(doc.find(">best: test/task/cfg6</text>"), std::string::npos);

  std::string mixed = text;
  const size_t mode = mixed.find("\"mode\":\"max\"", mixed.find("cfg3"));
  ASSERT_NE(mode, std::string::npos);
  mixed.replace(mode, 12, "\"mode\":\"min\"");
  auto mixed_file = dir_ / "m.jsonl";
  WriteFile(mixed_file, mixed);
  auto m = RunCairn({"plot", "curves", "--curves", mixed_file.string(), "-o", svg});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find("m.jsonl:4: curve test/task/cfg3 has mode min but curve test/task/cfg0 has max"),
            std::string::npos)
      << m.err;
  auto png = RunCairn({"plot", "curves", "--curves", file.string(), "-o", (dir_ / "x.png").string()});
  EXPECT_EQ(png.exit_code, 2);
  EXPECT_NE(png.err.find("plots are written as SVG; give a name ending in .svg"), std::string::npos) << png.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.png"));
}

TEST_F(PlotCli, BadInputsAreClearErrors) {
  BuildSampleStore(dir_ / "s.db");
  auto svg = (dir_ / "x.svg").string();
  auto neither = RunCairn({"plot", "curves", "-o", svg, "--store", store_});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.err.find("give a STUDY or --curves FILE\n"), std::string::npos) << neither.err;
  auto both = RunCairn({"plot", "curves", "demo", "--curves", svg, "-o", svg, "--store", store_});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("give either a STUDY or --curves FILE, not both"), std::string::npos) << both.err;
  auto ghost = RunCairn({"plot", "curves", "ghost", "-o", svg, "--store", store_});
  EXPECT_EQ(ghost.exit_code, 2);
  EXPECT_NE(ghost.err.find("ghost"), std::string::npos) << ghost.err;
  auto missing = (dir_ / "missing.jsonl").string();
  auto nofile = RunCairn({"plot", "curves", "--curves", missing, "-o", svg});
  EXPECT_EQ(nofile.exit_code, 2);
  EXPECT_NE(nofile.err.find(missing), std::string::npos) << nofile.err;
  auto nometric = RunCairn({"plot", "curves", "demo", "-o", svg, "--store", store_, "--metric", "loss"});
  EXPECT_EQ(nometric.exit_code, 2);
  EXPECT_NE(nometric.err.find("no trial with metric 'loss'"), std::string::npos) << nometric.err;
  // No note on which end of the metric is best when there is nothing to plot;
  // once a trial has that metric, the plot says which end it took.
  EXPECT_EQ(nometric.err.find("note:"), std::string::npos) << nometric.err;
  {
    auto store = OpenStore(store_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto study = (*store)->GetStudy("demo");
    ASSERT_TRUE(study.ok());
    auto trial = TrialOfStudy(**store, *study, 0);
    ASSERT_TRUE(trial.ok());
    std::vector<MetricPoint> loss = {{trial->id, "loss", 1, 0.9, 1e9}, {trial->id, "loss", 2, 0.5, 1e9 + 1}};
    ASSERT_TRUE((*store)->AppendMetrics(loss).ok());
  }
  auto other = RunCairn({"plot", "curves", "demo", "-o", svg, "--store", store_, "--metric", "loss"});
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.err.find("note: loss is not the objective; its best curve is taken at its highest end"),
            std::string::npos) << other.err;
  std::filesystem::remove(svg);
  auto unwritable = RunCairn({"plot", "curves", "demo", "-o", (dir_ / "no" / "x.svg").string(), "--store", store_});
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_NE(unwritable.err.find("no/x.svg"), std::string::npos) << unwritable.err;
  EXPECT_FALSE(std::filesystem::exists(svg));
}

TEST_F(PlotCli, OutputIsRequiredAndHelpExplainsTheColours) {
  auto r = RunCairn({"plot", "curves", "demo"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--output"), std::string::npos) << r.err;
  auto help = RunCairn({"plot", "curves", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--log-y"), std::string::npos);
  EXPECT_NE(help.out.find("--metric"), std::string::npos);
  EXPECT_NE(help.out.find("red dot where"), std::string::npos);
}

}  // namespace
}  // namespace cairn::testing
