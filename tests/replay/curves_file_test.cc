#include "cairn/curves_file.h"

#include <zlib.h>

#include <chrono>
#include <cmath>

#include <gtest/gtest.h>

#include "replay/replay_testing.h"
#include "support/paths.h"

namespace cairn {
namespace {

using testing::MakeTempDir;
using testing::WriteFile;

void WriteGz(const std::filesystem::path& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);
}

class CurvesFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("cairn-curves"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

const char* kTwoLines =
    R"({"id":"s/t/a","params":{"lr":0.1,"opt":"sgd","depth":3},"metric":"acc","mode":"max",)"
    R"("values":[0.1,null,0.5],"seconds":[1.5,2,2.5],"seed":7})"
    "\n\n"
    R"({"id":"s/t/b","params":{},"metric":"acc","mode":"min","values":[3,2],"seconds":4})"
    "\n";

TEST_F(CurvesFileTest, ParsesNullsSecondsFormsAndExtraFields) {
  auto path = dir_ / "c.jsonl";
  WriteFile(path, std::string(kTwoLines) +
                      R"({"id":"s/t/c","metric":"acc","mode":"max","values":[1],"seconds":null})" "\n");
  auto curves = ReadCurvesFile(path);
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  ASSERT_EQ(curves->size(), 3u);
  const CurveRecord& a = (*curves)[0];
  EXPECT_EQ(a.id, "s/t/a");
  EXPECT_EQ(a.metric, "acc");
  EXPECT_EQ(a.direction, Direction::kMaximize);
  ASSERT_EQ(a.values.size(), 3u);
  EXPECT_DOUBLE_EQ(a.values[0], 0.1);
  EXPECT_TRUE(std::isnan(a.values[1]));
  EXPECT_DOUBLE_EQ(a.values[2], 0.5);
  EXPECT_EQ(a.seconds, (std::vector<double>{1.5, 2.0, 2.5}));
  EXPECT_EQ(std::get<int64_t>(a.params.at("depth")), 3);
  EXPECT_EQ(std::get<std::string>(a.params.at("opt")), "sgd");
  EXPECT_EQ(a.extra, nlohmann::json({{"seed", 7}}));
  const CurveRecord& b = (*curves)[1];
  EXPECT_EQ(b.direction, Direction::kMinimize);
  EXPECT_EQ(b.seconds, (std::vector<double>{4.0, 4.0}));  // one number: every step
  EXPECT_TRUE((*curves)[2].seconds.empty());               // null: unknown
  EXPECT_TRUE((*curves)[2].params.empty());
}

TEST_F(CurvesFileTest, ReadsGzipAndPlainAlike) {
  WriteFile(dir_ / "p.jsonl", kTwoLines);
  WriteGz(dir_ / "g.jsonl.gz", kTwoLines);
  auto plain = ReadCurvesFile(dir_ / "p.jsonl");
  auto gz = ReadCurvesFile(dir_ / "g.jsonl.gz");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_TRUE(gz.ok()) << gz.status().ToString();
  ASSERT_EQ(gz->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(CurveRecordToJson((*plain)[i]), CurveRecordToJson((*gz)[i]));
  }
}

TEST_F(CurvesFileTest, ReadsLinesLongerThanTheReadBuffer) {
  std::string values;
  for (int i = 0; i < 20000; ++i) values += (i ? "," : "") + std::to_string(i * 0.001);
  WriteGz(dir_ / "long.jsonl.gz",
          R"({"id":"x","metric":"m","mode":"max","values":[)" + values + "]}\n");
  auto curves = ReadCurvesFile(dir_ / "long.jsonl.gz");
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  ASSERT_EQ((*curves)[0].values.size(), 20000u);
  EXPECT_DOUBLE_EQ((*curves)[0].values.back(), 19.999);
}

struct BadLine {
  std::string line;
  std::string expected;  // substring of the error
};

class CurvesFileErrorTest : public CurvesFileTest, public ::testing::WithParamInterface<BadLine> {};

TEST_P(CurvesFileErrorTest, NamesFileLineAndField) {
  auto path = dir_ / "bad.jsonl";
  // The bad line is line 3 (after a good line and a blank one).
  WriteFile(path, R"({"id":"ok","metric":"m","mode":"max","values":[1]})" "\n\n" + GetParam().line + "\n");
  auto curves = ReadCurvesFile(path);
  ASSERT_FALSE(curves.ok());
  EXPECT_EQ(curves.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(curves.status().message().find(path.string() + ":3"), std::string::npos)
      << curves.status().message();
  EXPECT_NE(curves.status().message().find(GetParam().expected), std::string::npos)
      << curves.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Errors, CurvesFileErrorTest,
    ::testing::Values(
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1,"a"]})", "field 'values[1]'"},
        BadLine{R"({"id":"x","metric":"m","mode":"max"})", "field 'values': missing"},
        BadLine{R"({"metric":"m","mode":"max","values":[1]})", "field 'id': missing"},
        BadLine{R"({"id":"x","metric":"m","mode":"up","values":[1]})", "field 'mode'"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1,2],"seconds":[1]})",
                "field 'seconds': has 1 entries"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1],"seconds":[-1]})",
                "field 'seconds[0]'"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1],"params":{"a":[1]}})",
                "field 'params'"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[]})", "field 'values': empty"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1],"bounds":[0]})", "field 'bounds'"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1],"bounds":[1,0]})",
                "field 'bounds': the lower bound is not below the upper"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1],"bounds":["0",1]})", "field 'bounds'"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[0.2,1e400]})",
                "invalid JSON: number overflow parsing '1e400'"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1],"state":"exploded"})",
                "field 'state': expected a trial state"},
        BadLine{R"({"id":"x", "values": [1,)", "bad.jsonl:3:25: invalid JSON: syntax error"},
        BadLine{R"({"id":"ok","metric":"m","mode":"max","values":[2]})",
                "field 'id': 'ok' with metric m is already on line 1"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1,2],"steps":[10]})",
                "field 'steps': has 1 entries but 'values' has 2"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1,2],"steps":[10,10]})",
                "field 'steps[1]': 10 does not follow 10: steps must increase"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1,2],"steps":[10,20.5]})",
                "field 'steps[1]': expected an integer"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1,2],"steps":[-5,-1]})",
                "field 'steps[0]': -5 is negative"},
        BadLine{R"({"id":"x","metric":"m","mode":"max","values":[1],"state":"running"})",
                "field 'state': expected a trial state (completed, stopped"},
        BadLine{std::string(R"({"id":"x","metric":"m","mode":"max","values":[1]})") + '\0' + "junk",
                "bad.jsonl:3: a NUL byte in the line"}));

