// End to end on a real cluster: `cairn run` of a small digits study with
// `executor: slurm`, then `cairn status`; a coordinator killed with -9 and
// started again re-attaches to its job; `pack: 2` runs 4 trials as 2 jobs.
// Runs only under scripts/with-slurm.sh, with the `cairn` binary built
// beside this test.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "cli/cli_runner.h"

namespace cairn::testing {
namespace {

// Prints epoch=N val=... for `steps` steps, `pause` seconds apart.
constexpr const char* kSlowTrial = R"PY(
import sys, time
steps, pause, x = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
for step in range(1, steps + 1):
    print(f"epoch={step} val={x * step:.6f}", flush=True)
    time.sleep(pause)
)PY";

std::string SlowStudy(const std::string& name, int steps, double pause, int trials, const std::string& executor) {
  return "name: " + name + "\n"
         "command: [\"/usr/bin/python3\", \"slow.py\", \"" + std::to_string(steps) + "\", \"" +
         std::to_string(pause) + "\", \"{x}\"]\n"
         "space:\n"
         "  x: {type: float, low: 0.0, high: 1.0}\n"
         "objective: {metric: val, direction: maximize, step: epoch}\n"
         "budget: {trials: " + std::to_string(trials) + ", parallel: " + std::to_string(trials) + "}\n"
         "sampler: {name: random, seed: 5}\n"
         "executor: " + executor + "\n";
}

bool ClusterReady() {
  return std::getenv("SLURM_CONF") != nullptr && std::filesystem::exists(CairnBinary()) &&
         std::filesystem::exists("/usr/bin/python3");
}

// Starts `cairn args...` in `cwd` without waiting; output goes to cwd/tag.out.
pid_t StartCairn(const std::vector<std::string>& args, const std::filesystem::path& cwd, const std::string& tag) {
  std::vector<std::string> argv_s = {CairnBinary().string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string out = (cwd / (tag + ".out")).string(), dir = cwd.string();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || chdir(dir.c_str()) != 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// The stored steps of the objective, trial by trial (cairn export --format curves).
std::map<int, std::vector<int64_t>> StoredSteps(const std::string& study, const std::string& store,
                                                const std::filesystem::path& dir) {
  std::map<int, std::vector<int64_t>> steps;
  auto out = dir / "curves.jsonl";
  auto ran = RunCairn({"export", study, "--format", "curves", "-o", out.string(), "--store", store});
  if (ran.exit_code != 0) return steps;
  std::istringstream lines(ReadFile(out));
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    std::string id = j.value("id", "");
    steps[std::stoi(id.substr(id.rfind('/') + 1))] = j["steps"].get<std::vector<int64_t>>();
  }
  return steps;
}

nlohmann::json ShowTrial(const std::string& study, int number, const std::string& store) {
  return RunCairn({"show", study, std::to_string(number), "--json", "--store", store}).Json();
}

std::string SqueueState(const std::string& job_id) {
  auto dir = MakeTempDir("cairn-squeue");
  std::string cmd = "squeue --jobs=" + job_id + " --noheader --format=%T > " + (dir / "out").string() + " 2>&1";
  (void)std::system(cmd.c_str());
  std::string state = ReadFile(dir / "out");
  std::filesystem::remove_all(dir);
  while (!state.empty() && (state.back() == '\n' || state.back() == ' ')) state.pop_back();
  return state;
}

std::string Study() {
  std::string train = (SourceDir() / "examples" / "digits" / "train.py").string();
  return "name: slurm-digits\n"
         "command: [\"/usr/bin/python3\", \"" + train + "\", \"--lr\", \"{lr}\", \"--width\", \"{width}\",\n"
         "          \"--epochs\", \"3\", \"--seed\", \"1\"]\n"
         "env: {OMP_NUM_THREADS: \"1\"}\n"
         "space:\n"
         "  lr:    {type: float, low: 0.001, high: 0.1, log: true}\n"
         "  width: {type: int, low: 16, high: 64, step: 16}\n"
         "objective: {metric: val_acc, direction: maximize, step: epoch}\n"
         "budget: {trials: 2, parallel: 2, max_steps: 3}\n"
         "sampler: {name: random, seed: 1}\n"
         "executor: {name: slurm, poll_interval: 0.5, time: 10}\n";
}

TEST(E2ESlurm, CairnRunOnTheCluster) {
  if (std::getenv("SLURM_CONF") == nullptr) GTEST_SKIP() << "no Slurm cluster: run under scripts/with-slurm.sh";
  if (!std::filesystem::exists(CairnBinary())) GTEST_SKIP() << "build the cairn_cli target first";
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is missing";
  auto dir = MakeTempDir("cairn-slurm-e2e");
  WriteFile(dir / "study.yaml", Study());
  std::string store = "sqlite://" + (dir / "cairn.db").string();

  auto run = RunCairn({"run", (dir / "study.yaml").string(), "--store", store, "--json"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.Json()["completed"], 2) << run.out;

  auto status = RunCairn({"status", "slurm-digits", "--store", store, "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto trials = status.Json()["trials"];
  ASSERT_EQ(trials.size(), 2u) << status.out;
  for (const auto& t : trials) {
    SCOPED_TRACE(t.dump());
    EXPECT_EQ(t["state"], "completed");
    EXPECT_EQ(t["steps"], 3);
    EXPECT_GT(t["value"].get<double>(), 0.1);  // better than chance on 10 classes
  }
  // Each trial ran as a batch job from a script in its trial dir.
  int scripts = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / ".cairn")) {
    if (entry.path().filename() == "slurm_job.sh") ++scripts;
  }
  EXPECT_EQ(scripts, 2);
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

// What the README shows: the digits example, unchanged, on the cluster with
// `--executor slurm` (the trial folders under the current folder, the
// program and its working folder where the study file is).
TEST(E2ESlurm, TheDigitsExampleRunsWithExecutorSlurm) {
  if (std::getenv("SLURM_CONF") == nullptr) GTEST_SKIP() << "no Slurm cluster: run under scripts/with-slurm.sh";
  if (!std::filesystem::exists(CairnBinary())) GTEST_SKIP() << "build the cairn_cli target first";
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is missing";
  auto dir = MakeTempDir("cairn-slurm-digits");
  std::string study = (SourceDir() / "examples" / "digits" / "study.yaml").string();
  std::string store = "sqlite://" + (dir / "cairn.db").string();
  auto run = RunCairn({"run", study, "--executor", "slurm", "--trials", "2", "--store", store, "--json"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.Json()["completed"], 2) << run.out;
  for (int n = 0; n < 2; ++n) {
    auto trial = ShowTrial("digits", n, store);
    SCOPED_TRACE(trial.dump());
    EXPECT_EQ(trial["state"], "completed");
    EXPECT_TRUE(trial["attrs"]["executor"].contains("job_id"));
    EXPECT_TRUE(std::filesystem::exists(dir / ".cairn" / "trials" / "digits" / std::to_string(n) / "slurm_job.sh"));
  }
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

// `cairn run` of `trials` trials of 8 steps (1 s each), killed with -9 once
// the store has every trial's job id and 3 steps of each; the jobs must
// outlive it, and `cairn run` again must re-attach to them: every trial
// completed in the job it started in, no trial run again, every step
// stored exactly once. Returns how many job ids the store did not have at
// the kill (packed trials described before their pack went out).
int Kill9AndResume(const std::string& study, int trials, const std::string& executor) {
  auto dir = MakeTempDir("cairn-slurm-reattach");
  WriteFile(dir / "slow.py", kSlowTrial);
  WriteFile(dir / "study.yaml", SlowStudy(study, 8, 1.0, trials, executor));
  std::string store = "sqlite://" + (dir / "cairn.db").string();
  pid_t pid = StartCairn({"run", "study.yaml", "--store", store}, dir, "first");

  // Each trial's job id: the store has it, except for a packed trial that
  // the coordinator described before its pack went out; its trial dir has.
  std::map<int, std::string> job_ids;
  int from_trial_dir = 0;
  auto under_way = [&] {
    from_trial_dir = 0;
    auto steps = StoredSteps(study, store, dir);
    for (int n = 0; n < trials; ++n) {
      auto shown = ShowTrial(study, n, store);
      if (!shown.is_object() || steps[n].size() < 3) return false;
      auto where = shown["attrs"].value("executor", nlohmann::json::object());
      auto record = nlohmann::json::parse(
          ReadFile(dir / ".cairn" / "trials" / study / std::to_string(n) / "slurm_job.json"), nullptr, false);
      if (where.contains("job_id")) {
        job_ids[n] = where["job_id"];
      } else if (record.is_object()) {
        job_ids[n] = record["job_id"];
        ++from_trial_dir;
      } else {
        return false;
      }
    }
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!under_way() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(static_cast<int>(job_ids.size()), trials) << ReadFile(dir / "first.out");
  EXPECT_EQ(kill(pid, SIGKILL), 0);
  waitpid(pid, nullptr, 0);
  for (const auto& [n, job] : job_ids) EXPECT_EQ(SqueueState(job), "RUNNING") << "trial " << n << ", job " << job;

  auto resumed = RunCairn({"run", "study.yaml", "--store", store, "--json"}, dir);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  auto status = RunCairn({"status", study, "--store", store, "--json"}).Json();
  EXPECT_EQ(static_cast<int>(status["trials"].size()), trials) << "a trial was run again: " << status.dump();
  auto steps = StoredSteps(study, store, dir);
  for (int n = 0; n < trials; ++n) {
    auto trial = ShowTrial(study, n, store);
    SCOPED_TRACE(trial.dump());
    EXPECT_EQ(trial["state"], "completed");
    EXPECT_EQ(trial["attrs"]["executor"]["job_id"], job_ids[n]);
    EXPECT_EQ(trial["attrs"]["reattached"], 1);
    EXPECT_EQ(steps[n], (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  }
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
  return from_trial_dir;
}

TEST(E2ESlurm, Kill9OfTheCoordinatorReattachesToTheRunningJob) {
  if (!ClusterReady()) GTEST_SKIP() << "needs scripts/with-slurm.sh, the cairn binary and /usr/bin/python3";
  EXPECT_EQ(Kill9AndResume("slurm-reattach", 1, "{name: slurm, poll_interval: 0.5}"), 0)
      << "Describe() right after Launch has the job id";
}

TEST(E2ESlurm, Kill9OfTheCoordinatorReattachesToAPack) {
  if (!ClusterReady()) GTEST_SKIP() << "needs scripts/with-slurm.sh, the cairn binary and /usr/bin/python3";
  // Trial 0 was described (BUFFERED) before trial 1's launch sent the pack
  // out; the coordinator stores the pack's job id once the executor knows it,
  // so the store has both by the kill. (A kill in between is covered by
  // SlurmPackTest.ReattachFindsThePackFromTheTrialDir: slurm_job.json.)
  EXPECT_EQ(Kill9AndResume("slurm-reattach-pack", 2, "{name: slurm, pack: 2, poll_interval: 0.5}"), 0);
}

TEST(E2ESlurm, PackRunsFourTrialsAsTwoJobs) {
  if (!ClusterReady()) GTEST_SKIP() << "needs scripts/with-slurm.sh, the cairn binary and /usr/bin/python3";
  auto dir = MakeTempDir("cairn-slurm-pack");
  WriteFile(dir / "slow.py", kSlowTrial);
  WriteFile(dir / "study.yaml", SlowStudy("slurm-pack", 3, 0.3, 4, "{name: slurm, pack: 2, poll_interval: 0.5}"));
  std::string store = "sqlite://" + (dir / "cairn.db").string();
  auto run = RunCairn({"run", "study.yaml", "--store", store, "--json"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.Json()["completed"], 4) << run.out;
  std::map<std::string, std::set<int>> slots;  // job id -> pack slots
  auto steps = StoredSteps("slurm-pack", store, dir);
  for (int n = 0; n < 4; ++n) {
    auto trial = ShowTrial("slurm-pack", n, store);
    SCOPED_TRACE(trial.dump());
    EXPECT_EQ(trial["state"], "completed");
    const auto& where = trial["attrs"]["executor"];
    EXPECT_EQ(where["pack_size"], 2);
    slots[where.value("job_id", "")].insert(where.value("pack_index", -1));
    EXPECT_EQ(steps[n], (std::vector<int64_t>{1, 2, 3}));
  }
  EXPECT_EQ(slots.size(), 2u);
  for (const auto& [job, indexes] : slots) EXPECT_EQ(indexes, (std::set<int>{0, 1})) << "job " << job;
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::testing
