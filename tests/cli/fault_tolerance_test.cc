// Faults a long study must survive: `kill -9` of the coordinator mid-study
// (nothing read from a trial may be lost), and two coordinators sharing one
// study (no trial run twice).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "cairn/store.h"
#include "cli/cli_runner.h"
#include "support/postgres_schema.h"

namespace cairn {
namespace {

using testing::CairnBinary;
using testing::RunCairn;

// A trial program that prints a metric line every 40 ms for 40 steps, and
// appends its trial id to launches.txt so tests can count launches.
constexpr char kSlowTrial[] = R"py(
import os, sys, time
x = float(sys.argv[2])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "launches.txt"), "a") as f:
    f.write(os.environ["CAIRN_TRIAL_ID"] + "\n")
for step in range(1, 41):
    print(f"step={step} score={x * step / 40:.6f}", flush=True)
    time.sleep(0.04)
)py";

std::string StudyYaml(const std::string& name, int trials, int parallel) {
  return "name: " + name +
         "\n"
         "command: [\"/usr/bin/python3\", \"slow.py\", \"--x\", \"{x}\"]\n"
         "space:\n"
         "  x: {type: float, low: 0.0, high: 1.0}\n"
         "objective: {metric: score, direction: maximize, step: step}\n"
         "budget: {trials: " + std::to_string(trials) + ", parallel: " + std::to_string(parallel) + "}\n"
         "sampler: {name: random, seed: 3}\n";
}

// Starts `cairn args...` in `cwd` without waiting; output goes to files there.
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

int CountLines(const std::filesystem::path& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.find(needle) != std::string::npos;
  return n;
}

// Waits (up to `seconds`) until `path` has at least `n` lines holding
// `needle`; whether it got there.
bool WaitForLines(const std::filesystem::path& path, const std::string& needle, int n, double seconds = 20) {
  for (int i = 0; i < static_cast<int>(seconds * 40) && CountLines(path, needle) < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return CountLines(path, needle) >= n;
}

class FaultToleranceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "needs /usr/bin/python3";
    dir_ = testing::MakeTempDir("cairn-faults");
    testing::WriteFile(dir_ / "slow.py", kSlowTrial);
    url_ = "sqlite://" + (dir_ / "cairn.db").string();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::vector<TrialRecord> Trials(Store& store, const std::string& study) {
    auto s = store.GetStudy(study);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *store.ListTrials(s->id) : std::vector<TrialRecord>{};
  }
  // The store in a fresh schema of the PostgreSQL server the test script
  // started; false (and the test skips) without one.
  bool UsePostgres() {
    auto server = testing::TempPostgresSchema::ServerUrl();
    if (!server) return false;
    Status created = postgres_.Create(*server);
    EXPECT_TRUE(created.ok()) << created.ToString();
    url_ = postgres_.url();
    return created.ok();
  }
  void TwoCoordinatorsShareAStudy();

  std::filesystem::path dir_;
  std::string url_;
  testing::TempPostgresSchema postgres_;
};

TEST_F(FaultToleranceTest, Kill9OfTheCoordinatorLosesNoMetricLine) {
  testing::WriteFile(dir_ / "study.yaml", StudyYaml("killed", 4, 2));
  pid_t pid = StartCairn({"run", "study.yaml", "--store", url_}, dir_, "first");
  // Wait until the first trials are well under way, then kill -9.
  auto log0 = dir_ / ".cairn" / "trials" / "killed" / "0" / "stdout.log";
  ASSERT_TRUE(WaitForLines(log0, "score=", 12, 10)) << testing::ReadFile(dir_ / "first.out");
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);

  // What the trials had printed (and Cairn had read) before the kill.
  std::map<int, int> printed;
  for (int n = 0; n < 2; ++n) {
    printed[n] = CountLines(dir_ / ".cairn" / "trials" / "killed" / std::to_string(n) / "stdout.log", "score=");
  }

  auto resumed = RunCairn({"run", "study.yaml", "--store", url_}, dir_);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;

  auto store = OpenStore(url_);
  ASSERT_TRUE(store.ok());
  auto trials = Trials(**store, "killed");
  int completed = 0, lost = 0;
  for (const auto& t : trials) {
    completed += t.state == TrialState::kCompleted;
    if (t.state != TrialState::kLost) continue;
    ++lost;
    auto points = (*store)->ReadMetrics({t.id, std::string("score")});
    ASSERT_TRUE(points.ok());
    std::set<int64_t> steps;
    for (const auto& p : *points) steps.insert(p.step);
    ASSERT_TRUE(printed.count(t.number)) << "trial " << t.number;
    EXPECT_EQ(static_cast<int>(steps.size()), printed[t.number]) << "trial " << t.number;
    for (int s = 1; s <= printed[t.number]; ++s) EXPECT_TRUE(steps.count(s)) << "trial " << t.number << " step " << s;
  }
  EXPECT_EQ(lost, 2) << "the two trials running at the kill";
  // The budget is 4 trials: the 2 lost ones count, 2 more start, and the
  // 2 lost ones are run again with their parameters.
  EXPECT_EQ(completed, 4);
  int reruns = 0;
  for (const auto& t : trials) reruns += t.attrs.contains("rerun_of");
  EXPECT_EQ(reruns, 2);
}

