// ReproduceTrial with a real deterministic trial program (sh + awk) in a
// temporary git work tree: identical results, then code and data drift.
#include <algorithm>

#include <gtest/gtest.h>

#include "cairn/capture.h"
#include "cairn/clock.h"
#include "cairn/local_executor.h"
#include "cairn/reproduce.h"
#include "cairn/sampler.h"
#include "cairn/scheduler.h"
#include "cairn/spec.h"
#include "cairn/study.h"
#include "support/paths.h"

namespace cairn {
namespace {

using nlohmann::json;
using testing::MakeTempDir;
using testing::WriteFile;

// acc depends on the seed, the learning rate and the data, nothing else.
constexpr const char* kTrainSh = R"(#!/bin/sh
lr=$2
bytes=$(wc -c < data/train.txt)
for e in 1 2 3; do
  awk -v e=$e -v lr=$lr -v s=$CAIRN_SEED -v d=$bytes 'BEGIN { printf "{\"epoch\": %d, \"acc\": %.6f}\n", e, (s % 97) / 1000 + lr * e + d / 10000 }'
done
)";

constexpr const char* kStudyYaml = R"(name: repro
command: ["/bin/sh", "train.sh", "--lr", "{lr}"]
space:
  lr: {type: float, low: 0.01, high: 0.1}
objective: {metric: acc, direction: maximize, step: epoch}
budget: {trials: 1}
sampler: {name: random, seed: 5}
datasets: [data/train.txt]
)";

bool Mentions(const json& warnings, const std::string& text) {
  for (const auto& w : warnings) {
    if (w.get<std::string>().find(text) != std::string::npos) return true;
  }
  return false;
}

int Git(const std::filesystem::path& repo, const std::string& args) {
  std::string cmd = "cd '" + repo.string() + "' && git -c user.email=t@example.org -c user.name=t " + args +
                    " >/dev/null 2>&1";
  return std::system(cmd.c_str());
}

class ReproduceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
    dir_ = MakeTempDir("cairn-reproduce");
    repo_ = dir_ / "repo";
    WriteFile(repo_ / "train.sh", kTrainSh);
    WriteFile(repo_ / "study.yaml", kStudyYaml);
    WriteFile(repo_ / "data" / "train.txt", "0123456789\n");
    ASSERT_EQ(Git(repo_, "init -q"), 0);
    ASSERT_EQ(Git(repo_, "add ."), 0);
    ASSERT_EQ(Git(repo_, "commit -q -m init"), 0);
    auto store = OpenStore((dir_ / "cairn.db").string());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    capturer_ = std::make_unique<Capturer>();
    RunOriginal();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Trial 0 as `cairn run` records it, context included.
  void RunOriginal() {
    auto spec = ParseStudyFile(repo_ / "study.yaml");
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    auto sampler = MakeSampler(spec->sampler, spec->space, spec->direction, spec->seed);
    auto scheduler = MakeScheduler("none", SchedulerContext{spec->direction, spec->max_steps, spec->seed});
    ASSERT_TRUE(sampler.ok() && scheduler.ok());
    auto executor = MakeLocalExecutor({.step_key = "epoch"}, RealClock::Default());
    StudyParts parts{store_.get(), executor.get(), RealClock::Default(), sampler->get(), scheduler->get()};
    CoordinatorOptions options;
    options.trials_root = dir_ / "trials";
    auto coordinator = Coordinator::Create(*spec, parts, options);
    ASSERT_TRUE(coordinator.ok()) << coordinator.status().ToString();
    ASSERT_TRUE((*coordinator)->Run().ok());
    auto study = store_->GetStudy("repro");
    ASSERT_TRUE(study.ok());
    auto trial = store_->GetTrialByNumber(study->id, 0);
    ASSERT_TRUE(trial.ok());
    ASSERT_EQ(trial->state, TrialState::kCompleted) << trial->end_reason;
    // Where the coordinator does not capture yet, record the context it would.
    if (!StudyHasContext(*study)) {
      CapturedContext c = capturer_->CaptureStudy(repo_);
      for (const auto& b : c.blobs) ASSERT_TRUE(store_->PutBlob(b.hash, b.kind, b.body).ok());
      study->attrs["context"] = c.record;
      study->spec_json["context"] = c.record;  // stores without study attrs
      ASSERT_TRUE(store_->UpdateStudy(*study).ok());
    }
    if (!trial->attrs.contains("context")) {
      std::vector<std::string> argv = trial->attrs["argv"].get<std::vector<std::string>>();
      CapturedContext c = capturer_->CaptureTrial(
          {argv, {{"CAIRN_SEED", std::to_string(trial->attrs["seed"].get<uint64_t>())}}, {}, spec->datasets, repo_});
      for (const auto& b : c.blobs) ASSERT_TRUE(store_->PutBlob(b.hash, b.kind, b.body).ok());
      trial->attrs["context"] = c.record;
      ASSERT_TRUE(store_->UpdateTrial(*trial).ok());
    }
  }

  static bool StudyHasContext(const StudyRecord& s) {
    return s.attrs.contains("context") || s.spec_json.contains("context");
  }

  ReproduceOptions Options(bool dry_run = false) {
    ReproduceOptions o;
    o.dry_run = dry_run;
    o.trials_root = dir_ / "trials";
    o.capturer = capturer_.get();
    o.on_warning = [this](const std::string& w) { seen_.push_back(w); };
    return o;
  }

  std::filesystem::path dir_, repo_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Capturer> capturer_;
  std::vector<std::string> seen_;
};

