// DiffTrials: references, sections, package changes and data drift.
#include <limits>

#include <gtest/gtest.h>

#include "cairn/diff.h"
#include "query/query_fixture.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

const json* Row(const json& diff, const std::string& section, const std::string& key) {
  for (const auto& s : diff["sections"]) {
    if (s["name"] != section) continue;
    for (const auto& r : s["rows"]) {
      if (r["key"] == key) return &r;
    }
  }
  return nullptr;
}

class DiffTest : public QueryStoreTest {
 protected:
  json Diff(const std::string& a, const std::string& b) {
    auto ra = ParseTrialRef(a);
    auto rb = ParseTrialRef(b);
    EXPECT_TRUE(ra.ok() && rb.ok());
    auto d = DiffTrials(*store_, *ra, *rb);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : json();
  }
};

TEST(TrialRefTest, Parses) {
  auto r = ParseTrialRef("digits:12");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, TrialRef::Kind::kStudyNumber);
  EXPECT_EQ(r->study, "digits");
  EXPECT_EQ(r->number, 12);
  r = ParseTrialRef("ark:/99999/fk4x/t3");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, TrialRef::Kind::kArk);
  r = ParseTrialRef("digits");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, TrialRef::Kind::kStudyBest);
  EXPECT_FALSE(ParseTrialRef("digits:x").ok());
  EXPECT_FALSE(ParseTrialRef(":3").ok());
  EXPECT_FALSE(ParseTrialRef("").ok());
}

TEST_F(DiffTest, PackagesHostsGpusAndDataDrift) {
  json d = Diff("digits:0", "digits:1");
  EXPECT_EQ(d["a"]["number"], 0);
  EXPECT_EQ(d["b"]["number"], 1);
  const json* torch = Row(d, "packages", "torch");
  ASSERT_NE(torch, nullptr);
  EXPECT_EQ((*torch)["change"], "changed");
  EXPECT_EQ((*torch)["a"], "2.1.0");
  EXPECT_EQ((*torch)["b"], "1.13.1");
  EXPECT_EQ((*Row(d, "packages", "numpy"))["same"], true);
  const json* data = Row(d, "datasets", "/data/digits");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ((*data)["drift"], true);
  EXPECT_EQ((*Row(d, "host", "hostname"))["b"], "node-b");
  EXPECT_EQ((*Row(d, "gpus", "gpu0.name"))["change"], "changed");
  EXPECT_EQ((*Row(d, "params", "lr"))["change"], "changed");
  EXPECT_EQ((*Row(d, "env", "OMP_NUM_THREADS"))["a"], "4");
  EXPECT_EQ(Row(d, "env", "_"), nullptr) << "the shell's last command is not how the model was made";
  const json* acc = Row(d, "metrics", "val_acc");
  ASSERT_NE(acc, nullptr);
  EXPECT_DOUBLE_EQ((*acc)["a"]["last"].get<double>(), 0.95);
  EXPECT_DOUBLE_EQ((*acc)["b"]["best"].get<double>(), 0.81);
  // The study maximises val_acc; its loss has no known direction, so no best.
  const json* loss = Row(d, "metrics", "loss");
  ASSERT_NE(loss, nullptr);
  EXPECT_TRUE((*loss)["a"]["best"].is_null()) << *loss;
  EXPECT_EQ((*Row(d, "code", "commit"))["same"], true);
  // The files the command names, by hash: the same commit, another train.py.
  const json* script = Row(d, "code", "file train.py");
  ASSERT_NE(script, nullptr) << d.dump();
  EXPECT_EQ((*script)["change"], "changed");
}

