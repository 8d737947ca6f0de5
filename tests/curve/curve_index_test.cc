#include <gtest/gtest.h>

#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "cairn/curve.h"
#include "cairn/curve/curve_stats.h"
#include "curve/curve_test_util.h"
#include "support/paths.h"

namespace cairn {
namespace {

using curve_testing::Sample;

constexpr double kIndexNaN = std::numeric_limits<double>::quiet_NaN();

LabeledCurve Curve(std::string id, std::vector<double> values, Direction d = Direction::kMaximize) {
  return {std::move(id), std::move(values), d};
}

// One curve of each kind, accuracy-like, 60 steps.
std::vector<LabeledCurve> KindSet() {
  return {
      Curve("normal", Sample([](double x) { return 0.9 - 0.7 * std::pow(x, -0.8); }, 60, 0.002, 1)),
      Curve("flat", Sample([](double) { return 0.1; }, 60, 0.004, 2)),
      Curve("late", Sample([](double x) { return x < 25 ? 0.1 : 0.1 + 0.8 * (1 - std::exp(-(x - 25) / 6)); },
                           60, 0.003, 3)),
      Curve("collapse", Sample([](double x) { return x < 30 ? 0.9 - 0.7 * std::exp(-0.2 * x) : 0.2; }, 60,
                               0.003, 4)),
      Curve("noisy", Sample([](double x) { return 0.6 - 0.4 * std::pow(x, -0.5); }, 60, 0.08, 5)),
      Curve("loss", Sample([](double x) { return 0.1 + 2.0 * std::pow(x, -0.7); }, 60, 0.002, 6),
            Direction::kMinimize),
  };
}

TEST(ClassifyCurveTest, EachKindIsRecognised) {
  std::vector<LabeledCurve> set = KindSet();
  const double range = 1.0;
  EXPECT_EQ(ClassifyCurve(set[0].values, set[0].direction, range), CurveKind::kNormal);
  EXPECT_EQ(ClassifyCurve(set[1].values, set[1].direction, range), CurveKind::kNeverLearns);
  EXPECT_EQ(ClassifyCurve(set[2].values, set[2].direction, range), CurveKind::kLateLearner);
  EXPECT_EQ(ClassifyCurve(set[3].values, set[3].direction, range), CurveKind::kDiverges);
  EXPECT_EQ(ClassifyCurve(set[4].values, set[4].direction, range), CurveKind::kNoisy);
  EXPECT_EQ(ClassifyCurve(set[5].values, set[5].direction, range), CurveKind::kNormal);
  std::vector<double> ends_nan = set[0].values;
  ends_nan.back() = kIndexNaN;
  EXPECT_EQ(ClassifyCurve(ends_nan, Direction::kMaximize, range), CurveKind::kDiverges);
  // The same loss read as "maximise" only gets worse.
  EXPECT_EQ(ClassifyCurve(set[5].values, Direction::kMaximize, range), CurveKind::kDiverges);
}

// Ten steps: the start window (3 points) is 30 % of the curve, so a plain
// fast learner must not read as late; one flat for half its steps does.
TEST(ClassifyCurveTest, ShortCurvesAreNotAllLate) {
  std::vector<double> fast, late;
  for (int s = 1; s <= 10; ++s) {
    fast.push_back(0.8 * (1 - std::exp(-0.45 * s)));
    late.push_back(s <= 5 ? 0.1 : 0.1 + 0.7 * (1 - std::exp(-0.8 * (s - 5))));
  }
  EXPECT_EQ(ClassifyCurve(fast, Direction::kMaximize, 1.0), CurveKind::kNormal);
  EXPECT_EQ(ClassifyCurve(late, Direction::kMaximize, 1.0), CurveKind::kLateLearner);
}

// Two or three points that rise are a curve that learns; one point, or two
// that do not rise, show no learning.
TEST(ClassifyCurveTest, TheShortestCurvesAreReadByTheirRise) {
  const std::vector<double> three = {0.1, 0.5, 0.9}, two = {0.1, 0.9}, flat = {0.5, 0.5}, one = {0.9};
  EXPECT_EQ(ClassifyCurve(three, Direction::kMaximize, 1.0), CurveKind::kNormal);
  EXPECT_EQ(ClassifyCurve(two, Direction::kMaximize, 1.0), CurveKind::kNormal);
  EXPECT_EQ(ClassifyCurve(flat, Direction::kMaximize, 1.0), CurveKind::kNeverLearns);
  EXPECT_EQ(ClassifyCurve(one, Direction::kMaximize, 1.0), CurveKind::kNeverLearns);
  const std::vector<double> falls = {0.9, 0.5, 0.1};
  EXPECT_EQ(ClassifyCurve(falls, Direction::kMinimize, 1.0), CurveKind::kNormal) << "a loss that falls";
}

TEST(CurveIndexTest, ScoresEveryPredictorPerKindAndFraction) {
  CurveIndexOptions options;
  Result<CurveIndexReport> report = BuildCurveIndex(KindSet(), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->num_curves, 6);
  EXPECT_EQ(report->num_used, 6);
  EXPECT_EQ(report->kind_counts.at(CurveKind::kNormal), 2);
  EXPECT_EQ(report->kind_counts.at(CurveKind::kDiverges), 1);
  // 5 kinds x 3 fractions x (11 families + ensemble + study line + last value).
  EXPECT_EQ(report->cells.size(), 5u * 3u * 14u);
  for (const auto& c : report->cells) {
    EXPECT_GT(c.count, 0);
    EXPECT_GE(c.median_norm_error, 0.0);
    EXPECT_TRUE(std::isfinite(c.mean_abs_error)) << c.predictor;
    if (c.predictor == "ensemble" || c.predictor == "study_line") {
      EXPECT_GE(c.coverage, 0.0) << c.predictor;
    } else {
      EXPECT_LT(c.coverage, 0.0) << c.predictor;
    }
  }
  // On the clean normal curves, half the curve predicts the end far better
  // than the last value does.
  auto cell = [&](CurveKind k, std::string_view name, double f) {
    for (const auto& c : report->cells) {
      if (c.kind == k && c.predictor == name && c.fraction == f) return c;
    }
    ADD_FAILURE() << "no cell " << name;
    return CurveIndexCell{};
  };
  EXPECT_LT(cell(CurveKind::kNormal, "ensemble", 0.5).mean_abs_error,
            0.5 * cell(CurveKind::kNormal, "last_value", 0.5).mean_abs_error);
  ASSERT_EQ(report->ranking.at(CurveKind::kNormal).size(), 14u);
  EXPECT_NE(report->ranking.at(CurveKind::kNormal).front(), "last_value");

  nlohmann::json j = report->ToJson();
  EXPECT_EQ(j["kind_counts"]["never_learns"], 1);
  EXPECT_EQ(j["cells"].size(), report->cells.size());
  std::string table = report->ToTable();
  EXPECT_NE(table.find("late_learner"), std::string::npos);
  EXPECT_NE(table.find("vapor_pressure"), std::string::npos);
  EXPECT_NE(table.find("ranking"), std::string::npos);
  EXPECT_NE(table.find("failed: fits that failed or were absurd; they are scored as the last value"), std::string::npos);
}

TEST(CurveIndexTest, SubsamplesAndValidates) {
  CurveIndexOptions options;
  options.max_curves = 2;
  options.fractions = {0.5};
  options.fit.families = {CurveFamily::kPow3, CurveFamily::kExp3};
  Result<CurveIndexReport> report = BuildCurveIndex(KindSet(), options);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->num_used, 2);
  for (const auto& c : report->cells) {
    // Two curves are too few to learn a line from the others: no study_line.
    EXPECT_TRUE(c.predictor == "pow3" || c.predictor == "exp3" || c.predictor == "ensemble" ||
                c.predictor == "last_value")
        << c.predictor;
  }
  options.fractions = {1.5};
  EXPECT_NE(BuildCurveIndex(KindSet(), options).status().message().find("fraction"), std::string::npos);
}

TEST(RecentMeanLevelTest, MeansTheLatterHalfWithoutItsLowest) {
  const std::vector<double> eight = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_DOUBLE_EQ(curve_internal::RecentMeanLevel(eight), 7.0);  // (6 + 7 + 8) / 3
  const std::vector<double> dip = {3, 1, 2, 0};                   // half {2, 0}: too few to drop one
  EXPECT_DOUBLE_EQ(curve_internal::RecentMeanLevel(dip), 1.0);
  const std::vector<double> one = {0.4};
  EXPECT_DOUBLE_EQ(curve_internal::RecentMeanLevel(one), 0.4);
  EXPECT_TRUE(std::isnan(curve_internal::RecentMeanLevel({})));
}

// Thirty curves under a step-decay schedule: each saturates at its own
// level q, then gains 0.1 when the learning rate drops at step 31. From half
// of a curve no family can see the drop coming; a line through the other
// curves' (level at step 20, final) pairs learns it, as the predictive
// scheduler learns it from a study's completed trials.
TEST(CurveIndexTest, TheStudyLineLearnsALateJumpNoShapeShows) {
  std::vector<LabeledCurve> curves;
  for (int i = 0; i < 30; ++i) {
    double q = 0.5 + 0.01 * i;
    curves.push_back(Curve(fmt::format("c{}", i),
                           Sample([q](double x) { return q * (1 - std::exp(-x / 4)) + (x > 30 ? 0.1 : 0.0); },
                                  40, 0.003, 100 + i)));
  }
  CurveIndexOptions options;
  options.fractions = {0.5};
  Result<CurveIndexReport> report = BuildCurveIndex(curves, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  auto cell = [&](std::string_view name) {
    for (const auto& c : report->cells) {
      if (c.kind == CurveKind::kNormal && c.predictor == name) return c;
    }
    ADD_FAILURE() << "no normal cell " << name;
    return CurveIndexCell{};
  };
  CurveIndexCell line = cell("study_line"), ensemble = cell("ensemble");
  EXPECT_EQ(line.count, report->kind_counts.at(CurveKind::kNormal));
  EXPECT_GT(ensemble.mean_abs_error, 0.08);  // misses the drop's 0.1
  EXPECT_LT(line.mean_abs_error, 0.2 * ensemble.mean_abs_error);
  EXPECT_GE(line.coverage, 0.8);
  EXPECT_EQ(report->ranking.at(CurveKind::kNormal).front(), "study_line");
}

// 10 % of a 20-step curve is 2 points: no family can be fitted, so only the
// baseline and the study line are scored there (not a dozen "failed" rows
// that repeat the baseline).
TEST(CurveIndexTest, APrefixTooShortToFitScoresOnlyTheBaselineAndTheLine) {
  std::vector<LabeledCurve> curves;
  for (int i = 0; i < 8; ++i) {
    double q = 0.6 + 0.03 * i;
    curves.push_back(Curve(fmt::format("c{}", i), Sample([q](double x) { return q * (1 - std::exp(-x / 3)); }, 20,
                                                          0.002, 200 + i)));
  }
  CurveIndexOptions options;
  options.fractions = {0.1, 0.5};
  Result<CurveIndexReport> report = BuildCurveIndex(curves, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::set<std::string> at_tenth, at_half;
  for (const auto& c : report->cells) (c.fraction == 0.1 ? at_tenth : at_half).insert(c.predictor);
  EXPECT_EQ(at_tenth, (std::set<std::string>{"last_value", "study_line"}));
  EXPECT_EQ(at_half.size(), 14u);
  EXPECT_NE(report->ToTable().find("study_line, a line through the other curves'"), std::string::npos);
}

TEST(SpearmanCorrelationTest, RanksWithTiesAndSaysWhenItCannot) {
  const std::vector<double> x = {1, 2, 3, 4, 5};
  const std::vector<double> squares = {1, 4, 9, 16, 25};  // monotone, not linear
  const std::vector<double> reversed = {5, 4, 3, 2, 1};
  EXPECT_DOUBLE_EQ(curve_internal::SpearmanCorrelation(x, squares), 1.0);
  EXPECT_DOUBLE_EQ(curve_internal::SpearmanCorrelation(x, reversed), -1.0);
  // Ties share their mean rank: y ranks 1.5, 1.5, 3, 4, 5.
  const std::vector<double> tied = {0, 0, 1, 2, 3};
  EXPECT_NEAR(curve_internal::SpearmanCorrelation(x, tied), 0.9746794, 1e-6);
  const std::vector<double> flat = {7, 7, 7, 7, 7};
  EXPECT_TRUE(std::isnan(curve_internal::SpearmanCorrelation(x, flat)));
  const std::vector<double> two = {1, 2};
  EXPECT_TRUE(std::isnan(curve_internal::SpearmanCorrelation(two, two)));
}

// Thirty curves whose best finals learn slowest: at step 1 the level ranks
// them last, by step 27 first. The rank stability says where a first rung
// could sit.
TEST(CurveIndexTest, RankStabilitySaysWhereEarlyRanksMislead) {
  std::vector<LabeledCurve> curves;
  for (int i = 0; i < 30; ++i) {
    double final_value = 0.5 + 0.01 * i;
    double tau = 1.0 + 0.3 * i;  // the better, the slower
    curves.push_back(Curve(fmt::format("c{}", i),
                           Sample([=](double x) { return final_value * (1 - std::exp(-x / tau)); }, 60, 0.0, i)));
  }
  CurveIndexOptions options;
  options.fractions = {0.5};
  Result<CurveIndexReport> report = BuildCurveIndex(curves, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->rank_stability.size(), 4u);  // steps 1, 3, 9, 27 below 60
  const RankStability& first = report->rank_stability.front();
  const RankStability& last = report->rank_stability.back();
  EXPECT_EQ(first.step, 1);
  EXPECT_EQ(first.count, 30);
  EXPECT_LT(first.spearman, -0.9);
  EXPECT_EQ(first.top_kept, 0.0);  // the best three rank last at step 1
  EXPECT_EQ(last.step, 27);
  EXPECT_GT(last.spearman, 0.9);
  EXPECT_EQ(last.top_kept, 1.0);

  nlohmann::json j = report->ToJson();
  ASSERT_EQ(j["rank_stability"].size(), 4u);
  EXPECT_EQ(j["rank_stability"][3]["step"], 27);
  EXPECT_NE(report->ToTable().find("rank stability"), std::string::npos);
  // Where a first rung may sit: the first step keeping 80 % of the best tenth.
  const std::optional<RankStability> safe = report->FirstSafeRung();
  ASSERT_TRUE(safe.has_value());
  EXPECT_GT(safe->step, 1);
  EXPECT_GE(safe->top_kept, 0.8);
  for (const RankStability& r : report->rank_stability) {
    if (r.step < safe->step) {
      EXPECT_LT(r.top_kept, 0.8) << r.step;
    }
  }
  EXPECT_EQ(j["first_safe_rung"]["step"], safe->step);
  EXPECT_NE(report->ToTable().find(fmt::format("(min_resource: {})", safe->step)), std::string::npos)
      << report->ToTable();
  EXPECT_FALSE(report->FirstSafeRung(1.01).has_value()) << "no step keeps more than all";
}

// Curves reported every 5th step: the rungs sit at the steps a rule would
// judge them at (5, 15, 45, 135 from the first report, as min_resource
// "auto"), and each is judged at its first report there, so the table is the
// one of the same values at steps 1, 2, 3, ... relabelled.
TEST(CurveIndexTest, RankStabilityIsAtTheCurvesSteps) {
  std::vector<LabeledCurve> unit, every5;
  for (int i = 0; i < 30; ++i) {
    double final_value = 0.5 + 0.01 * i;
    double tau = 1.0 + 0.3 * i;
    LabeledCurve c = Curve(fmt::format("c{}", i),
                           Sample([=](double x) { return final_value * (1 - std::exp(-x / tau)); }, 60, 0.0, i));
    unit.push_back(c);
    for (size_t k = 0; k < c.values.size(); ++k) c.steps.push_back(5 * static_cast<int64_t>(k + 1));
    every5.push_back(c);
  }
  CurveIndexOptions options;
  options.fractions = {0.5};
  Result<CurveIndexReport> a = BuildCurveIndex(unit, options), b = BuildCurveIndex(every5, options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(b->rank_stability.size(), 4u);  // 5, 15, 45, 135 below 300
  const int64_t steps[] = {5, 15, 45, 135};
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(b->rank_stability[k].step, steps[k]);
    EXPECT_EQ(b->rank_stability[k].count, a->rank_stability[k].count) << k;
    EXPECT_DOUBLE_EQ(b->rank_stability[k].spearman, a->rank_stability[k].spearman) << k;
    EXPECT_DOUBLE_EQ(b->rank_stability[k].top_kept, a->rank_stability[k].top_kept) << k;
  }
}

TEST(CurveIndexTest, RankStabilityOfTiedLevelsIsUndefined) {
  std::vector<LabeledCurve> curves;
  for (int i = 0; i < 5; ++i) curves.push_back(Curve(fmt::format("c{}", i), {0.1, 0.2, 0.3 + 0.1 * i}));
  Result<CurveIndexReport> report = BuildCurveIndex(curves, CurveIndexOptions{});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->rank_stability.size(), 1u);  // step 1 only: 3 is not below 3
  EXPECT_TRUE(std::isnan(report->rank_stability[0].spearman));
  EXPECT_EQ(report->rank_stability[0].top_kept, 1.0);  // every tie is kept
  EXPECT_TRUE(report->ToJson()["rank_stability"][0]["spearman"].is_null());
}

// ---- Real curves (skipped when the shared data is absent) ----

std::vector<LabeledCurve> ReadCurves(const std::filesystem::path& path) {
  std::vector<LabeledCurve> out;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  std::string text;
  char buf[1 << 16];
  int got;
  while ((got = gzread(f, buf, sizeof buf)) > 0) text.append(buf, got);
  gzclose(f);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    nlohmann::json j = nlohmann::json::parse(text.substr(pos, end - pos), nullptr, false);
    pos = end + 1;
    if (j.is_discarded() || !j.contains("values")) continue;
    LabeledCurve c{j.value("id", ""), {}, j.value("mode", "max") == "min" ? Direction::kMinimize
                                                                           : Direction::kMaximize};
    for (const auto& v : j["values"]) c.values.push_back(v.is_number() ? v.get<double>() : kIndexNaN);
    out.push_back(std::move(c));
  }
  return out;
}

// CAIRN_CURVE_EVAL_MAX raises the sample for a full evaluation; the default
// keeps the test fast.
int EvalMax(int fallback) {
  const char* env = std::getenv("CAIRN_CURVE_EVAL_MAX");
  return env ? std::atoi(env) : fallback;
}

void EvaluateFile(const std::string& name, std::optional<double> lo, std::optional<double> hi) {
  auto path = testing::SharedCurves(name);
  if (!path) GTEST_SKIP() << "shared curves " << name << " not found (set CAIRN_SHARED_CURVES)";
  std::vector<LabeledCurve> curves = ReadCurves(*path);
  ASSERT_FALSE(curves.empty()) << *path;
  CurveIndexOptions options;
  options.max_curves = EvalMax(40);
  options.fit.lower_bound = lo;
  options.fit.upper_bound = hi;
  Result<CurveIndexReport> report = BuildCurveIndex(curves, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::cout << name << "\n" << report->ToTable();
  // Whatever the curves, every prediction is a number and the ensemble
  // rarely fails outright.
  for (const auto& c : report->cells) {
    EXPECT_TRUE(std::isfinite(c.mean_abs_error)) << c.predictor;
    if (c.predictor == "ensemble") {
      EXPECT_LE(c.failed, c.count / 2);
    }
  }
}

TEST(RealCurvesTest, DigitsAccuracy) { EvaluateFile("dev-digits.jsonl.gz", 0.0, 1.0); }
TEST(RealCurvesTest, EnduroReturns) { EvaluateFile("dev-curves.jsonl.gz", std::nullopt, std::nullopt); }

}  // namespace
}  // namespace cairn