TEST_F(ReproduceTest, SameContextGivesIdenticalResult) {
  auto report = ReproduceTrial(*store_, "repro", 0, Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE((*report)["warnings"].empty()) << (*report)["warnings"].dump(2);
  EXPECT_TRUE(seen_.empty());
  const json& repro = (*report)["reproduced"];
  EXPECT_EQ(repro["number"], 1);
  EXPECT_EQ(repro["state"], "completed");
  EXPECT_EQ(repro["seed"], (*report)["original"]["seed"]);
  EXPECT_EQ(repro["argv"], (*report)["original"]["argv"]);
  const json& diff = (*report)["difference"];
  EXPECT_EQ(diff["identical"], true) << diff.dump(2);
  EXPECT_EQ(diff["steps_compared"], 3);
  EXPECT_EQ(diff["max_abs_curve_difference"], 0.0);
  // Recorded like any trial, pointing at the original.
  auto study = store_->GetStudy("repro");
  auto t1 = store_->GetTrialByNumber(study->id, 1);
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->attrs["reproduce_of"], 0);
  ASSERT_TRUE(t1->attrs.contains("context"));
  // Its recorded environment is the one it was given, as for any trial.
  const json& env = t1->attrs["context"]["env"];
  EXPECT_EQ(env.value("CAIRN_TRIAL_NUMBER", ""), "1") << env.dump(2);
  EXPECT_EQ(env.value("CAIRN_SEED", ""), std::to_string((*report)["original"]["seed"].get<uint64_t>()));
  auto points = store_->ReadMetrics({t1->id, std::string("acc")});
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 3u);
}