TEST_F(DiffTest, StudyNameMeansItsBestTrialAndArksResolve) {
  json d = Diff("digits", "ark:/99999/fk4digits/t2");
  EXPECT_EQ(d["a"]["number"], 0);  // best val_acc (maximize)
  EXPECT_EQ(d["b"]["number"], 2);
  EXPECT_EQ((*Row(d, "datasets", "/data/digits"))["same"], true);
  EXPECT_EQ((*Row(d, "trial", "state"))["b"], "stopped");
  json only = OnlyDifferences(d);
  EXPECT_EQ(Row(only, "datasets", "/data/digits"), nullptr);
  EXPECT_EQ(Row(only, "packages", "torch"), nullptr);
  EXPECT_NE(Row(only, "params", "optimizer"), nullptr);
  json by_study_ark = Diff("ark:/99999/fk4digits", "digits:0");
  EXPECT_TRUE(OnlyDifferences(by_study_ark)["sections"].empty());
}

TEST_F(DiffTest, AddedAndRemovedAcrossStudies) {
  json d = Diff("digits:0", "mnist:0");
  EXPECT_EQ((*Row(d, "params", "layers"))["change"], "removed");
  EXPECT_EQ((*Row(d, "metrics", "n_params"))["change"], "added");
  EXPECT_EQ((*Row(d, "packages", "torch"))["change"], "removed");
  EXPECT_EQ((*Row(d, "trial", "study"))["b"], "mnist");
}

// Two trials whose loss ended in NaN (and one whose max is inf) are the
// same there: NaN is spelled "nan", not compared as a number (NaN != NaN)
// nor written as null ("no value").
TEST_F(DiffTest, NanAndInfAreValuesThatCanBeTheSame) {
  int64_t digits = 0;
  auto studies = store_->ListStudies();
  ASSERT_TRUE(studies.ok());
  for (const auto& s : *studies) {
    if (s.name == "digits") digits = s.id;
  }
  for (int number : {10, 11}) {
    TrialRecord t{.study_id = digits, .number = number, .state = TrialState::kFailed};
    t.value = std::numeric_limits<double>::quiet_NaN();
    t.attrs = {{"metrics", {{"loss", {{"steps", 3}, {"last", "nan"}, {"min", 0.5}, {"max", "inf"},
                                      {"nonfinite", 2}}}}}};
    ASSERT_TRUE(store_->CreateTrial(t).ok());
  }
  json d = Diff("digits:10", "digits:11");
  const json* loss = Row(d, "metrics", "loss");
  ASSERT_NE(loss, nullptr) << d.dump(2);
  EXPECT_EQ((*loss)["change"], "same") << loss->dump();
  EXPECT_EQ((*loss)["a"]["last"], "nan") << loss->dump();
  const json* value = Row(d, "trial", "value");
  ASSERT_NE(value, nullptr) << d.dump(2);
  EXPECT_EQ((*value)["change"], "same") << value->dump();
}

TEST_F(DiffTest, RenderShowsDifferencesOnlyUnlessAll) {
  json d = Diff("digits:0", "digits:1");
  std::string text = RenderDiff(d, false);
  EXPECT_NE(text.find("A: digits:0 (ark:/99999/fk4digits/t0)"), std::string::npos) << text;
  EXPECT_NE(text.find("DATA DRIFT"), std::string::npos) << text;
  EXPECT_NE(text.find("torch"), std::string::npos);
  EXPECT_EQ(text.find("numpy"), std::string::npos) << text;
  EXPECT_NE(RenderDiff(d, true).find("numpy"), std::string::npos);
  EXPECT_NE(RenderDiff(Diff("digits", "digits:0"), false).find("no differences"), std::string::npos);
}

TEST_F(DiffTest, UnknownTrialsAreNotFound) {
  auto d = DiffTrials(*store_, *ParseTrialRef("digits:99"), *ParseTrialRef("digits:0"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
  EXPECT_NE(d.status().message().find("digits:99"), std::string::npos) << d.status().message();
  d = DiffTrials(*store_, *ParseTrialRef("ark:/99999/nope"), *ParseTrialRef("digits:0"));
  EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
  d = DiffTrials(*store_, *ParseTrialRef("nostudy"), *ParseTrialRef("digits:0"));
  EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cairn::testing
