// What `cairn show` prints about how a trial ended.
#include <regex>

#include <gtest/gtest.h>

#include "cairn/report.h"
#include "query/query_fixture.h"
#include "support/paths.h"

namespace cairn {
namespace {

nlohmann::json Details(const std::string& state) {
  return {{"study", "s"},
          {"number", 2},
          {"state", state},
          {"ark", ""},
          {"end_reason", "why"},
          {"objective", "acc"},
          {"params", nlohmann::json::object()},
          {"value", 0.5},
          {"steps", 5},
          {"metrics", nlohmann::json::object()},
          {"attrs", {{"decision", {{"rule", "median"}}}}}};
}

TEST(RenderTrialDetails, NamesTheRuleThatStoppedATrial) {
  EXPECT_NE(RenderTrialDetails(Details("stopped")).find("  stopped by rule: median\n"), std::string::npos);
}

// A NaN value is stored as null: shown as its summary spells it, not as "no value".
TEST(RenderTrialDetails, ShowsANanValueAsNan) {
  nlohmann::json d = Details("failed");
  d["value"] = nullptr;
  d["steps"] = 4;
  d["metrics"]["acc"] = {{"last", "nan"}, {"steps", 4}, {"nonfinite", 1}};
  EXPECT_NE(RenderTrialDetails(d).find("  value: nan "), std::string::npos) << RenderTrialDetails(d);
  d["metrics"] = nlohmann::json::object();
  EXPECT_NE(RenderTrialDetails(d).find("  value: - "), std::string::npos) << RenderTrialDetails(d);
}

TEST(RenderTrialDetails, SaysWhenTheRuleAskedTooLate) {
  std::string out = RenderTrialDetails(Details("completed"));
  EXPECT_EQ(out.find("stopped by rule"), std::string::npos) << out;
  EXPECT_NE(out.find("  stop asked by rule: median (the program had finished first)\n"), std::string::npos) << out;
}

TEST(RenderTrialDetails, SaysWhichTrialARerunOrRetryRepeats) {
  nlohmann::json d = Details("completed");
  d["attrs"]["rerun_of"] = 1;
  EXPECT_NE(RenderTrialDetails(d).find("  re-run of trial 1 (it was interrupted or lost; same parameters and seed)\n"),
            std::string::npos)
      << RenderTrialDetails(d);
  d["attrs"].erase("rerun_of");
  d["attrs"]["retry_of"] = 0;
  d["attrs"]["retry"] = 2;
  EXPECT_NE(RenderTrialDetails(d).find("  retry 2 of trial 0 (it failed; same parameters and seed)\n"),
            std::string::npos)
      << RenderTrialDetails(d);
  d["attrs"]["rerun_of"] = 4;  // retry 2, interrupted as trial 4, run again
  EXPECT_NE(RenderTrialDetails(d).find("  re-run of trial 4 (it was interrupted or lost; same parameters and seed), "
                                       "as retry 2 of trial 0\n"),
            std::string::npos)
      << RenderTrialDetails(d);
  d["attrs"].erase("rerun_of");
  // The value's step, as the coordinator recorded it.
  d["attrs"]["value_step"] = 3;
  d["metrics"] = {{"acc", {{"steps", 5}, {"last", 0.5}, {"min", 0.1}, {"max", 0.6}, {"last_step", 9}}}};
  EXPECT_NE(RenderTrialDetails(d).find("  value: 0.5 at step 3 (5 reports)\n"), std::string::npos)
      << RenderTrialDetails(d);
}

TEST(RenderTrialDetails, ListsTheRungsATrialLostAndWasKeptPast) {
  nlohmann::json d = Details("completed");
  d["attrs"].erase("decision");
  d["attrs"]["kept"] = {{{"step", 1}, {"rule", "predictive"}, {"kept", true}, {"reason", "kept by the hedge"}},
                        {{"step", 3}, {"rule", "predictive"}, {"kept", true}, {"reason", "kept although rank 3"}}};
  const std::string out = RenderTrialDetails(d);
  EXPECT_NE(out.find("  lost a rung and was kept:\n    step 1, rule predictive: kept by the hedge\n"
                     "    step 3, rule predictive: kept although rank 3\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(RenderTrialDetails(Details("completed")).find("was kept"), std::string::npos);
}

TEST(RenderTrialDetails, NamesTheBarAndAnExtrapolatedPrediction) {
  nlohmann::json d = Details("stopped");
  d["attrs"]["decision"] = {{"rule", "predictive"}, {"predicted", 0.83},      {"lower", 0.73},
                            {"upper", 0.93},        {"probability", 0.04},    {"threshold", 0.9642},
                            {"extrapolated", true}};
  const std::string out = RenderTrialDetails(d);
  EXPECT_NE(out.find("  predicted final acc: 0.83 [0.73, 0.93] (90 % interval), extrapolated: the trial lies "
                     "outside the levels"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  probability of beating 0.9642 (the best completed final, smoothed): 0.04\n"),
            std::string::npos)
      << out;
}

TEST(RenderTrialDetails, SaysWhereASlurmTrialRan) {
  nlohmann::json d = Details("completed");
  d["attrs"]["executor"] = {{"kind", "slurm"}, {"job_id", "812"}, {"node", "n3"}, {"pack_index", 1}, {"pack_size", 4}};
  EXPECT_NE(RenderTrialDetails(d).find("  ran as: Slurm job 812 on n3, slot 2 of 4\n"), std::string::npos)
      << RenderTrialDetails(d);
}

TEST(RenderTrialDetails, SaysHowFarATrialRanInStepsAndReports) {
  nlohmann::json d = Details("stopped");
  EXPECT_NE(RenderTrialDetails(d).find("  value: 0.5 after 5 steps\n"), std::string::npos) << RenderTrialDetails(d);
  // A program that reports every 10th step: 5 reports reach step 50.
  d["metrics"] = {{"acc", {{"steps", 5}, {"last", 0.5}, {"best", 0.5}, {"min", 0.1}, {"max", 0.5}, {"last_step", 50}}}};
  EXPECT_NE(RenderTrialDetails(d).find("  value: 0.5 at step 50 (5 reports)\n"), std::string::npos)
      << RenderTrialDetails(d);
  d["steps"] = 1;
  d["metrics"] = {{"acc", {{"steps", 1}, {"last", 0.5}, {"best", 0.5}, {"min", 0.5}, {"max", 0.5}, {"last_step", 1}}}};
  EXPECT_NE(RenderTrialDetails(d).find("  value: 0.5 after 1 step\n"), std::string::npos) << RenderTrialDetails(d);
}

// `status` shows how far each trial got in steps; its JSON keeps the count of
// reports too.
class StudyStatusTest : public testing::QueryStoreTest {
 protected:
  // The store id of the fixture's "digits" study, for trials added to it.
  int64_t DigitsId() {
    auto study = store_->GetStudy("digits");
    EXPECT_TRUE(study.ok()) << study.status().ToString();
    return study.ok() ? study->id : 0;
  }
};

// `show` says how the model was made, reading the host and software blobs.
TEST_F(StudyStatusTest, ShowTellsHowTheModelWasMade) {
  auto details = TrialDetailsJson(*store_, "digits", 0);
  ASSERT_TRUE(details.ok()) << details.status().ToString();
  const std::string out = RenderTrialDetails(*details);
  for (const char* line : {"  code: git abc123 (main", "  file: train.py sha256 code-sw2 (100 B)\n",
                           "  host: node-a, Debian 12 x86_64, Fake CPU, 16 cores, 1.1 GB memory\n",
                           "  python: 3.11.2 with numpy 1.24.2, torch 2.1.0\n", "  gpu: ", "  data: /data/digits fingerprint ",
                           "  artifacts: 1 file and 1 log, 94.0 kB in "}) {
    EXPECT_NE(out.find(line), std::string::npos) << line << " in\n" << out;
  }
  // The JSON carries the same, blobs resolved.
  EXPECT_EQ((*details)["trail"]["host"]["hostname"], "node-a");
  EXPECT_EQ((*details)["trail"]["python"]["notable"]["torch"], "2.1.0");
  // Trial 3 recorded no context: every part says so rather than failing.
  auto bare = TrialDetailsJson(*store_, "digits", 3);
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  const std::string bare_out = RenderTrialDetails(*bare);
  EXPECT_NE(bare_out.find("  host: not recorded\n"), std::string::npos) << bare_out;
  EXPECT_NE(bare_out.find("  gpus: none\n"), std::string::npos) << bare_out;
}

TEST_F(StudyStatusTest, ShowsTheStepReachedNotTheReportCount) {
  const int64_t digits_id = DigitsId();
  TrialRecord t{.study_id = digits_id, .number = 4, .state = TrialState::kStopped};
  t.steps = 5;
  t.value = 0.9;
  t.attrs = {{"metrics", {{"val_acc", {{"steps", 5}, {"last", 0.9}, {"min", 0.2}, {"max", 0.9},
                                       {"first_step", 10}, {"last_step", 50}}}}}};
  ASSERT_TRUE(store_->CreateTrial(t).ok());
  auto status = StudyStatusJson(*store_, "digits");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  const nlohmann::json& rows = (*status)["trials"];
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[4]["steps"], 5);
  EXPECT_EQ(rows[4]["step"], 50);
  EXPECT_EQ(rows[0]["step"], 10);  // a summary without last_step: reports count as steps
  EXPECT_EQ(rows[3]["step"], 2);   // no summary: the stored points, as query's `step` reads them
  const std::string text = RenderStudyStatus(*status);
  EXPECT_NE(text.find("STEP "), std::string::npos) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("\n4 +stopped +0\\.9 +50\\b"))) << text;
}

// A crash says more than "exit 1": show gives the end of its stderr.log.
TEST_F(StudyStatusTest, AFailedTrialShowsTheEndOfItsStderr) {
  const int64_t digits_id = DigitsId();
  auto dir = testing::MakeTempDir("cairn-stderr-tail");
  std::string text;
  for (int i = 1; i <= 7; ++i) text += "line " + std::to_string(i) + "\n\n";
  testing::WriteFile(dir / "stderr.log", text);
  TrialRecord t{.study_id = digits_id, .number = 4, .state = TrialState::kFailed};
  t.end_reason = "exit 1";
  t.attrs = {{"trial_dir", dir.string()}};
  ASSERT_TRUE(store_->CreateTrial(t).ok());
  auto details = TrialDetailsJson(*store_, "digits", 4);
  ASSERT_TRUE(details.ok()) << details.status().ToString();
  EXPECT_EQ((*details)["stderr_tail"], (nlohmann::json{"line 3", "line 4", "line 5", "line 6", "line 7"}));
  EXPECT_NE(RenderTrialDetails(*details).find("  ended: exit 1\n  stderr.log ends with:\n    line 3\n"),
            std::string::npos)
      << RenderTrialDetails(*details);
  // A completed trial's stderr (warnings) is not shown.
  auto completed = TrialDetailsJson(*store_, "digits", 0);
  ASSERT_TRUE(completed.ok());
  EXPECT_FALSE(completed->contains("stderr_tail"));
  // A long line is cut between UTF-8 characters, not inside one.
  testing::WriteFile(dir / "stderr.log", std::string(199, 'E') + "\xc3\xa9tait\n");
  details = TrialDetailsJson(*store_, "digits", 4);
  ASSERT_TRUE(details.ok());
  EXPECT_EQ((*details)["stderr_tail"], (nlohmann::json{std::string(199, 'E')}));
  EXPECT_NO_THROW((void)details->dump());
  std::filesystem::remove_all(dir);
}

// A row that did not complete says why, in the text (cut short) and the JSON.
TEST_F(StudyStatusTest, ATrialThatDidNotCompleteSaysWhy) {
  const int64_t digits_id = DigitsId();
  TrialRecord t{.study_id = digits_id, .number = 4, .state = TrialState::kFailed};
  t.end_reason = "exit 1 (see stderr.log: Traceback (most recent call last): ZeroDivisionError in train.py line 12)";
  ASSERT_TRUE(store_->CreateTrial(t).ok());
  auto status = StudyStatusJson(*store_, "digits");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ((*status)["trials"][4]["end_reason"], t.end_reason);
  const std::string text = RenderStudyStatus(*status);
  EXPECT_NE(text.find("WHY"), std::string::npos) << text;
  EXPECT_NE(text.find("exit 1 (see stderr.log: Traceback (most recent call last)..."), std::string::npos) << text;
  EXPECT_NE(text.find("optimizer=adam\n"), std::string::npos) << "a completed row needs no reason: " << text;
}

}  // namespace
}  // namespace cairn