// A trial a rule stopped after one step, run again to its end: its final
// value is no measure of reproduction, its curve over that step is.
TEST_F(ReproduceTest, AStoppedOriginalIsComparedOverTheStepsItRan) {
  auto study = store_->GetStudy("repro");
  auto t0 = store_->GetTrialByNumber(study->id, 0);
  ASSERT_TRUE(t0.ok());
  t0->state = TrialState::kStopped;
  t0->steps = 1;
  ASSERT_TRUE(store_->UpdateTrial(*t0).ok());
  auto report = ReproduceTrial(*store_, "repro", 0, Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const json& diff = (*report)["difference"];
  EXPECT_TRUE(diff["final_value_difference"].is_null()) << diff.dump(2);
  EXPECT_EQ(diff["identical"], false);
  EXPECT_EQ(diff["max_abs_curve_difference"], 0.0);
  EXPECT_NE(diff["note"].get<std::string>().find("the original ended stopped after 1 step(s), the re-run completed "
                                                  "after 3"),
            std::string::npos)
      << diff.dump(2);
}

// A resume after a new commit: the study keeps its first code version, the
// trials of the new run record theirs, and reproduce compares a trial with
// the code it ran.
TEST_F(ReproduceTest, TrialsOfAResumeWithNewCodeRecordTheirOwnCodeVersion) {
  WriteFile(repo_ / "train.sh", std::string(kTrainSh) + "# tuned\n");
  ASSERT_EQ(Git(repo_, "commit -q -am tuned"), 0);
  std::string yaml = kStudyYaml;
  yaml.replace(yaml.find("trials: 1"), 9, "trials: 2");
  auto spec = ParseStudyText(yaml, (repo_ / "study.yaml").string(), repo_);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto sampler = MakeSampler(spec->sampler, spec->space, spec->direction, spec->seed);
  auto scheduler = MakeScheduler("none", SchedulerContext{spec->direction, spec->max_steps, spec->seed});
  ASSERT_TRUE(sampler.ok() && scheduler.ok());
  auto executor = MakeLocalExecutor({.step_key = "epoch"}, RealClock::Default());
  StudyParts parts{store_.get(), executor.get(), RealClock::Default(), sampler->get(), scheduler->get(),
                   capturer_.get()};
  CoordinatorOptions options;
  options.trials_root = dir_ / "trials";
  std::vector<std::string> said;
  options.on_message = [&](const std::string& m) { said.push_back(m); };
  auto coordinator = Coordinator::Create(*spec, parts, options);
  ASSERT_TRUE(coordinator.ok()) << coordinator.status().ToString();
  ASSERT_TRUE((*coordinator)->Run().ok());
  EXPECT_TRUE(std::any_of(said.begin(), said.end(),
                          [](const std::string& m) { return m.find("the code changed since the study began") == 0; }));
  auto study = store_->GetStudy("repro");
  auto t1 = store_->GetTrialByNumber(study->id, 1);
  ASSERT_TRUE(t1.ok());
  ASSERT_EQ(t1->state, TrialState::kCompleted) << t1->end_reason;
  std::string head = CaptureCodeVersion(repo_).commit;
  EXPECT_EQ(t1->attrs["context"]["code"]["commit"], head);
  auto dry = ReproduceTrial(*store_, "repro", 1, Options(/*dry_run=*/true));
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_FALSE(Mentions((*dry)["warnings"], "code:")) << (*dry)["warnings"].dump(2);
  auto first = ReproduceTrial(*store_, "repro", 0, Options(/*dry_run=*/true));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(Mentions((*first)["warnings"], "code: commit")) << (*first)["warnings"].dump(2);
}

TEST_F(ReproduceTest, ChangedCodeAndDataAreWarnedBeforeTheRun) {
  WriteFile(repo_ / "train.sh", std::string(kTrainSh) + "# tuned\n");
  auto dry = ReproduceTrial(*store_, "repro", 0, Options(/*dry_run=*/true));
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_TRUE(Mentions((*dry)["warnings"], "code: uncommitted changes differ")) << (*dry)["warnings"].dump(2);
  // The command names train.sh: its own hash says it changed, git or not.
  EXPECT_TRUE(Mentions((*dry)["warnings"], "code: train.sh changed since the trial ran")) << (*dry)["warnings"].dump(2);
  EXPECT_TRUE((*dry)["reproduced"].is_null());
  auto study = store_->GetStudy("repro");
  EXPECT_EQ(store_->ListTrials(study->id)->size(), 1u);  // dry run: nothing ran

  ASSERT_EQ(Git(repo_, "commit -q -am tuned"), 0);
  WriteFile(repo_ / "data" / "train.txt", "0123456789 and more data\n");
  seen_.clear();
  auto report = ReproduceTrial(*store_, "repro", 0, Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const json& warnings = (*report)["warnings"];
  EXPECT_TRUE(Mentions(warnings, "code: commit")) << warnings.dump(2);
  EXPECT_TRUE(Mentions(warnings, "dataset " + (repo_ / "data" / "train.txt").string() + ": fingerprint changed"))
      << warnings.dump(2);
  EXPECT_EQ(seen_.size(), warnings.size());
  // More data, higher acc: the difference shows it.
  const json& diff = (*report)["difference"];
  EXPECT_EQ(diff["identical"], false);
  EXPECT_GT(diff["final_value_difference"].get<double>(), 0.001);
}

// --workdir runs a copy elsewhere: its datasets are compared with the
// recorded ones at their new place (by path alone they matched nothing).
TEST_F(ReproduceTest, AnotherWorkdirStillComparesTheDatasets) {
  std::filesystem::path copy = dir_ / "copy";
  std::filesystem::copy(repo_, copy, std::filesystem::copy_options::recursive);
  ReproduceOptions options = Options(/*dry_run=*/true);
  options.workdir = copy;
  auto same = ReproduceTrial(*store_, "repro", 0, options);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_FALSE(Mentions((*same)["warnings"], "dataset")) << (*same)["warnings"].dump(2);

  ReproduceOptions nowhere = options;
  nowhere.workdir = dir_ / "no-such-folder";
  auto refused = ReproduceTrial(*store_, "repro", 0, nowhere);
  EXPECT_EQ(refused.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(refused.status().message(), "--workdir " + nowhere.workdir.string() + ": no such folder");

  WriteFile(copy / "data" / "train.txt", "other data\n");
  auto changed = ReproduceTrial(*store_, "repro", 0, options);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(Mentions((*changed)["warnings"], "dataset " + (copy / "data" / "train.txt").string() +
                                                   " (recorded at " + (repo_ / "data" / "train.txt").string() +
                                                   "): fingerprint changed"))
      << (*changed)["warnings"].dump(2);
}

TEST_F(ReproduceTest, RefusesWhileTheStudyHasUnfinishedTrials) {
  auto study = store_->GetStudy("repro");
  auto t0 = store_->GetTrialByNumber(study->id, 0);
  TrialRecord running = *t0;
  running.number = 7;
  running.state = TrialState::kRunning;
  ASSERT_TRUE(store_->CreateTrial(running).ok());
  auto report = ReproduceTrial(*store_, "repro", 0, Options());
  EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("trial 7"), std::string::npos) << report.status().message();
  EXPECT_EQ(ReproduceTrial(*store_, "repro", 5, Options()).status().code(), StatusCode::kNotFound);
}

// An exported study holds "<redacted>" where its secrets were: a redacted
// env entry is taken from this environment (or the run is refused), and a
// redacted command word refuses the run; the placeholder is never passed.
TEST_F(ReproduceTest, RedactedSecretsComeFromTheEnvironmentOrRefuseTheRun) {
  auto study = store_->GetStudy("repro");
  ASSERT_TRUE(study.ok());
  StudyRecord redacted = *study;
  std::string yaml = redacted.spec_yaml;
  yaml.replace(yaml.find("budget:"), 0, "env: {CAIRN_TEST_SECRET_KEY: \"<redacted>\"}\n");
  redacted.spec_yaml = yaml;
  ASSERT_TRUE(store_->UpdateStudy(redacted).ok());
  unsetenv("CAIRN_TEST_SECRET_KEY");
  auto refused = ReproduceTrial(*store_, "repro", 0, Options());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("env CAIRN_TEST_SECRET_KEY was redacted"), std::string::npos)
      << refused.status().message();
  // A dry run runs nothing: it compares, and warns of the missing secret.
  auto dry = ReproduceTrial(*store_, "repro", 0, Options(/*dry_run=*/true));
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_TRUE(Mentions((*dry)["warnings"], "env CAIRN_TEST_SECRET_KEY was redacted"));
  setenv("CAIRN_TEST_SECRET_KEY", "the-real-one", 1);
  auto supplied = ReproduceTrial(*store_, "repro", 0, Options(/*dry_run=*/true));
  ASSERT_TRUE(supplied.ok());
  EXPECT_FALSE(Mentions((*supplied)["warnings"], "was redacted"));
  unsetenv("CAIRN_TEST_SECRET_KEY");

  redacted.spec_yaml = study->spec_yaml;
  redacted.spec_yaml.replace(redacted.spec_yaml.find("\"--lr\""), 6, "\"--token=<redacted>\", \"--lr\"");
  ASSERT_TRUE(store_->UpdateStudy(redacted).ok());
  auto command = ReproduceTrial(*store_, "repro", 0, Options());
  EXPECT_EQ(command.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(command.status().message().find("word 2 of the study's command, \"--token=<redacted>\", was redacted"),
            std::string::npos)
      << command.status().message();
}

TEST(CompareContexts, NamesEachDifference) {
  ContextSnapshot a, b;
  a.code = {{"is_repo", true}, {"commit", "abc"}, {"diff_sha256", ""}, {"untracked", {".cairn/cairn.db", "notes.txt"}}};
  b.code = {{"is_repo", true}, {"commit", "abd"}, {"diff_sha256", ""},
            {"untracked", {".cairn/cairn.db", ".cairn/trials/x/0/stdout.log", "extra.py"}}};
  a.software = {{"python", {{"version", "3.11"}, {"packages", {{"torch", "2.1.0"}, {"numpy", "1.0"}}}}}};
  b.software = {{"python", {{"version", "3.11"}, {"packages", {{"torch", "2.2.0"}}}}}};
  a.host = {{"cpu_model", "EPYC"}};
  b.host = {{"cpu_model", "Xeon"}};
  a.gpus = {{{"name", "A100"}}};
  b.gpus = json::array();
  a.datasets = {{{"path", "/d"}, {"sha256", "aaa"}}};
  b.datasets = {{{"path", "/d"}, {"sha256", "bbb"}}};
  auto w = CompareContexts(a, b);
  json j = w;
  EXPECT_TRUE(Mentions(j, "code: commit abc was recorded, the work tree is at abd"));
  EXPECT_TRUE(Mentions(j, "python package torch: 2.1.0 -> 2.2.0"));
  EXPECT_TRUE(Mentions(j, "python package numpy: 1.0 -> (none)"));
  EXPECT_TRUE(Mentions(j, "host cpu_model: EPYC -> Xeon"));
  EXPECT_TRUE(Mentions(j, "GPUs: [\"A100\"] -> []"));
  EXPECT_TRUE(Mentions(j, "dataset /d: fingerprint changed"));
  // Cairn's own folder is not the user's code.
  EXPECT_TRUE(Mentions(j, "code: untracked files differ (new: extra.py; gone: notes.txt)")) << j.dump(2);
  EXPECT_EQ(w.size(), 7u);
  EXPECT_TRUE(CompareContexts(a, a).empty());
}

// The shell's variables are recorded, not restored: those that differ are
// named with both values, Cairn's per-trial ones and the shell's
// bookkeeping are not, and a long list is cut.
TEST(CompareContexts, NamesEnvironmentVariablesThatDiffer) {
  ContextSnapshot a, b;
  a.env = {{"OMP_NUM_THREADS", "4"}, {"PYTHONPATH", "/src"}, {"CAIRN_TRIAL_ID", "7"}, {"PWD", "/a"},
           {"SHLVL", "1"}, {"CUDA_VISIBLE_DEVICES", "0"}, {"HOME", "/root"}};
  b.env = {{"OMP_NUM_THREADS", "8"}, {"CAIRN_TRIAL_ID", "9"}, {"PWD", "/b"}, {"SHLVL", "2"},
           {"CUDA_VISIBLE_DEVICES", "1"}, {"HOME", "/root"}, {"TF_DETERMINISTIC_OPS", "1"}};
  auto w = CompareContexts(a, b);
  ASSERT_EQ(w.size(), 1u) << json(w).dump();
  EXPECT_EQ(w[0], "environment: 3 variables differ: OMP_NUM_THREADS 4 -> 8; PYTHONPATH /src -> (unset); "
                  "TF_DETERMINISTIC_OPS (unset) -> 1");
  // A record from before environments were compared (no env) says nothing.
  ContextSnapshot old = a;
  old.env = nullptr;
  EXPECT_TRUE(CompareContexts(old, b).empty());
  // A login session's variables are noise too.
  a.env = {{"SSH_CONNECTION", "1.2.3.4 5 6.7.8.9 22"}, {"XDG_SESSION_ID", "3"}, {"TMUX_PANE", "%1"},
           {"WINDOWID", "1"}, {"XLA_FLAGS", "--xla_gpu_deterministic_ops"}};
  b.env = {{"SSH_CONNECTION", "9.9.9.9 5 6.7.8.9 22"}, {"XDG_SESSION_ID", "4"}, {"TMUX_PANE", "%2"},
           {"WINDOWID", "2"}};
  w = CompareContexts(a, b);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "environment: 1 variable differs: XLA_FLAGS --xla_gpu_deterministic_ops -> (unset)");
  // Long values that share a start show where they differ, cut between
  // UTF-8 characters (a cut inside one made --json fail).
  a.env = {{"PYTHONPATH", "/home/alice/work/project-a/src:/opt/venv/lib/python3.11/site-packages:/x/one"},
           {"PROJECT", "/home/user/donn\u00e9es/projets/mod\u00e8le-\u00e9t\u00e9-\u00f1and\u00fa-\u03b1\u03b2\u03b3"}};
  b.env = {{"PYTHONPATH", "/home/alice/work/project-a/src:/opt/venv/lib/python3.11/site-packages:/x/two"},
           {"PROJECT", "/home/user/donn\u00e9es/projets/mod\u00e8le-\u00e9t\u00e9-\u00f1and\u00fa-\u03b4\u03b5\u03b6"}};
  w = CompareContexts(a, b);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("PYTHONPATH ...ckages:/x/one -> ...ckages:/x/two"), std::string::npos) << w[0];
  EXPECT_NO_THROW(json(w).dump()) << w[0];  // valid UTF-8
  EXPECT_NE(w[0].find("\u03b1\u03b2\u03b3 -> "), std::string::npos) << w[0];
  json many = json::object();
  for (int i = 0; i < 10; ++i) many["V" + std::to_string(i)] = std::string(100, 'x');
  b.env = many;
  a.env = json::object();
  w = CompareContexts(a, b);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_TRUE(Mentions(json(w), "environment: 10 variables differ: V0 (unset) -> xxxxxxxx")) << w[0];
  EXPECT_TRUE(Mentions(json(w), "...; V1")) << w[0];
  EXPECT_TRUE(Mentions(json(w), "and 4 more")) << w[0];
}