// Two `cairn run` processes on one study file and store, started together.
void FaultToleranceTest::TwoCoordinatorsShareAStudy() {
  testing::WriteFile(dir_ / "study.yaml", StudyYaml("shared", 8, 2));
  pid_t a = StartCairn({"run", "study.yaml", "--store", url_}, dir_, "a");
  pid_t b = StartCairn({"run", "study.yaml", "--store", url_}, dir_, "b");
  int sa = 0, sb = 0;
  waitpid(a, &sa, 0);
  waitpid(b, &sb, 0);
  ASSERT_TRUE(WIFEXITED(sa) && WEXITSTATUS(sa) == 0) << testing::ReadFile(dir_ / "a.out");
  ASSERT_TRUE(WIFEXITED(sb) && WEXITSTATUS(sb) == 0) << testing::ReadFile(dir_ / "b.out");

  std::ifstream launches(dir_ / "launches.txt");
  std::multiset<std::string> ids;
  std::string line;
  while (std::getline(launches, line)) ids.insert(line);
  std::set<std::string> distinct(ids.begin(), ids.end());
  EXPECT_EQ(ids.size(), distinct.size()) << "a trial was launched twice";

  auto store = OpenStore(url_);
  ASSERT_TRUE(store.ok());
  auto trials = Trials(**store, "shared");
  std::set<std::string> owners;
  int completed = 0;
  for (const auto& t : trials) {
    completed += t.state == TrialState::kCompleted;
    owners.insert(t.owner);
  }
  EXPECT_EQ(distinct.size(), trials.size());
  // The budget is claimed in the store, atomically: never a trial more.
  EXPECT_EQ(completed, 8);
  EXPECT_EQ(owners.size(), 2u) << "both coordinators ran trials";
}

TEST_F(FaultToleranceTest, TwoCoordinatorsShareAStudyWithoutRunningATrialTwice) { TwoCoordinatorsShareAStudy(); }

TEST_F(FaultToleranceTest, TwoCoordinatorsShareAStudyOnPostgres) {
  if (!UsePostgres()) GTEST_SKIP() << "set CAIRN_TEST_POSTGRES_URL (scripts/with-postgres.sh) to run";
  TwoCoordinatorsShareAStudy();
}

// A trial program that ignores SIGTERM, says its pid, reports one step and
// then sleeps for good: only SIGKILL ends it.
constexpr char kStubbornTrial[] = R"py(
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pids.txt"), "a") as f:
    f.write(f"{os.getpid()}\n")
print("step=1 score=0.5", flush=True)
time.sleep(3600)
)py";

// Writes stubborn.py and a study `name` of it with `budget` (YAML flow map)
// into `dir`.
void WriteStubbornStudy(const std::filesystem::path& dir, const std::string& name, const std::string& budget) {
  testing::WriteFile(dir / "stubborn.py", kStubbornTrial);
  testing::WriteFile(dir / "study.yaml", "name: " + name + R"(
command: ["/usr/bin/python3", "stubborn.py", "{x}"]
space:
  x: {type: float, low: 0.0, high: 1.0}
objective: {metric: score, direction: maximize, step: step}
budget: )" + budget + "\n");
}

