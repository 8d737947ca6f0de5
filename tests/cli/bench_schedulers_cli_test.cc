// `cairn bench schedulers` on a constructed curve file.
#include <gtest/gtest.h>

#include "cli/cli_fixtures.h"
#include "cli/cli_runner.h"

namespace cairn::testing {
namespace {

class BenchSchedulersCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("cairn-cli-bench");
    file_ = (dir_ / "c.jsonl").string();
    WriteSampleCurves(file_, 16);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string file_;
};

TEST_F(BenchSchedulersCli, JsonHasOneRowPerSchedulerInOrder) {
  auto r = RunCairn({"bench", "schedulers", "--curves", file_, "--trials", "10", "--repeats", "2",
                     "--schedulers", "none,median,asha", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = r.Json();
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["n"], 10);
  EXPECT_EQ(j["repeats"], 2);
  EXPECT_EQ(j["workers"], 1);
  EXPECT_EQ(j["metric"], "acc");
  EXPECT_EQ(j["mode"], "max");
  ASSERT_EQ(j["schedulers"].size(), 3u);
  EXPECT_EQ(j["schedulers"][0]["name"], "none");
  EXPECT_EQ(j["schedulers"][1]["name"], "median");
  EXPECT_EQ(j["schedulers"][2]["name"], "asha");
  // Without early stopping every epoch is used and the best is always found.
  EXPECT_EQ(j["schedulers"][0]["saved_fraction"], 0.0);
  EXPECT_EQ(j["schedulers"][0]["found_best"], 1.0);
  EXPECT_EQ(j["schedulers"][0]["epochs_full"], 200.0);  // 10 curves x 20 steps
  for (const auto& row : j["schedulers"]) {
    for (const char* key : {"saved_fraction", "regret", "regret_norm", "found_best", "epochs_used", "seconds"}) {
      EXPECT_TRUE(row[key].is_number()) << row["name"] << " " << key;
    }
  }
  // Progress: one line per finished study, on stderr.
  EXPECT_NE(r.err.find("median: repeat 2/2"), std::string::npos) << r.err;
}

// Replaying the rule a study ran with: its own options unless others are
// given, and a line saying what the record already holds.
TEST_F(BenchSchedulersCli, ReplayOfAStudysOwnRuleUsesItsOptionsAndSaysSo) {
  BuildSampleStore(dir_ / "s.db", {{"name", "median"}, {"options", {{"startup_trials", 2}}}});
  const std::string store = "sqlite://" + (dir_ / "s.db").string();
  auto own = RunCairn({"replay", "demo", "--pruner", "median", "--store", store});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_NE(own.out.find(R"(with median {"startup_trials":2} (the study's own settings))"), std::string::npos)
      << own.out;
  EXPECT_NE(own.out.find("its stops are already in the record"), std::string::npos) << own.out;
  auto json = RunCairn({"replay", "demo", "--pruner", "median", "--store", store, "--json"}).Json();
  EXPECT_EQ(json["pruner_options"], (nlohmann::json{{"startup_trials", 2}}));
  EXPECT_EQ(json["pruner_options_from"], "study");
  auto defaults = RunCairn({"replay", "demo", "--pruner", "median", "--pruner-options", "{}", "--store", store});
  ASSERT_EQ(defaults.exit_code, 0) << defaults.err;
  EXPECT_EQ(defaults.out.find("the study's own settings"), std::string::npos) << defaults.out;
  auto other = RunCairn({"replay", "demo", "--pruner", "asha", "--store", store});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.out.find(R"(the study ran with median {"startup_trials":2}: )"), std::string::npos) << other.out;
  EXPECT_EQ(other.out.find("its stops are already in the record"), std::string::npos) << other.out;
}

TEST_F(BenchSchedulersCli, ReplayListsEveryTrial) {
  auto text = RunCairn({"replay", "--curves", file_, "--pruner", "asha", "--list"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("TRIAL  STATE"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("stopped"), std::string::npos) << text.out;
  auto json = RunCairn({"replay", "--curves", file_, "--pruner", "asha", "--list", "--json"}).Json();
  ASSERT_TRUE(json.is_object());
  EXPECT_EQ(json["each"].size(), 16u);
  // More trials than the file holds: all of them, and a note saying so.
  auto more = RunCairn({"replay", "--curves", file_, "--pruner", "none", "--trials", "100"});
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_NE(more.err.find("holds 16 curves; replaying all of them, not 100"), std::string::npos) << more.err;
  EXPECT_NE(more.out.find("replayed 16 trials"), std::string::npos) << more.out;
}

TEST_F(BenchSchedulersCli, ReplaySaysWhichParametersThePredictiveRuleReads) {
  auto text = RunCairn({"replay", "--curves", file_, "--pruner", "predictive"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("  parameters the rule reads: x\n"), std::string::npos) << text.out;
  auto json = RunCairn({"replay", "--curves", file_, "--pruner", "predictive", "--json"}).Json();
  EXPECT_EQ(json["parameters"]["read"], (nlohmann::json{"x"}));
  EXPECT_EQ(json["parameters"]["left_out"], nlohmann::json::array());
  // Rules that do not read them, or told not to: no such line.
  const std::vector<std::vector<std::string>> others = {
      {"--pruner", "asha"}, {"--pruner", "predictive", "--pruner-options", R"({"params":"ignore"})"}};
  for (const std::vector<std::string>& extra : others) {
    std::vector<std::string> args = {"replay", "--curves", file_};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunCairn(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("parameters the rule reads"), std::string::npos) << r.out;
  }
}

TEST_F(BenchSchedulersCli, BenchSaysWhichParametersThePredictiveRuleRead) {
  std::vector<std::string> args = {"bench", "schedulers", "--curves", file_, "--trials", "8", "--repeats", "1",
                                   "--schedulers", "asha,predictive"};
  auto text = RunCairn(args);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("  parameters predictive read: x\n"), std::string::npos) << text.out;
  args.push_back("--json");
  EXPECT_EQ(RunCairn(args).Json()["parameters"]["read"], (nlohmann::json{"x"}));
  // Told to ignore them, or not run at all: not said.
  auto ignore = RunCairn({"bench", "schedulers", "--curves", file_, "--trials", "8", "--repeats", "1", "--schedulers",
                          "predictive", "--scheduler-options", R"({"predictive": {"params": "ignore"}})", "--json"});
  ASSERT_EQ(ignore.exit_code, 0) << ignore.err;
  EXPECT_FALSE(ignore.Json().contains("parameters")) << ignore.out;
  auto asha = RunCairn({"bench", "schedulers", "--curves", file_, "--trials", "8", "--repeats", "1", "--schedulers",
                        "asha", "--json"});
  EXPECT_FALSE(asha.Json().contains("parameters")) << asha.out;
}

TEST_F(BenchSchedulersCli, TextTableAndSameNumbersForTheSameSeed) {
  std::vector<std::string> args = {"bench", "schedulers", "--curves", file_, "--trials", "12",
                                   "--repeats", "1", "--seed", "3", "--workers", "2"};
  auto text = RunCairn(args);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  for (const char* name : {"none", "median", "asha", "hyperband", "predictive"}) {
    EXPECT_NE(text.out.find(name), std::string::npos) << name << "\n" << text.out;
  }
  args.push_back("--json");
  auto a = RunCairn(args).Json(), b = RunCairn(args).Json();
  ASSERT_TRUE(a.is_object());
  EXPECT_EQ(a["workers"], 2);
  for (size_t i = 0; i < a["schedulers"].size(); ++i) {
    EXPECT_EQ(a["schedulers"][i]["epochs_used"], b["schedulers"][i]["epochs_used"]);
    EXPECT_EQ(a["schedulers"][i]["regret"], b["schedulers"][i]["regret"]);
  }
}

TEST_F(BenchSchedulersCli, SchedulerOptionsReachTheirScheduler) {
  std::vector<std::string> args = {"bench", "schedulers", "--curves", file_, "--trials", "16",
                                   "--repeats", "2", "--schedulers", "asha", "--json"};
  auto plain = RunCairn(args).Json();
  args.insert(args.end(), {"--scheduler-options", R"({"asha": {"reduction_factor": 2, "min_resource": 10}})"});
  auto tuned = RunCairn(args);
  ASSERT_EQ(tuned.exit_code, 0) << tuned.err;
  // A first rung at step 10 of 20 lets every trial run at least half its curve.
  EXPECT_GT(tuned.Json()["schedulers"][0]["epochs_used"].get<double>(),
            plain["schedulers"][0]["epochs_used"].get<double>());
  EXPECT_GE(tuned.Json()["schedulers"][0]["epochs_used"].get<double>(), 16 * 10);

  auto not_json = RunCairn({"bench", "schedulers", "--curves", file_, "--scheduler-options", "{asha"});
  EXPECT_EQ(not_json.exit_code, 2);
  EXPECT_NE(not_json.err.find("--scheduler-options, column 2: invalid JSON: syntax error"), std::string::npos) << not_json.err;
  auto unlisted = RunCairn({"bench", "schedulers", "--curves", file_, "--schedulers", "median",
                            "--scheduler-options", R"({"asha": {}})"});
  EXPECT_EQ(unlisted.exit_code, 2);
  EXPECT_NE(unlisted.err.find("'asha' is not among --schedulers"), std::string::npos) << unlisted.err;
  auto bad_key = RunCairn({"bench", "schedulers", "--curves", file_, "--schedulers", "asha",
                           "--scheduler-options", R"({"asha": {"eta": 3}})"});
  EXPECT_NE(bad_key.exit_code, 0);
  EXPECT_NE(bad_key.err.find("unknown option eta (known: "), std::string::npos) << bad_key.err;
}

TEST_F(BenchSchedulersCli, BadInputsAreClearErrors) {
  auto unknown = RunCairn({"bench", "schedulers", "--curves", file_, "--schedulers", "none,bogus"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("bogus"), std::string::npos) << unknown.err;
  auto missing = (dir_ / "none.jsonl").string();
  auto nofile = RunCairn({"bench", "schedulers", "--curves", missing});
  EXPECT_EQ(nofile.exit_code, 2);
  EXPECT_NE(nofile.err.find(missing), std::string::npos) << nofile.err;
  auto no_curves = RunCairn({"bench", "schedulers"});
  EXPECT_NE(no_curves.exit_code, 0);
  EXPECT_NE(no_curves.err.find("--curves"), std::string::npos) << no_curves.err;
  auto peer = RunCairn({"bench", "schedulers", "--curves", file_, "--peer", "ray"});
  EXPECT_EQ(peer.exit_code, 2);
  EXPECT_NE(peer.err.find("the only peer is 'optuna'"), std::string::npos) << peer.err;
  auto zero = RunCairn({"bench", "schedulers", "--curves", file_, "--trials", "0"});
  EXPECT_NE(zero.exit_code, 0);
}

TEST_F(BenchSchedulersCli, PeerOptunaPrintsBothInOneObject) {
  auto r = RunCairn({"bench", "schedulers", "--curves", file_, "--trials", "8", "--repeats", "1",
                     "--schedulers", "none,median", "--peer", "optuna", "--json"},
                    {}, {{"CAIRN_SOURCE_DIR", SourceDir().string()}});
  if (r.exit_code != 0 && r.err.find("optuna is not installed") != std::string::npos) {
    GTEST_SKIP() << "optuna is not installed for /usr/bin/python3: " << r.err;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = r.Json();
  ASSERT_TRUE(j.contains("cairn") && j.contains("peer")) << r.out;
  EXPECT_EQ(j["cairn"]["schedulers"].size(), 2u);
  ASSERT_TRUE(j["peer"]["schedulers"].is_array());
  bool optuna_none = false;
  for (const auto& row : j["peer"]["schedulers"]) {
    EXPECT_EQ(row["name"].get<std::string>().rfind("optuna-", 0), 0u) << row["name"];
    if (row["name"] == "optuna-none") {
      optuna_none = true;
      // The same orders: no pruning uses the same epochs as ours.
      EXPECT_EQ(row["epochs_used"], j["cairn"]["schedulers"][0]["epochs_used"]);
    }
  }
  EXPECT_TRUE(optuna_none);
}

TEST_F(BenchSchedulersCli, ArgumentMistakesExitTwoWithOnePrefix) {
  auto unknown = RunCairn({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("cairn: error: unknown command 'frobnicate'; the commands are run, "), std::string::npos)
      << unknown.err;
  auto unknown_sub = RunCairn({"bench", "frobnicate"});
  EXPECT_EQ(unknown_sub.exit_code, 2);
  EXPECT_NE(unknown_sub.err.find("cairn: error: unknown command 'frobnicate' of cairn bench; its commands are "
                                 "ingest, schedulers"),
            std::string::npos)
      << unknown_sub.err;
  auto not_a_number = RunCairn({"bench", "schedulers", "--curves", file_, "--trials", "many"});
  EXPECT_EQ(not_a_number.exit_code, 2);
  EXPECT_EQ(not_a_number.err.rfind("cairn: error: ", 0), 0u) << not_a_number.err;
  EXPECT_NE(not_a_number.err.find("--trials"), std::string::npos) << not_a_number.err;
  EXPECT_EQ(RunCairn({"--version"}).exit_code, 0);
}

TEST_F(BenchSchedulersCli, SchedulerNamesAreTrimmedAndCheckedBeforeAnyReplay) {
  auto spaced = RunCairn({"bench", "schedulers", "--curves", file_, "--schedulers", "asha, median", "--json"});
  ASSERT_EQ(spaced.exit_code, 0) << spaced.err;
  EXPECT_EQ(spaced.Json()["schedulers"][1]["name"], "median");
  auto typo = RunCairn({"bench", "schedulers", "--curves", file_, "--schedulers", "asha,medain"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("medain"), std::string::npos) << typo.err;
  EXPECT_EQ(typo.err.find("asha: repeat"), std::string::npos) << "nothing replays before the check: " << typo.err;
  auto twice = RunCairn({"bench", "schedulers", "--curves", file_, "--schedulers", "median, median"});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("--schedulers: 'median' is named twice"), std::string::npos) << twice.err;
  auto empty = RunCairn({"bench", "schedulers", "--curves", file_, "--schedulers", ""});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("--schedulers: an empty name"), std::string::npos) << empty.err;
}

TEST_F(BenchSchedulersCli, ReplayRefusesOptionsItWouldIgnore) {
  auto both = RunCairn({"replay", "s", "--curves", file_});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("not both"), std::string::npos) << both.err;
  auto workers = RunCairn({"replay", "--curves", file_, "--workers", "-3"});
  EXPECT_EQ(workers.exit_code, 2);
  EXPECT_NE(workers.err.find("--workers -3"), std::string::npos) << workers.err;
  auto trials = RunCairn({"replay", "s", "--trials", "3"});
  EXPECT_EQ(trials.exit_code, 2);
  EXPECT_NE(trials.err.find("--trials is for --curves"), std::string::npos) << trials.err;
  auto none = RunCairn({"replay", "--curves", file_, "--pruner", "none", "--pruner-options", R"({"p_keep": 0.3})"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("none scheduler: takes no options, got p_keep"), std::string::npos) << none.err;
}

TEST_F(BenchSchedulersCli, ReplayOfAFileWithoutTimingsSaysSoInsteadOfHours) {
  std::string untimed = (dir_ / "untimed.jsonl").string();
  std::string text;
  for (int i = 0; i < 6; ++i) {
    nlohmann::json values = nlohmann::json::array();
    for (int s = 1; s <= 10; ++s) values.push_back(0.1 * i * s / 10.0);
    text += nlohmann::json{{"id", "t/" + std::to_string(i)}, {"params", {{"x", i}}}, {"metric", "acc"},
                           {"mode", "max"}, {"values", values}, {"seconds", nullptr}}
                .dump() +
            "\n";
  }
  WriteFile(untimed, text);
  auto r = RunCairn({"replay", "--curves", untimed, "--pruner", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("compute: not timed (6 of the curves record no seconds)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hours"), std::string::npos) << r.out;
}

TEST_F(BenchSchedulersCli, AMissingPeerScriptIsSaidBeforeOurReplays) {
  auto r = RunCairn({"bench", "schedulers", "--curves", file_, "--peer", "optuna"}, {},
                    {{"CAIRN_SOURCE_DIR", (dir_ / "no-tree").string()}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("peer script"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("replaying"), std::string::npos) << "nothing replays before the check: " << r.err;
}

TEST_F(BenchSchedulersCli, AFileOfTwoMetricsIsRefusedByReplayAndIndex) {
  auto loss = dir_ / "loss.jsonl";
  WriteSampleCurves(loss, 3, 20, "loss");
  std::string mixed = (dir_ / "mixed.jsonl").string();
  WriteFile(mixed, ReadFile(file_) + ReadFile(loss));
  for (std::vector<std::string> args : {std::vector<std::string>{"replay", "--curves", mixed, "--pruner", "none"},
                                        std::vector<std::string>{"curves", "index", mixed}}) {
    auto r = RunCairn(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    // file_ holds 16 curves, so the first loss curve is on line 17.
    EXPECT_NE(r.err.find(mixed + ":17: curve 'test/task/cfg0' has metric loss"), std::string::npos) << r.err;
  }
}

TEST_F(BenchSchedulersCli, RangeErrorsSayWhatWasExpected) {
  auto zero = RunCairn({"bench", "schedulers", "--curves", file_, "--trials", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_NE(zero.err.find("--trials: expected 1 or more, got 0"), std::string::npos) << zero.err;
  auto seed = RunCairn({"replay", "--curves", file_, "--seed", "-1"});
  EXPECT_EQ(seed.exit_code, 2);
  EXPECT_NE(seed.err.find("--seed: expected 0 or more, got -1"), std::string::npos) << seed.err;
  auto big = RunCairn({"replay", "--curves", file_, "--pruner", "none", "--seed", "18446744073709551615"});
  EXPECT_EQ(big.exit_code, 0) << big.err;
  auto folder = RunCairn({"replay", "--curves", dir_.string()});
  EXPECT_EQ(folder.exit_code, 2);
  EXPECT_NE(folder.err.find("is a folder, not a curve file"), std::string::npos) << folder.err;
}

// Reading commands never create a store: a typo in --store is said.
TEST_F(BenchSchedulersCli, AReadingCommandDoesNotCreateAMissingStore) {
  auto typo = dir_ / "typo.db";
  for (std::vector<std::string> args : {std::vector<std::string>{"status", "digits"},
                                        std::vector<std::string>{"ls"}, std::vector<std::string>{"stats"},
                                        std::vector<std::string>{"replay", "digits"}}) {
    args.push_back("--store");
    args.push_back("sqlite://" + typo.string());
    auto r = RunCairn(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_NE(r.err.find("no store at " + typo.string()), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(typo));
  // Nor its folder: `cairn ls` in an empty folder left an empty .cairn/.
  auto empty = dir_ / "empty";
  std::filesystem::create_directories(empty);
  auto ls = RunCairn({"ls"}, empty, {{"CAIRN_STORE", ""}});
  EXPECT_EQ(ls.exit_code, 2) << ls.err;
  EXPECT_FALSE(std::filesystem::exists(empty / ".cairn"));
}

TEST_F(BenchSchedulersCli, HelpListsTheOptions) {
  auto r = RunCairn({"bench", "schedulers", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* opt : {"--curves", "--trials", "--repeats", "--seed", "--schedulers", "--workers", "--peer",
                          "--scheduler-options", "--json"}) {
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  }
  // Each rule's options with the defaults the rules themselves hold, in
  // bench's and replay's help alike.
  for (const auto& help : {r, RunCairn({"replay", "--help"})}) {
    for (const char* line : {"docs/schedulers.md", "median      ", "p_min=0.1", "rung_count=promoted", "min_resource=auto",
                             "reduction_factor=4"}) {
      EXPECT_NE(help.out.find(line), std::string::npos) << line << " in\n" << help.out;
    }
  }
  auto bench = RunCairn({"bench", "--help"});
  EXPECT_NE(bench.out.find("schedulers"), std::string::npos);
  EXPECT_NE(bench.out.find("ingest"), std::string::npos);
}

}  // namespace
}  // namespace cairn::testing