// Outside git the files the command names are the code's only record.
TEST(CompareContexts, NamesChangedAndMissingProgramFiles) {
  ContextSnapshot a, b;
  a.code = b.code = {{"is_repo", false}};
  a.program_files = {{{"path", "train.py"}, {"bytes", 10}, {"sha256", "aaaaaaaaaaaaaaaa"}},
                     {{"path", "model.py"}, {"bytes", 5}, {"sha256", "cccccccccccccccc"}},
                     {{"path", "same.py"}, {"bytes", 5}, {"sha256", "dddd"}}};
  b.program_files = {{{"path", "train.py"}, {"bytes", 11}, {"sha256", "bbbbbbbbbbbbbbbb"}},
                     {{"path", "same.py"}, {"bytes", 5}, {"sha256", "dddd"}}};
  json j = CompareContexts(a, b);
  EXPECT_TRUE(Mentions(j, "code: train.py changed since the trial ran (sha256 aaaaaaaaaaaa -> bbbbbbbbbbbb, 10 -> 11 bytes)"))
      << j.dump(2);
  EXPECT_TRUE(Mentions(j, "code: model.py was recorded (sha256 cccccccccccc) and is not there now")) << j.dump(2);
  EXPECT_EQ(j.size(), 2u) << j.dump(2);
  // A record from before the files were hashed: nothing to compare.
  a.program_files = nullptr;
  EXPECT_TRUE(CompareContexts(a, b).empty());
}

}  // namespace
}  // namespace cairn
