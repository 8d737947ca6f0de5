// `cairn run --subspace I`: domain decomposition with one coordinator per
// sub-space on one store (docs/samplers.md, "Domain decomposition").
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "cairn/store.h"
#include "cli/cli_runner.h"

namespace cairn {
namespace {

using testing::CairnBinary;
using testing::RunCairn;

// A short trial: notes its id in launches.txt (to count launches), prints
// its loss. It lasts a little longer than a coordinator's refresh interval
// (1 s), so each coordinator has re-read the shared budget before taking
// its next trial.
constexpr char kTrial[] = R"py(
import os, sys, time
x, y = float(sys.argv[2]), float(sys.argv[4])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "launches.txt"), "a") as f:
    f.write(os.environ["CAIRN_TRIAL_ID"] + "\n")
time.sleep(1.1)
print(f"loss={(x - 0.3) ** 2 + (y - 0.5) ** 2:.6f}", flush=True)
)py";

std::string StudyYaml(const std::string& sampler, int trials) {
  return "name: halves\n"
         "command: [\"/usr/bin/python3\", \"trial.py\", \"--x\", \"{x}\", \"--y\", \"{y}\"]\n"
         "space:\n"
         "  x: {type: float, low: 0.0, high: 1.0}\n"
         "  y: {type: float, low: 0.0, high: 1.0}\n"
         "objective: {metric: loss, direction: minimize}\n"
         "budget: {trials: " + std::to_string(trials) + ", parallel: 1}\n"
         "sampler: " + sampler + "\n";
}

// Starts `cairn args...` in `cwd` without waiting; output goes to TAG.out there.
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

bool ExitedCleanly(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class SubspaceCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "needs /usr/bin/python3";
    dir_ = testing::MakeTempDir("cairn-subspace");
    testing::WriteFile(dir_ / "trial.py", kTrial);
    url_ = "sqlite://" + (dir_ / "cairn.db").string();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::string url_;
};

TEST_F(SubspaceCliTest, OneCoordinatorPerSubspaceSharesTheBudgetAndStaysInItsHalf) {
  testing::WriteFile(dir_ / "study.yaml", StudyYaml("{name: tpe, seed: 4, subspaces: 2, n_startup_trials: 2}", 6));
  pid_t lower = StartCairn({"run", "study.yaml", "--subspace", "0", "--store", url_}, dir_, "lower");
  pid_t upper = StartCairn({"run", "study.yaml", "--subspace", "1", "--store", url_}, dir_, "upper");
  ASSERT_TRUE(ExitedCleanly(lower)) << testing::ReadFile(dir_ / "lower.out");
  ASSERT_TRUE(ExitedCleanly(upper)) << testing::ReadFile(dir_ / "upper.out");

  std::ifstream launches(dir_ / "launches.txt");
  std::multiset<std::string> ids;
  for (std::string line; std::getline(launches, line);) ids.insert(line);
  EXPECT_EQ(ids.size(), std::set<std::string>(ids.begin(), ids.end()).size()) << "a trial was launched twice";

  auto store = OpenStore(url_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto study = (*store)->GetStudy("halves");
  ASSERT_TRUE(study.ok()) << study.status().ToString();
  auto trials = (*store)->ListTrials(study->id);
  ASSERT_TRUE(trials.ok());
  // x is split: sub-space 0 is x in [0, 0.625], sub-space 1 is x in [0.375, 1].
  const std::string lower_pid = ":" + std::to_string(lower) + ":", upper_pid = ":" + std::to_string(upper) + ":";
  int completed = 0, by_lower = 0, by_upper = 0;
  for (const auto& t : *trials) {
    completed += t.state == TrialState::kCompleted;
    double x = std::get<double>(t.params.at("x"));
    if (t.owner.find(lower_pid) != std::string::npos) {
      ++by_lower;
      EXPECT_LE(x, 0.625) << "trial " << t.number << " of sub-space 0";
    } else if (t.owner.find(upper_pid) != std::string::npos) {
      ++by_upper;
      EXPECT_GE(x, 0.375) << "trial " << t.number << " of sub-space 1";
    } else {
      ADD_FAILURE() << "trial " << t.number << " has owner " << t.owner;
    }
  }
  EXPECT_EQ(ids.size(), trials->size());
  // One budget of 6 for both, claimed atomically in the store.
  EXPECT_EQ(completed, 6);
  EXPECT_GE(by_lower, 1);
  EXPECT_GE(by_upper, 1);
}

TEST_F(SubspaceCliTest, SubspaceFlagIsCheckedAgainstTheStudyFile) {
  testing::WriteFile(dir_ / "split.yaml", StudyYaml("{name: random, subspaces: 2}", 1));
  auto out_of_range = RunCairn({"run", "split.yaml", "--subspace", "2", "--store", url_}, dir_);
  EXPECT_NE(out_of_range.exit_code, 0);
  EXPECT_NE(out_of_range.err.find("--subspace 2: expected 0 to 1"), std::string::npos) << out_of_range.err;

  testing::WriteFile(dir_ / "whole.yaml", StudyYaml("tpe", 1));
  auto not_split = RunCairn({"run", "whole.yaml", "--subspace", "0", "--store", url_}, dir_);
  EXPECT_NE(not_split.exit_code, 0);
  EXPECT_NE(not_split.err.find("subspaces: N"), std::string::npos) << not_split.err;

  auto help = RunCairn({"run", "--help"}, dir_);
  EXPECT_NE(help.out.find("--subspace"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("Exit status: 0 the study has a result; 1 no trial of it completed"), std::string::npos)
      << help.out;
}

}  // namespace
}  // namespace cairn