// Waits (up to a minute) for `pid` to exit: its exit status, 1000 + the
// signal that killed it, or -1 when it is still running.
int WaitForExit(pid_t pid) {
  for (int i = 0; i < 2400; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

// Ctrl-C stops the trials with SIGTERM and waits out the grace period for
// those that ignore it; a second Ctrl-C kills them at once. Either way no
// trial is left running and every one is recorded as interrupted.
TEST_F(FaultToleranceTest, ASecondCtrlCKillsTrialsThatIgnoreSigterm) {
  WriteStubbornStudy(dir_, "stubborn", "{trials: 2, parallel: 2, grace: 1h}");
  pid_t cairn = StartCairn({"run", "study.yaml", "--store", url_}, dir_, "run");
  auto pids_file = dir_ / "pids.txt";
  auto log1 = dir_ / ".cairn" / "trials" / "stubborn" / "1" / "stdout.log";
  ASSERT_TRUE(WaitForLines(pids_file, "", 2) && WaitForLines(log1, "score=", 1)) << testing::ReadFile(dir_ / "run.out");
  std::vector<pid_t> trials;
  for (std::istringstream in(testing::ReadFile(pids_file)); in;) {
    pid_t p = 0;
    if (in >> p) trials.push_back(p);
  }

  ASSERT_EQ(kill(cairn, SIGINT), 0);
  WaitForLines(dir_ / "run.out", "interrupt again", 1);
  EXPECT_EQ(CountLines(dir_ / "run.out", "stopping 2 running trial(s), which have 3600 s to end"), 1)
      << testing::ReadFile(dir_ / "run.out");
  for (pid_t p : trials) EXPECT_EQ(kill(p, 0), 0) << "SIGTERM is ignored: trial " << p << " still runs";

  ASSERT_EQ(kill(cairn, SIGINT), 0);
  EXPECT_EQ(WaitForExit(cairn), 130) << testing::ReadFile(dir_ / "run.out");
  for (pid_t p : trials) EXPECT_NE(kill(p, 0), 0) << "trial " << p << " was left running";
  EXPECT_EQ(CountLines(dir_ / "run.out", "killing 2 running trial(s) now"), 1) << testing::ReadFile(dir_ / "run.out");

  auto store = OpenStore(url_);
  ASSERT_TRUE(store.ok());
  auto recorded = Trials(**store, "stubborn");
  ASSERT_EQ(recorded.size(), 2u);
  for (const auto& t : recorded) {
    EXPECT_EQ(t.state, TrialState::kInterrupted) << t.number;
    EXPECT_EQ(t.end_reason.rfind("interrupted: cairn was told to stop (Ctrl-C, SIGTERM or SIGHUP)", 0), 0u) << t.end_reason;
  }
}

// The record trail of a running trial is in the store while it runs, so a
// coordinator killed with -9 leaves its trials (later recorded as lost)
// with their context, not without.
TEST_F(FaultToleranceTest, ARunningTrialsContextIsStoredBeforeItEnds) {
  WriteStubbornStudy(dir_, "long", "{trials: 1}");
  pid_t cairn = StartCairn({"run", "study.yaml", "--store", url_}, dir_, "run");
  std::optional<TrialRecord> seen;
  for (int i = 0; i < 2400 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    auto store = OpenStore(url_);
    if (!store.ok()) continue;
    auto study = (*store)->GetStudy("long");
    if (!study.ok()) continue;
    auto trial = (*store)->GetTrialByNumber(study->id, 0);
    if (trial.ok() && trial->attrs.contains("context")) seen = *trial;
  }
  kill(cairn, SIGKILL);
  waitpid(cairn, nullptr, 0);
  for (std::istringstream in(testing::ReadFile(dir_ / "pids.txt")); in;) {
    pid_t p = 0;
    if (in >> p) kill(-p, SIGKILL);  // the trial's group, orphaned by the kill
  }
  ASSERT_TRUE(seen.has_value()) << "no context stored within a minute; " << testing::ReadFile(dir_ / "run.out");
  EXPECT_EQ(seen->state, TrialState::kRunning);
  EXPECT_TRUE(seen->attrs["context"].contains("software")) << seen->attrs["context"].dump();
  EXPECT_EQ(seen->attrs["context"]["env"]["CAIRN_TRIAL_NUMBER"], "0");
}

TEST_F(FaultToleranceTest, OneCtrlCStopsTrialsThatHonourSigterm) {
  testing::WriteFile(dir_ / "study.yaml", StudyYaml("polite", 2, 2));
  pid_t cairn = StartCairn({"run", "study.yaml", "--store", url_}, dir_, "run");
  auto log1 = dir_ / ".cairn" / "trials" / "polite" / "1" / "stdout.log";
  ASSERT_TRUE(WaitForLines(log1, "score=", 2)) << testing::ReadFile(dir_ / "run.out");
  ASSERT_EQ(kill(cairn, SIGINT), 0);
  EXPECT_EQ(WaitForExit(cairn), 130) << testing::ReadFile(dir_ / "run.out");
  auto store = OpenStore(url_);
  ASSERT_TRUE(store.ok());
  auto recorded = Trials(**store, "polite");
  ASSERT_EQ(recorded.size(), 2u);
  for (const auto& t : recorded) EXPECT_EQ(t.state, TrialState::kInterrupted) << t.number;
}

}  // namespace
}  // namespace cairn