// Step 0 (an evaluation before training) is a step like any other.
TEST_F(CurvesFileTest, StepsMayStartAtZero) {
  auto path = dir_ / "zero.jsonl";
  WriteFile(path, R"({"id":"x","metric":"m","mode":"max","values":[0.1,0.5],"steps":[0,1]})" "\n");
  auto curves = ReadCurvesFile(path);
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  EXPECT_EQ((*curves)[0].steps, (std::vector<int64_t>{0, 1}));
}

TEST_F(CurvesFileTest, AFileOfTwoMetricsNamesTheLineOfTheOddCurve) {
  auto path = dir_ / "mixed.jsonl";
  WriteFile(path, R"({"id":"a","metric":"acc","mode":"max","values":[1]})" "\n\n"
                  R"({"id":"b","metric":"loss","mode":"min","values":[1]})" "\n");
  auto curves = ReadCurvesFile(path);
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  EXPECT_EQ((*curves)[1].line, 3);
  Status st = CheckOneTask(*curves, path.string());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), path.string() + ":3: curve 'b' has metric loss (minimize) but the first curve has "
                                          "acc (maximize); one task per file");
}

TEST_F(CurvesFileTest, AFileOfTwoRangesNamesTheLineOfTheOddCurve) {
  auto path = dir_ / "ranges.jsonl";
  WriteFile(path, R"({"id":"a","metric":"acc","mode":"max","values":[1],"bounds":[0,1]})" "\n"
                  R"({"id":"b","metric":"acc","mode":"max","values":[1],"bounds":[0,null]})" "\n");
  auto curves = ReadCurvesFile(path);
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  Status st = CheckOneTask(*curves, path.string());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), path.string() + ":2: curve 'b' has bounds [0, null] but the first curve has [0, 1]; one "
                                          "range per file");
}

