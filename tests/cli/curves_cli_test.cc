// `cairn curves index` on constructed curve files and a small store.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cairn/curves_file.h"
#include "cli/cli_fixtures.h"
#include "cli/cli_runner.h"

namespace cairn::testing {
namespace {

class CurvesIndexCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("cairn-cli-curves"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CurvesIndexCli, IndexesACurveFileAsJson) {
  auto file = dir_ / "c.jsonl";
  WriteSampleCurves(file, 12);
  auto r = RunCairn({"curves", "index", file.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = r.Json();
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["num_curves"], 12);
  EXPECT_EQ(j["num_used"], 12);
  ASSERT_TRUE(j["cells"].is_array());
  ASSERT_FALSE(j["cells"].empty());
  for (const char* key : {"kind", "predictor", "fraction", "count", "median_norm_error"}) {
    EXPECT_TRUE(j["cells"][0].contains(key)) << key;
  }
  int kinds = 0;
  for (const auto& [kind, count] : j["kind_counts"].items()) kinds += count.get<int>();
  EXPECT_EQ(kinds, 12);
  // Twelve curves are enough to learn a line from the others.
  int study_line_cells = 0;
  for (const auto& cell : j["cells"]) {
    if (cell["predictor"] == "study_line") {
      ++study_line_cells;
      EXPECT_TRUE(cell.contains("coverage")) << cell.dump();
    }
  }
  EXPECT_GT(study_line_cells, 0);
  ASSERT_TRUE(j["rank_stability"].is_array());
  ASSERT_FALSE(j["rank_stability"].empty());
  EXPECT_EQ(j["rank_stability"][0]["step"], 1);
  EXPECT_EQ(j["rank_stability"][0]["count"], 12);
  EXPECT_NE(r.err.find("fitting 12 of 12 curves"), std::string::npos) << r.err;
}

TEST_F(CurvesIndexCli, MaxCurvesLimitsTheCurvesUsedAndTextIsATable) {
  auto file = dir_ / "c.jsonl";
  WriteSampleCurves(file, 12);
  auto r = RunCairn({"curves", "index", file.string(), "--max-curves", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ensemble"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("last_value"), std::string::npos);
  auto j = RunCairn({"curves", "index", file.string(), "--max-curves", "4", "--json"}).Json();
  EXPECT_EQ(j["num_used"], 4);
}

TEST_F(CurvesIndexCli, IndexesAStudysObjectiveCurves) {
  BuildSampleStore(dir_ / "s.db");
  auto r = RunCairn({"curves", "index", "demo", "--store", "sqlite://" + (dir_ / "s.db").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Trials 0-2 completed; the stopped and the failed ones have no final value.
  EXPECT_EQ(r.Json()["num_curves"], 3);
  EXPECT_EQ(r.Json()["cut_short"], 3);
  EXPECT_NE(r.err.find("left out 3 curves cut short"), std::string::npos) << r.err;
}

// Run where a folder shares the study's name (a study file's own folder,
// as examples/digits): the study is indexed, the folder does not hide it.
TEST_F(CurvesIndexCli, AFolderNamedLikeTheStudyDoesNotHideIt) {
  BuildSampleStore(dir_ / "s.db");
  std::filesystem::create_directories(dir_ / "demo");
  auto r = RunCairn({"curves", "index", "demo", "--store", "sqlite://" + (dir_ / "s.db").string(), "--json"}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Json()["num_curves"], 3);
  std::filesystem::create_directories(dir_ / "other");
  auto folder = RunCairn({"curves", "index", "other", "--store", "sqlite://" + (dir_ / "s.db").string()}, dir_);
  EXPECT_EQ(folder.exit_code, 2);
  EXPECT_NE(folder.err.find("other: is a folder, not a curve file"), std::string::npos) << folder.err;
}

TEST_F(CurvesIndexCli, ExportToStandardOutputForAPipe) {
  BuildSampleStore(dir_ / "s.db");
  const std::string store = "sqlite://" + (dir_ / "s.db").string();
  auto r = RunCairn({"export", "demo", "--format", "curves", "-o", "-", "--store", store});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists("-"));
  size_t lines = 0;
  for (size_t at = 0, nl; (nl = r.out.find('\n', at)) != std::string::npos; at = nl + 1, ++lines) {
    auto curve = ParseCurveLine(r.out.substr(at, nl - at), "stdout");
    EXPECT_TRUE(curve.ok()) << curve.status().ToString();
  }
  EXPECT_EQ(lines, 6u) << r.out;
  auto crate = RunCairn({"export", "demo", "--format", "ro-crate", "-o", "-", "--store", store});
  EXPECT_EQ(crate.exit_code, 2);
  EXPECT_NE(crate.err.find("an RO-Crate is a folder"), std::string::npos) << crate.err;
}

TEST_F(CurvesIndexCli, BoundsReachTheFits) {
  auto file = dir_ / "c.jsonl";
  WriteSampleCurves(file, 12);
  double top = 0;
  for (int i = 0; i < 12; ++i) {
    for (int s = 1; s <= 20; ++s) top = std::max(top, SampleValue(i, s));
  }
  auto free = RunCairn({"curves", "index", file.string(), "--json"});
  // Curves rise towards 0.3 .. 0.85; a ceiling at the highest value caps
  // the predictions that would pass it.
  const std::string ceiling = fmt::format("0,{}", top);
  auto capped = RunCairn({"curves", "index", file.string(), "--bounds", ceiling, "--json"});
  ASSERT_EQ(capped.exit_code, 0) << capped.err;
  EXPECT_NE(capped.err.find(fmt::format("within [0, {}]", top)), std::string::npos) << capped.err;
  EXPECT_EQ(capped.err.find("warning: "), std::string::npos) << capped.err;
  EXPECT_EQ(capped.Json()["bounds"], (nlohmann::json{0.0, top}));
  EXPECT_EQ(free.Json()["bounds"], (nlohmann::json{nullptr, nullptr}));
  EXPECT_NE(capped.Json()["cells"], free.Json()["cells"]);
  auto open_top = RunCairn({"curves", "index", file.string(), "--bounds", "0,"});
  EXPECT_EQ(open_top.exit_code, 0) << open_top.err;
  EXPECT_NE(open_top.err.find("within [0, inf]"), std::string::npos) << open_top.err;
  EXPECT_EQ(RunCairn({"curves", "index", file.string(), "--bounds", "0, 1"}).exit_code, 0) << "a space is fine";
  for (const char* bad : {"1", "0,x", "1,0", "0,1,2", "0x1,2", "0,1e"}) {
    auto r = RunCairn({"curves", "index", file.string(), "--bounds", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--bounds '" + std::string(bad) + "'"), std::string::npos) << r.err;
  }
  // Bounds the data cross are not the metric's range (a percentage given
  // 0,1): refused, naming a value outside.
  auto crossed = RunCairn({"curves", "index", file.string(), "--bounds", "0,0.6"});
  EXPECT_EQ(crossed.exit_code, 2) << crossed.err;
  EXPECT_NE(crossed.err.find("--bounds 0,0.6: "), std::string::npos) << crossed.err;
  EXPECT_NE(crossed.err.find("lie outside (first: curve test/task/cfg"), std::string::npos) << crossed.err;
  EXPECT_TRUE(crossed.out.empty()) << crossed.out;
}

TEST_F(CurvesIndexCli, MissingFileIsNamed) {
  auto missing = (dir_ / "nope.jsonl").string();
  auto r = RunCairn({"curves", "index", missing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CurvesIndexCli, UnknownStudyNamesTheStore) {
  auto r = RunCairn({"curves", "index", "ghost", "--store", "sqlite://" + (dir_ / "s.db").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'ghost' is neither a curve file nor a study"), std::string::npos) << r.err;
}

TEST_F(CurvesIndexCli, MalformedLineIsNamedFileColonLine) {
  auto file = dir_ / "bad.jsonl";
  WriteSampleCurves(file, 2);
  std::string text = ReadFile(file) +
                     R"({"id": "t/t/x", "metric": "acc", "mode": "max", "values": [0.1, "x"]})" "\n";
  WriteFile(file, text);
  auto r = RunCairn({"curves", "index", file.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(file.string() + ":3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("values[1]"), std::string::npos) << r.err;
}

TEST_F(CurvesIndexCli, HelpDescribesTheCommand) {
  auto r = RunCairn({"curves", "index", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--max-curves"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--json"), std::string::npos);
  EXPECT_NE(r.out.find("--store"), std::string::npos);
  EXPECT_NE(r.out.find("late learner"), std::string::npos);
  auto top = RunCairn({"--help"});
  EXPECT_NE(top.out.find("curves"), std::string::npos);
  EXPECT_NE(top.out.find("plot"), std::string::npos);
}

}  // namespace
}  // namespace cairn::testing