// A truncated download is bad input (exit 2), not a failure of the disk.
TEST_F(CurvesFileTest, ATruncatedGzipFileIsBadInput) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += R"({"id":"c)" + std::to_string(i) + R"(","metric":"acc","mode":"max","values":[0.1,0.2,0.3]})" "\n";
  }
  WriteGz(dir_ / "whole.jsonl.gz", text);
  std::string bytes = testing::ReadFile(dir_ / "whole.jsonl.gz");
  WriteFile(dir_ / "cut.jsonl.gz", bytes.substr(0, bytes.size() / 2));
  auto curves = ReadCurvesFile(dir_ / "cut.jsonl.gz");
  ASSERT_FALSE(curves.ok());
  EXPECT_EQ(curves.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(curves.status().message(), (dir_ / "cut.jsonl.gz").string() + ": truncated or corrupt gzip data");
}

TEST_F(CurvesFileTest, MissingFileAndFolderAreSaid) {
  auto curves = ReadCurvesFile(dir_ / "nope.jsonl");
  ASSERT_FALSE(curves.ok());
  EXPECT_EQ(curves.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(curves.status().message(), (dir_ / "nope.jsonl").string() + ": no such curve file");
  auto folder = ReadCurvesFile(dir_);
  EXPECT_EQ(folder.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(folder.status().message(), dir_.string() + ": is a folder, not a curve file");
}

TEST_F(CurvesFileTest, WriteReadRoundTripPlainAndGz) {
  std::vector<CurveRecord> records = {
      testing::MakeCurve("a", {0.5, testing::kNull, 0.75}, {1, 2, 3},
                         {{"lr", 0.01}, {"opt", std::string("adam")}, {"layers", int64_t{2}},
                          {"bn", true}}),
      testing::MakeCurve("b", {1.0}, {}),
  };
  records[0].extra = {{"seed", 3}, {"seconds_kind", "measured"}};
  records[0].steps = {10, 20, 30};  // a program that reports every 10th epoch
  records[1].direction = Direction::kMinimize;
  records[0].lower_bound = 0.0;
  records[0].upper_bound = 1.0;
  records[1].lower_bound = 0.0;  // a loss: open at the top
  for (const char* name : {"out.jsonl", "out.jsonl.gz", "OUT.JSONL.GZ"}) {
    ASSERT_TRUE(WriteCurvesFile(dir_ / name, records).ok());
    auto back = ReadCurvesFile(dir_ / name);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(back->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(CurveRecordToJson((*back)[i]), CurveRecordToJson(records[i])) << name;
      EXPECT_EQ((*back)[i].params, records[i].params) << name;
      EXPECT_EQ((*back)[i].seconds, records[i].seconds) << name;
      EXPECT_EQ((*back)[i].steps, records[i].steps) << name;
    }
    EXPECT_TRUE(std::isnan((*back)[0].values[1]));
    EXPECT_EQ((*back)[1].direction, Direction::kMinimize);
    EXPECT_EQ((*back)[0].upper_bound, 1.0);
    EXPECT_EQ((*back)[1].lower_bound, 0.0);
    EXPECT_FALSE((*back)[1].upper_bound.has_value());
  }
  // The .gz file really is compressed (gzip magic bytes).
  std::string gz = testing::ReadFile(dir_ / "out.jsonl.gz");
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(testing::ReadFile(dir_ / "OUT.JSONL.GZ").substr(0, 2), gz.substr(0, 2)) << "the ending in capitals too";
}

TEST(CurvesFileShared, LoadsTheDevelopmentFile) {
  auto path = testing::SharedCurves("dev-curves.jsonl.gz");
  if (!path) GTEST_SKIP() << "shared curves (../shared/data/curves/dev-curves.jsonl.gz) not present";
  auto curves = ReadCurvesFile(*path);
  ASSERT_TRUE(curves.ok()) << curves.status().ToString();
  EXPECT_EQ(curves->size(), 2725u);
  size_t short_runs = 0;
  for (const auto& c : *curves) {
    EXPECT_EQ(c.metric, "eval_return");
    EXPECT_EQ(c.seconds.size(), c.values.size());
    short_runs += c.values.size() == 37;
  }
  EXPECT_EQ(short_runs, 1u);
}

}  // namespace
}  // namespace cairn
